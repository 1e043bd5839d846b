package providertest

import (
	"go/parser"
	gotoken "go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestForbiddenImport(t *testing.T) {
	for path, want := range map[string]bool{
		"testing":                             true,
		"tokentop":                            true,
		"tokentop/flows":                      true,
		"tokentop/flows/oauth":                true,
		"github.com/charmbracelet/bubbletea":  true,
		"charm.land/bubbletea/v2":             true,
		"github.com/charmbracelet/lipgloss":   true,
		"net/http":                            false,
		"net/http/httptest":                   false,
		"golang.org/x/oauth2":                 false,
		"github.com/BurntSushi/toml":          false,
		"tokentopology.example/not-ours/flow": false,
	} {
		if got := forbiddenImport(path); got != want {
			t.Errorf("forbiddenImport(%q) = %v, want %v", path, got, want)
		}
	}
}

func TestImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var checked []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		pf, err := parser.ParseFile(gotoken.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range pf.Imports {
			p, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				t.Fatalf("%s: import %s: %v", f, imp.Path.Value, err)
			}
			if forbiddenImport(p) {
				t.Errorf("%s imports %s", f, p)
			}
		}
		checked = append(checked, f)
	}
	// Without this the test passes when the glob finds nothing, such as
	// when it runs from another directory.
	for _, want := range []string{"doc.go", "server.go", "browse.go", "demo.go"} {
		if !slices.Contains(checked, want) {
			t.Fatalf("checked %v, which lacks %s", checked, want)
		}
	}
}
