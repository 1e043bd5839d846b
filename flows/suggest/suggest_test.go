package suggest

import "testing"

func TestDistance(t *testing.T) {
	cases := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"aikido", "aikido", 0},
		{"aikdo", "aikido", 1},
		{"akiido", "aikido", 1}, // a swap of adjacent letters is one edit
		{"stauts", "status", 1},
		{"aha", "", 3},
		{"ca", "abc", 3}, // optimal string alignment, not full Damerau
		{"kitten", "sitting", 3},
	}
	for _, tc := range cases {
		if got := Distance(tc.a, tc.b); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestNearest(t *testing.T) {
	names := []string{"aikido", "aerion", "aha", "aha-key", "github-enterprise"}
	cases := map[string]string{
		"aikdo":   "aikido",
		"AIKIDO2": "aikido",
		"aeiron":  "aerion",
		"ah":      "aha", // one edit in a short name
		"ab":      "",    // two edits in a short name suggest anything
		"github":  "github-enterprise",
		"aha-ky":  "aha-key",
		"zzzzzz":  "",
		"":        "",
		"aha":     "aha-key", // the name itself is not suggested
	}
	for name, want := range cases {
		if got := Nearest(name, names); got != want {
			t.Errorf("Nearest(%q) = %q, want %q", name, got, want)
		}
	}
}
