package main

import (
	"errors"
	"log/slog"

	"tokentop/flows"
	"tokentop/flows/config"
)

// errTeamUnavailable is what opening the team store says until the etcd
// store (package store/etcd) is part of the build.
var errTeamUnavailable = errors.New("team store not available in this build")

// openTeamStore opens the etcd store of the [team] table t, with its
// password and key already resolved (main_team.go, resolveTeamSecrets).
// It is a variable so that this branch builds before store/etcd is merged;
// the merge replaces its body with
//
//	return etcd.Open(etcd.Options{Endpoints: t.Endpoints, Prefix: t.Prefix,
//		CAFile: t.CAFile, CertFile: t.CertFile, KeyFile: t.KeyFile,
//		Username: t.Username, Password: password, Key: key,
//		Timeout: t.Timeout, Logger: logger})
var openTeamStore = func(t *config.Team, password string, key []byte, logger *slog.Logger) (flows.Store, error) {
	return nil, errTeamUnavailable
}
