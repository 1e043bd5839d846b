// Package fault holds the errors a provider client reports about one
// request: the provider's own error answer, and a request that got no
// answer at all, with whether it left the machine. The Service decides from
// them what may be retried and what a refresh token survived.
package fault
