package store

import (
	"io/fs"
	"time"
)

// stamp identifies one version of the state file as far as os.Stat can tell:
// the file (device and inode, which change when Forget renames a compacted
// copy over it), its size and its modification time.
type stamp struct {
	dev, ino uint64
	size     int64
	mtime    time.Time
}

func stampOf(fi fs.FileInfo) stamp {
	dev, ino := fileID(fi)
	return stamp{dev: dev, ino: ino, size: fi.Size(), mtime: fi.ModTime()}
}

func (s stamp) equal(o stamp) bool {
	return s.dev == o.dev && s.ino == o.ino && s.size == o.size && s.mtime.Equal(o.mtime)
}

// racyWindow is how close to now a modification time must be for a stamp not
// to be trusted. File systems keep modification times at a coarse
// granularity (a clock tick on ext4, one second on ext3 and HFS+, two on
// FAT), so a second write soon after the first can leave size and time
// unchanged. A stamp whose time is older than the window cannot collide
// with a later write, whose time will be at least now. (Git calls this the
// "racy clean" problem.)
const racyWindow = 3 * time.Second
