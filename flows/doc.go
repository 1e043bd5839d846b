// Package flows provides tokentop's connections and the ways to obtain,
// renew, check and forget their tokens: the configuration file, the login
// flows of each supported provider (Aikido, Aha!, Aerion, Amino and any
// standard OAuth 2.0 server), and the Service that keeps tokens fresh on top
// of a Store.
//
// flows knows nothing of terminals: interactive steps are callbacks and
// pending values (see Pending), so the command line and the dashboard can
// present them as they like.
package flows
