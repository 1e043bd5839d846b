package main

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"
)

// BenchmarkExecVsToken runs `tokentop exec NAME -- true` and, alternately,
// what a script does without it: `tokentop token NAME`, then `true`; it
// reports both medians. exec's cost over token is one fork and exec.
func BenchmarkExecVsToken(b *testing.B) {
	truePath, err := exec.LookPath("true")
	if err != nil {
		b.Fatal(err)
	}
	for _, others := range []int{0, 1000} {
		b.Run(fmt.Sprintf("others=%d", others), func(b *testing.B) {
			args, marker := benchFixture(b, others)
			global, name := args[:4], args[5]
			execArgs := append(append([]string{}, global...), "exec", name, "--", truePath)
			var ex, tt []time.Duration
			b.ResetTimer()
			for b.Loop() {
				ex = append(ex, runOnce(b, binPath, execArgs...))
				start := time.Now()
				runOnce(b, binPath, args...)
				runOnce(b, truePath)
				tt = append(tt, time.Since(start))
			}
			b.StopTimer()
			if _, err := os.Stat(marker); err == nil {
				b.Fatal("exec ran another connection's secret command")
			}
			b.ReportMetric(float64(median(ex).Microseconds())/1000, "exec-ms")
			b.ReportMetric(float64(median(tt).Microseconds())/1000, "token+true-ms")
		})
	}
}
