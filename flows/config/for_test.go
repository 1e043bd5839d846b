package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"tokentop/flows"
)

// LoadFor must give, for every connection, exactly what Load
// gives: the same Connection, or the same error.
func TestLoadConfigForMatchesLoadConfig(t *testing.T) {
	files := map[string]string{}
	example, err := os.ReadFile(filepath.Join("testdata", "config", "example.toml"))
	if err != nil {
		t.Fatal(err)
	}
	files["example"] = string(example)
	files["dotted and quoted"] = `refresh_before = "30s"
connections.top.provider = "aikido"
connections.top.client_id = "a"
connections.top.client_secret = "env:X"

[connections]
mid.provider = "aikido"
mid.client_id = "b"
mid.client_secret = "env:Y"

[ connections . "quoted-name" ]   # a comment
provider = "amino"
base_url = "https://tv.example.com"
username = "u"
scopes = [
  "a",
  "b",
]

[connections.'lit'.headers]
X-Tenant = "acme"

[connections.lit]
provider = "oauth2"
flow = "client_credentials"
token_url = "https://id.example.com/token"
client_id = "c"
client_secret = "env:Z"
`
	files["inline table"] = `[connections]
inl = { provider = "aikido", client_id = "a", client_secret = "env:X" }

[connections.after]
provider = "aikido"
client_id = "b"
client_secret = "env:Y"
`
	files["multi-line string"] = `[connections.a]
provider = "aikido"
client_id = "a"
client_secret = "env:X"
note = """
[connections.b]
provider = "nope"
"""
`
	files["error in one connection"] = `[connections.good]
provider = "aikido"
client_id = "a"
client_secret = "env:X"

[connections.bad]
provider = "aha"
subdomain = "acme"
flow = "oauth"
`
	files["array of tables"] = `[[connections]]
x = 1
`
	dir := t.TempDir()
	for label, text := range files {
		t.Run(label, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(label, " ", "_")+".toml")
			if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
			full, fullErr := Load(path)
			names := []string{"bad", "nope", "b"}
			if full != nil {
				names = append(names, full.Names()...)
			}
			for _, name := range names {
				one, oneErr := LoadFor(path, name)
				var want *flows.Connection
				if full != nil {
					want = full.Connection(name)
				}
				switch {
				case fullErr != nil:
					if oneErr == nil {
						// The fast path may load a good connection of a
						// file with an error elsewhere; it must never load
						// the broken one.
						if !strings.Contains(fullErr.Error(), "connections."+name+":") && one.Connection(name) != nil {
							continue
						}
						t.Fatalf("%s: no error, Load says %v", name, fullErr)
					}
					if oneErr.Error() != fullErr.Error() && strings.Contains(fullErr.Error(), "connections."+name+":") {
						t.Fatalf("%s: error %q, Load says %q", name, oneErr, fullErr)
					}
				case want == nil:
					if one != nil && one.Connection(name) != nil {
						t.Fatalf("%s: found a connection Load does not have", name)
					}
				default:
					if oneErr != nil {
						t.Fatalf("%s: %v", name, oneErr)
					}
					got := one.Connection(name)
					if !reflect.DeepEqual(got, want) {
						t.Fatalf("%s:\n got %+v\nwant %+v", name, got, want)
					}
					if one.RefreshBefore != full.RefreshBefore {
						t.Fatalf("%s: refresh_before %v, want %v", name, one.RefreshBefore, full.RefreshBefore)
					}
				}
			}
		})
	}
}

func TestConfigReduceBlanksOthers(t *testing.T) {
	text := "refresh_before = \"30s\"\n[connections.a]\nprovider = \"x\"\n[connections.b]\nprovider = \"y\"\n[connections.a.headers]\nk = \"v\"\n"
	got, ok := reduce([]byte(text), "a")
	if !ok {
		t.Fatal("reduce refused a plain file")
	}
	want := "refresh_before = \"30s\"\n[connections.a]\nprovider = \"x\"\n\n\n[connections.a.headers]\nk = \"v\"\n"
	if string(got) != want {
		t.Fatalf("reduced:\n%s\nwant:\n%s", got, want)
	}
}

// TestConfigReduceReadsStrings: the one scanner knows strings, so a line
// inside a multi-line string that looks like a header is not taken for one.
func TestConfigReduceReadsStrings(t *testing.T) {
	text := "[connections.a]\nprovider = \"x\"\nnote = \"\"\"\n[connections.b]\nkept\"\"\"\n[connections.b]\nprovider = \"y\"\n"
	got, ok := reduce([]byte(text), "a")
	if !ok {
		t.Fatal("reduce refused a multi-line string")
	}
	want := "[connections.a]\nprovider = \"x\"\nnote = \"\"\"\n[connections.b]\nkept\"\"\"\n\n\n"
	if string(got) != want {
		t.Fatalf("reduced:\n%q\nwant:\n%q", got, want)
	}
}
