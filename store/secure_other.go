//go:build !unix

package store

import (
	"io/fs"
	"os"
)

// Outside Unix there is no O_NOFOLLOW, no O_NONBLOCK for files and no uid:
// the type checks (by Lstat and fstat) are all that is left.
const (
	oNoFollow  = 0
	oNonblock  = 0
	oDirectory = 0
)

func fileOwner(fs.FileInfo) (uid int, ok bool) { return 0, false }

func setBlocking(*os.File) {}
