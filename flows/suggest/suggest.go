// Package suggest finds the name a person probably meant when they typed
// one that does not exist: the nearest of the known names by edit distance,
// or the one the typed name begins.
package suggest

import "strings"

// Nearest returns the candidate that name most likely misspells, or "" when
// none is near enough to suggest. Near enough is an optimal string
// alignment (restricted Damerau-Levenshtein) distance of at most 2, or 1 for
// names of three letters or fewer, where two edits reach almost anything; a
// candidate that name is a prefix of comes after every such one. Case is
// ignored; ties go to the earlier candidate.
func Nearest(name string, candidates []string) string {
	if name == "" {
		return ""
	}
	limit := 2
	if len([]rune(name)) <= 3 {
		limit = 1
	}
	lname := strings.ToLower(name)
	best, bestScore := "", limit+2
	for _, c := range candidates {
		lc := strings.ToLower(c)
		score := Distance(lname, lc)
		if score > limit {
			if !strings.HasPrefix(lc, lname) {
				continue
			}
			score = limit + 1
		}
		if score < bestScore && c != name {
			best, bestScore = c, score
		}
	}
	return best
}

// Distance is the optimal string alignment distance between a and b: the
// fewest insertions, deletions, substitutions and swaps of two adjacent
// letters that turn a into b, no letter edited twice.
func Distance(a, b string) int {
	x, y := []rune(a), []rune(b)
	// d[i][j] is the distance between x[:i] and y[:j].
	d := make([][]int, len(x)+1)
	for i := range d {
		d[i] = make([]int, len(y)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(x); i++ {
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(x)][len(y)]
}
