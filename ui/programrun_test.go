package ui

import (
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"
)

// probeMsg asks the program's filter for the frame of the model as it is
// once every message sent before the probe has been handled.
type probeMsg struct{}

// programRun is the dashboard running as a real Bubble Tea program
// (teatest), observed through its filter: the messages the test keeps, and
// frames on demand. It waits on messages, never on time.
type programRun struct {
	t      *testing.T
	tm     *teatest.TestModel
	in     inbox
	frames chan string
}

// inbox holds the messages a program's filter passed to the test, and
// those a wait passed over.
type inbox struct {
	seen    chan tea.Msg
	backlog []tea.Msg
}

// wait returns the first message that matches, in any order: messages of
// concurrent commands arrive as they like. It fails t after 15 seconds.
func (in *inbox) wait(t testing.TB, what string, match func(tea.Msg) bool) tea.Msg {
	t.Helper()
	for i, msg := range in.backlog {
		if match(msg) {
			in.backlog = append(in.backlog[:i], in.backlog[i+1:]...)
			return msg
		}
	}
	guard := time.After(15 * time.Second)
	for {
		select {
		case msg := <-in.seen:
			if match(msg) {
				return msg
			}
			in.backlog = append(in.backlog, msg)
		case <-guard:
			t.Fatalf("never saw %s", what)
			return nil
		}
	}
}

// startProgram runs m at w×h without colour; keep says which messages the
// test waits for.
func startProgram(t *testing.T, m *Model, w, h int, keep func(tea.Msg) bool) *programRun {
	p := &programRun{t: t, in: inbox{seen: make(chan tea.Msg, 1024)}, frames: make(chan string, 16)}
	filter := func(model tea.Model, msg tea.Msg) tea.Msg {
		if _, ok := msg.(probeMsg); ok {
			p.frames <- ansi.Strip(model.(*Model).View().Content)
			return nil
		}
		if keep(msg) {
			p.in.seen <- msg
		}
		return msg
	}
	p.tm = teatest.NewTestModel(t, m, teatest.WithInitialTermSize(w, h),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii), tea.WithFilter(filter)))
	return p
}

// send sends messages to the program.
func (p *programRun) send(msgs ...tea.Msg) {
	for _, msg := range msgs {
		p.tm.Send(msg)
	}
}

// wait returns the first kept message that matches.
func (p *programRun) wait(what string, match func(tea.Msg) bool) tea.Msg {
	p.t.Helper()
	return p.in.wait(p.t, what, match)
}

// frame is the screen, without styling, once what was sent is handled.
func (p *programRun) frame() string {
	p.t.Helper()
	p.tm.Send(probeMsg{})
	select {
	case f := <-p.frames:
		return f
	case <-time.After(10 * time.Second):
		p.t.Fatal("no frame")
		return ""
	}
}

// quit presses q and returns the model the program ended with.
func (p *programRun) quit() *Model {
	p.t.Helper()
	p.tm.Send(keyMsg("q"))
	return p.tm.FinalModel(p.t, teatest.WithFinalTimeout(10*time.Second)).(*Model)
}

// is matches messages of type T.
func is[T tea.Msg](msg tea.Msg) bool { _, ok := msg.(T); return ok }
