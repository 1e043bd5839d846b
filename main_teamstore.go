package main

import (
	"log/slog"

	"tokentop/flows"
	"tokentop/flows/config"
	"tokentop/store/etcd"
)

// openTeamStore opens the etcd store of the [team] table t, with its
// password and key already resolved (main_team.go, resolveTeamSecrets).
// It is a variable so that tests can stand another store in its place.
var openTeamStore = func(t *config.Team, password string, key []byte, logger *slog.Logger) (flows.Store, error) {
	return etcd.Open(etcd.Options{Endpoints: t.Endpoints, Prefix: t.Prefix,
		CAFile: t.CAFile, CertFile: t.CertFile, KeyFile: t.KeyFile,
		Username: t.Username, Password: password, Key: key,
		Timeout: t.Timeout, Logger: logger})
}
