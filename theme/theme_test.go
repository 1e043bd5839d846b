package theme

import "testing"

func TestNewDiffersByBackground(t *testing.T) {
	dark, light := New(true), New(false)
	pairs := map[string][2]any{
		"ok":        {dark.Palette.OK, light.Palette.OK},
		"warn":      {dark.Palette.Warn, light.Palette.Warn},
		"danger":    {dark.Palette.Danger, light.Palette.Danger},
		"muted":     {dark.Palette.Muted, light.Palette.Muted},
		"accent":    {dark.Palette.Accent, light.Palette.Accent},
		"selection": {dark.Palette.Selection, light.Palette.Selection},
	}
	for name, p := range pairs {
		if p[0] == nil || p[1] == nil {
			t.Errorf("%s: missing colour", name)
			continue
		}
		if p[0] == p[1] {
			t.Errorf("%s: same colour on dark and light backgrounds", name)
		}
	}
	if dark.Input.Cursor.Blink {
		t.Error("cursor blinks: it would wake the program for nothing")
	}
}
