//go:build !unix

package config

// oNoFollow is 0 where the system has no O_NOFOLLOW; O_EXCL still refuses
// an existing link there.
const oNoFollow = 0
