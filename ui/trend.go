package ui

import (
	"fmt"
	"strings"
	"time"

	"tokentop/flows"
)

// A connection's recent health checks, drawn: a latency sparkline and an
// up/down strip in the detail pane, the last few as a TREND cell in the
// table. row.rebuild draws them when the state changes; a frame only
// paints the runs.

// sparkGlyphs are the sparkline's eight heights, lowest first.
var sparkGlyphs = []rune("▁▂▃▄▅▆▇█")

// The strip's glyphs read without colour: a check that answered 2xx and
// one that did not.
const (
	upGlyph   = "▪"
	downGlyph = "✕"
	// noLatency stands in the sparkline for a check that got no answer.
	noLatency = "·"
)

// trendCells is how many recent checks the table's TREND cell shows at
// least; it shows more when the window has room.
const trendCells = 12

// glyphRun is a stretch of glyphs of one outcome, painted in one colour.
type glyphRun struct {
	text string
	down bool
}

// trend is a connection's checks, drawn once per state.
type trend struct {
	n, up          int           // checks kept, and how many were up
	first, last    time.Time     // the oldest and newest check
	minLat, maxLat time.Duration // over the checks that measured one
	spark          []glyphRun    // one glyph per check: its latency
	strip          []glyphRun    // one glyph per check: up or down
	cell           []glyphRun    // the last trendCells checks, for the table
	cellW          int
}

// buildTrend draws checks (oldest first).
func buildTrend(checks []flows.Check) trend {
	tr := trend{n: len(checks)}
	if tr.n == 0 {
		return tr
	}
	tr.first, tr.last = checks[0].At, checks[len(checks)-1].At
	measured := false
	for i := range checks {
		c := &checks[i]
		if c.OK() {
			tr.up++
		}
		if c.Latency <= 0 {
			continue
		}
		if !measured || c.Latency < tr.minLat {
			tr.minLat = c.Latency
		}
		if !measured || c.Latency > tr.maxLat {
			tr.maxLat = c.Latency
		}
		measured = true
	}
	height := func(c *flows.Check) string {
		if c.Latency <= 0 {
			return noLatency
		}
		if tr.maxLat == tr.minLat {
			return string(sparkGlyphs[len(sparkGlyphs)/2-1])
		}
		i := int(int64(c.Latency-tr.minLat) * int64(len(sparkGlyphs)-1) / int64(tr.maxLat-tr.minLat))
		return string(sparkGlyphs[i])
	}
	var spark, strip, cell runs
	for i := range checks {
		c := &checks[i]
		down := !c.OK()
		g := upGlyph
		if down {
			g = downGlyph
		}
		spark.add(height(c), down)
		strip.add(g, down)
		if down {
			cell.add(downGlyph, true)
		} else {
			cell.add(height(c), false)
		}
	}
	tr.spark, tr.strip, tr.cell = spark, strip, cell
	return tr
}

// runs is a list of runs being drawn.
type runs []glyphRun

// add appends a glyph, joining it to the last run when the outcome is the
// same.
func (rs *runs) add(g string, down bool) {
	if n := len(*rs); n > 0 && (*rs)[n-1].down == down {
		(*rs)[n-1].text += g
		return
	}
	*rs = append(*rs, glyphRun{g, down})
}

// paintRuns paints runs, the up ones with up and the down ones with down,
// keeping the last w glyphs when they do not fit.
func paintRuns(rs []glyphRun, w int, up, down func(string) string) string {
	total := 0
	for _, r := range rs {
		total += len([]rune(r.text))
	}
	skip := max(total-w, 0)
	var b strings.Builder
	for _, r := range rs {
		t := r.text
		if skip > 0 {
			rr := []rune(t)
			k := min(skip, len(rr))
			t, skip = string(rr[k:]), skip-k
		}
		if t == "" {
			continue
		}
		if r.down {
			b.WriteString(down(t))
		} else {
			b.WriteString(up(t))
		}
	}
	return b.String()
}

// caption sums the checks up: "latency 80–140ms · 47 of 48 up · since
// 09:12", in the words that suit none or one check.
func (tr *trend) caption(loc *time.Location) string {
	switch tr.n {
	case 0:
		return "no health checks yet"
	case 1:
		outcome := "up"
		if tr.up == 0 {
			outcome = "down"
		}
		s := "1 check, " + outcome
		if tr.maxLat > 0 {
			s += " · latency " + latency(tr.maxLat)
		}
		return s + " · at " + tr.last.In(loc).Format("15:04")
	}
	var s string
	switch {
	case tr.maxLat == 0:
		s = "no latency measured"
	case tr.minLat == tr.maxLat:
		s = "latency " + latency(tr.maxLat)
	case tr.maxLat < time.Second:
		s = fmt.Sprintf("latency %d–%dms", tr.minLat.Milliseconds(), tr.maxLat.Milliseconds())
	default:
		s = "latency " + latency(tr.minLat) + "–" + latency(tr.maxLat)
	}
	return fmt.Sprintf("%s · %d of %d up · since %s", s, tr.up, tr.n, tr.first.In(loc).Format("15:04"))
}
