package flows

import (
	"testing"
	"time"
)

func TestValidFor(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	tok := func(obtained, expires time.Duration) *Token {
		return &Token{AccessToken: "x", ObtainedAt: now.Add(obtained), Expiry: now.Add(expires)}
	}
	cases := map[string]struct {
		tok  *Token
		d    time.Duration
		want bool
	}{
		"nil":                               {nil, 0, false},
		"no expiry":                         {&Token{AccessToken: "x"}, time.Hour, true},
		"long-lived, enough left":           {tok(-time.Hour, time.Hour), 5 * time.Minute, true},
		"long-lived, too little left":       {tok(-time.Hour, 4*time.Minute), 5 * time.Minute, false},
		"expired":                           {tok(-time.Hour, -time.Second), 0, false},
		"short-lived, in its first half":    {tok(-30*time.Second, 60*time.Second), 5 * time.Minute, true},
		"short-lived, past half its life":   {tok(-50*time.Second, 40*time.Second), 5 * time.Minute, false},
		"short-lived, no obtained-at known": {&Token{AccessToken: "x", Expiry: now.Add(time.Minute)}, 5 * time.Minute, false},
	}
	for name, tc := range cases {
		if got := tc.tok.ValidFor(now, tc.d); got != tc.want {
			t.Errorf("%s: ValidFor = %v, want %v", name, got, tc.want)
		}
	}
}
