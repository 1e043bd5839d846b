package store

import (
	"testing"
	"time"
)

func TestParseHolder(t *testing.T) {
	since := time.Date(2026, 12, 1, 10, 2, 13, 0, time.UTC)
	tests := map[string]struct {
		record string
		pid    int
		since  time.Time
	}{
		"as written":         {record: formatHolder(4242, since), pid: 4242, since: since},
		"local time written": {record: formatHolder(4242, since.In(time.FixedZone("X", 3600))), pid: 4242, since: since},
		"no newline":         {record: "pid 4242 since 2026-12-01T10:02:13Z", pid: 4242, since: since},
		"offset":             {record: "pid 7 since 2026-12-01T11:02:13+01:00\n", pid: 7, since: since},
		"bad time":           {record: "pid 7 since yesterday\n"},
		"pid only":           {record: "pid 7\n"},
		"repeated":           {record: "pid 7 pid 7 pid 7\n"},
		"empty":              {record: ""},
		"garbage":            {record: "\x00\xff garbage"},
		"negative pid":       {record: "pid -1 since 2026-12-01T10:02:13Z\n"},
		"huge pid":           {record: "pid 99999999999999999999999 since 2026-12-01T10:02:13Z\n"},
		"second line only":   {record: "\npid 7 since 2026-12-01T10:02:13Z\n"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			h := parseHolder([]byte(tt.record))
			if h.PID != tt.pid || !h.Since.Equal(tt.since) || h.Waited != 0 {
				t.Errorf("parseHolder(%q) = %+v, want pid %d since %v", tt.record, h, tt.pid, tt.since)
			}
		})
	}
}

// FuzzParseHolder: a lock file may hold anything (a record cut short by a
// crash, another program's bytes); reading it must not fail, and what
// formatHolder writes reads back.
func FuzzParseHolder(f *testing.F) {
	f.Add([]byte("pid 4242 since 2026-12-01T10:02:13Z\n"))
	f.Add([]byte("pid 1 since 0000-01-01T00:00:00Z"))
	f.Add([]byte("pid"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h := parseHolder(b)
		if h.PID < 0 || (h.PID == 0 && !h.Since.IsZero()) {
			t.Fatalf("parseHolder(%q) = %+v", b, h)
		}
		if h.PID > 0 {
			back := parseHolder([]byte(formatHolder(h.PID, h.Since)))
			if back.PID != h.PID || !back.Since.Equal(h.Since.Truncate(time.Second)) {
				t.Fatalf("round trip of %+v gave %+v", h, back)
			}
		}
	})
}
