package main

import (
	"reflect"
	"slices"
	"sync"

	"tokentop/flows"
	"tokentop/flows/config"
	uicli "tokentop/ui/cli"
)

// teamSet is the dashboard's set of team connections. The Split that
// routes each connection's state by it and the table's team tags read it
// while a reload of the config (a tea.Cmd) changes it.
type teamSet struct {
	mu    sync.RWMutex
	names []string
}

func newTeamSet(t *config.Team) *teamSet {
	s := &teamSet{}
	if t != nil {
		s.names = slices.Clone(t.Connections)
	}
	return s
}

// IsTeam reports whether name keeps its state in the team store.
func (s *teamSet) IsTeam(name string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Contains(s.names, name)
}

// isTeam is the team set in force: the dashboard's live one, or the
// [team] table's as loaded.
func (a *app) isTeam(name string) bool {
	if a.live != nil {
		return a.live.IsTeam(name)
	}
	return a.team.IsTeam(name)
}

// reloadConfig is the dashboard's reload of the config file at path. A
// connection whose team setting changed is routed to its new store at
// once, with the hint of how to move its tokens when they are in the other
// store (cfg's warnings, which the dashboard shows). What a running
// dashboard cannot take up says so: a [team] table added or changed, or a
// first team connection when the dashboard opened with none, needs a
// restart.
func (a *app) reloadConfig(path string) (*flows.Config, error) {
	cfg, team, err := config.LoadTeamLenient(path)
	if err != nil {
		return nil, err
	}
	var now []string
	if team != nil {
		now = team.Connections
	}
	switch {
	case !sameTeamTable(a.team, team):
		cfg.Warnings = append(cfg.Warnings, "the [team] table changed; restart tokentop to use it")
		return cfg, nil
	case !a.split:
		if len(now) > 0 {
			cfg.Warnings = append(cfg.Warnings, now[0]+" is now a team connection; restart tokentop to open the team store")
		}
		return cfg, nil
	}
	var moved []string
	for _, c := range cfg.Connections {
		if a.live.IsTeam(c.Name) != slices.Contains(now, c.Name) {
			moved = append(moved, c.Name)
		}
	}
	a.live.mu.Lock()
	a.live.names = slices.Clone(now)
	a.live.mu.Unlock()
	if len(moved) > 0 {
		cfg.Warnings = append(cfg.Warnings, uicli.MoveHints(moved, a.live.IsTeam, a.local, a.openTeam)...)
	}
	return cfg, nil
}

// sameTeamTable reports whether a and b name the same cluster the same
// way: equal but for which connections are team ones.
func sameTeamTable(a, b *config.Team) bool {
	if a == nil || b == nil {
		return a == b
	}
	x, y := *a, *b
	x.Connections, y.Connections = nil, nil
	return reflect.DeepEqual(x, y)
}
