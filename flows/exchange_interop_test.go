package flows_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"tokentop/flows"
	"tokentop/flows/config"
	"tokentop/flows/fault"
	"tokentop/flows/oauth"
)

// zitadelExchanger runs github.com/zitadel/oidc/v3's OpenID Provider (op)
// in-process: its RFC 8693 token exchange (pkg/op/token_exchange.go) and
// client credentials grants, an implementation tokentop's authors did not
// write. Its storage is zitadel's example storage with the token exchange
// hooks replaced: subject tokens it did not issue are accepted only when
// registered with accept, and every exchange zitadel parsed is recorded.
type zitadelExchanger struct {
	*httptest.Server
	provider *op.Provider
	st       *zitadelStorage
}

// zitadelExchange is what zitadel handed the storage for one exchange.
type zitadelExchange struct {
	SubjectTokenIDOrToken string // the subject token, or the ID inside one zitadel issued
	SubjectTokenType      oidc.TokenType
	Subject               string
	Audience              []string
	Scopes                []string
	RequestedTokenType    oidc.TokenType // as sent: empty when left out
	ClientID              string
}

// zitadelStorage is zitadel's example storage with token exchange made
// observable and a client-credentials client of the test's own.
type zitadelStorage struct {
	*storage.Storage
	mu        sync.Mutex
	accepted  map[string]string // foreign subject token → its subject
	exchanges []zitadelExchange
	issued    map[string]string // access token ID → subject, as zitadel created them
}

const (
	zitadelCIClient = "ci"
	zitadelCISecret = "zitadel-ci-secret-0123456789"
	zitadelGHClient = "gh"
	zitadelGHSecret = "zitadel-gh-secret-0123456789"
)

// VerifyExchangeSubjectToken is asked for subject tokens zitadel cannot
// verify itself (a JWT from another issuer, here).
func (s *zitadelStorage) VerifyExchangeSubjectToken(_ context.Context, token string, _ oidc.TokenType) (string, string, map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, ok := s.accepted[token]
	if !ok {
		return "", "", nil, errors.New("unknown subject token")
	}
	return token, sub, nil, nil
}

// VerifyExchangeActorToken refuses actor tokens: tokentop sends none here.
// zitadel asks the storage to verify foreign tokens only when it has both
// methods (pkg/op/storage.go, TokenExchangeTokensVerifierStorage).
func (s *zitadelStorage) VerifyExchangeActorToken(context.Context, string, oidc.TokenType) (string, string, map[string]any, error) {
	return "", "", nil, errors.New("no actor tokens")
}

// ValidateTokenExchangeRequest records the exchange as zitadel parsed it,
// then, as the example storage does, asks for an access token when no type
// was requested (zitadel issues none otherwise).
func (s *zitadelStorage) ValidateTokenExchangeRequest(_ context.Context, r op.TokenExchangeRequest) error {
	s.mu.Lock()
	s.exchanges = append(s.exchanges, zitadelExchange{
		SubjectTokenIDOrToken: r.GetExchangeSubjectTokenIDOrToken(), SubjectTokenType: r.GetExchangeSubjectTokenType(),
		Subject: r.GetExchangeSubject(), Audience: r.GetAudience(), Scopes: r.GetScopes(),
		RequestedTokenType: r.GetRequestedTokenType(), ClientID: r.GetClientID(),
	})
	s.mu.Unlock()
	if r.GetRequestedTokenType() == "" {
		r.SetRequestedTokenType(oidc.AccessTokenType)
	}
	return nil
}

// CreateAccessToken records the ID of every access token zitadel issues.
func (s *zitadelStorage) CreateAccessToken(ctx context.Context, r op.TokenRequest) (string, time.Time, error) {
	id, exp, err := s.Storage.CreateAccessToken(ctx, r)
	if err == nil {
		s.mu.Lock()
		s.issued[id] = r.GetSubject()
		s.mu.Unlock()
	}
	return id, exp, err
}

// ccClient is one of the example's clients allowed the grants given.
type ccClient struct {
	op.Client
	grants []oidc.GrantType
}

func (c ccClient) GrantTypes() []oidc.GrantType { return c.grants }

// ClientCredentials authenticates gh, the test's client-credentials client.
func (s *zitadelStorage) ClientCredentials(_ context.Context, id, secret string) (op.Client, error) {
	if id != zitadelGHClient || secret != zitadelGHSecret {
		return nil, errors.New("wrong client or secret")
	}
	return ccClient{storage.WebClient(id, secret), []oidc.GrantType{oidc.GrantTypeClientCredentials}}, nil
}

// ClientCredentialsTokenRequest makes gh the subject of its own tokens. The
// subject holds no colon: zitadel's opaque access tokens seal
// "tokenID:subject", and its exchange splits them on ":" into exactly two
// parts (pkg/op/token_exchange.go, getTokenIDAndClaims).
func (s *zitadelStorage) ClientCredentialsTokenRequest(_ context.Context, id string, scopes []string) (op.TokenRequest, error) {
	return &oidc.JWTTokenRequest{Subject: "svc-" + id, Audience: []string{id}, Scopes: scopes}, nil
}

func newZitadelExchanger(t *testing.T) *zitadelExchanger {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil) // 127.0.0.1; started once zitadel knows its URL
	issuer := "http://" + srv.Listener.Addr().String()
	// The ci client may exchange tokens: WebClient allows the grant, with
	// client_secret_basic.
	clients := map[string]*storage.Client{zitadelCIClient: storage.WebClient(zitadelCIClient, zitadelCISecret)}
	z := &zitadelExchanger{Server: srv, st: &zitadelStorage{
		Storage:  storage.NewStorageWithClients(storage.NewUserStore(issuer), clients),
		accepted: map[string]string{},
		issued:   map[string]string{},
	}}
	// zitadel logs a refused request to slog's default logger (its
	// WithLogger has no effect): one line with the error code and
	// description, no token.
	var err error
	z.provider, err = op.NewOpenIDProvider(issuer, &op.Config{CryptoKey: [32]byte{'z', 'i', 't', 'a', 'd', 'e', 'l'}}, z.st,
		op.WithAllowInsecure()) // the issuer is http://, not https://
	if err != nil {
		srv.Close()
		t.Fatal(err)
	}
	srv.Config.Handler = z.provider
	srv.Start()
	t.Cleanup(srv.Close)
	return z
}

// accept makes zitadel take token as a subject token for subject.
func (z *zitadelExchanger) accept(token, subject string) {
	z.st.mu.Lock()
	defer z.st.mu.Unlock()
	z.st.accepted[token] = subject
}

// exchanges returns the exchanges zitadel has seen, in order.
func (z *zitadelExchanger) exchanges() []zitadelExchange {
	z.st.mu.Lock()
	defer z.st.mu.Unlock()
	return append([]zitadelExchange(nil), z.st.exchanges...)
}

// zitadelService is a Service for connection ci exchanging at zitadel; its
// subject line is subject, and more holds other connections.
func zitadelService(t *testing.T, z *zitadelExchanger, subject, more string) *flows.Service {
	t.Helper()
	cfg, err := config.Parse("zitadel.toml", []byte(`
[connections.ci]
provider = "oauth2"
flow = "token_exchange"
token_url = "`+z.URL+`/oauth/token"
client_id = "`+zitadelCIClient+`"
client_secret = "`+zitadelCISecret+`"
scopes = ["deploy", "read"]
audience = ["https://api.example.com", "ledger"]
`+subject+`
`+more))
	if err != nil {
		t.Fatal(err)
	}
	return flows.NewService(cfg, flows.Options{NewClient: oauth.New, Store: newMemStore()})
}

func zitadelCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestInteropZitadelExchangeSubjectFile: zitadel's op accepts tokentop's
// RFC 8693 request with a subject token from a file: it parsed the subject,
// its type, both audiences and both scopes, and no requested_token_type;
// tokentop saves the access token zitadel issued with its
// issued_token_type, and a renewal after the file changed sends the new
// subject.
func TestInteropZitadelExchangeSubjectFile(t *testing.T) {
	z := newZitadelExchanger(t)
	z.accept("ci-oidc-token-1", "repo:acme/app")
	z.accept("ci-oidc-token-2", "repo:acme/app")
	path := subjectFile(t, t.TempDir(), "ci-oidc-token-1")
	svc := zitadelService(t, z, `subject_token = "file:`+path+`"`, "")
	ctx := zitadelCtx(t)

	tok, err := svc.Token(ctx, "ci", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	want := zitadelExchange{
		SubjectTokenIDOrToken: "ci-oidc-token-1", SubjectTokenType: oidc.JWTTokenType, Subject: "repo:acme/app",
		Audience: []string{"https://api.example.com", "ledger"}, Scopes: []string{"deploy", "read"},
		RequestedTokenType: "", ClientID: zitadelCIClient,
	}
	if got := z.exchanges(); len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Fatalf("zitadel saw\n %+v\nwant one\n %+v", got, want)
	}
	if tok.Extra[oauth.ExtraIssuedTokenType] != string(oidc.AccessTokenType) || tok.TokenType != "Bearer" || tok.RefreshToken != "" {
		t.Errorf("issued_token_type %q, token_type %q, refresh token %v", tok.Extra[oauth.ExtraIssuedTokenType], tok.TokenType, tok.RefreshToken != "")
	}
	if d := time.Until(tok.Expiry); d < 4*time.Minute || d > 6*time.Minute {
		t.Errorf("expires in %v, want zitadel's example 5 minutes", d)
	}
	// The token is zitadel's: it decrypts to the ID zitadel stored, for the
	// exchange's subject.
	if sub := z.issuedFor(t, tok.AccessToken); sub != "repo:acme/app" {
		t.Errorf("issued for %q", sub)
	}
	st, _ := svc.State("ci")
	if st.Token == nil || st.Token.AccessToken != tok.AccessToken || st.Token.Extra[oauth.ExtraIssuedTokenType] != string(oidc.AccessTokenType) {
		t.Errorf("saved %+v", st.Token)
	}

	// The CI system rotates the file; the next renewal reads it again.
	subjectFile(t, filepath.Dir(path), "ci-oidc-token-2")
	tok2, err := svc.Renew(ctx, "ci")
	if err != nil {
		t.Fatal(err)
	}
	got := z.exchanges()
	if len(got) != 2 || got[0].SubjectTokenIDOrToken != "ci-oidc-token-1" || got[1].SubjectTokenIDOrToken != "ci-oidc-token-2" {
		t.Fatalf("subjects zitadel saw: %+v", got)
	}
	if st, _ := svc.State("ci"); tok2.AccessToken == tok.AccessToken || st.Token == nil || st.Token.AccessToken != tok2.AccessToken {
		t.Error("the renewed token was not saved")
	}
}

// issuedFor decrypts an opaque access token zitadel issued (tokenID:subject,
// AES-GCM with the provider's key) and returns the subject zitadel's
// storage recorded for that ID.
func (z *zitadelExchanger) issuedFor(t *testing.T, token string) string {
	t.Helper()
	plain, err := z.provider.Crypto().Decrypt(token)
	if err != nil {
		t.Fatalf("not a token zitadel issued: %v", err)
	}
	id, _, _ := strings.Cut(plain, ":")
	z.st.mu.Lock()
	defer z.st.mu.Unlock()
	sub, ok := z.st.issued[id]
	if !ok {
		t.Fatalf("zitadel has no token %q", id)
	}
	return sub
}

// TestInteropZitadelExchangeSubjectConnection: the subject is gh's access
// token, which gh got from zitadel by client credentials at the token
// endpoint of zitadel's discovery document: zitadel finds the token it
// issued (its own ID inside) and the subject it issued it for; the
// requested_token_type set here reaches it.
func TestInteropZitadelExchangeSubjectConnection(t *testing.T) {
	z := newZitadelExchanger(t)
	svc := zitadelService(t, z, `subject_connection = "gh"`+"\nrequested_token_type = \""+string(oidc.AccessTokenType)+`"`, `
[connections.gh]
provider = "oauth2"
flow = "client_credentials"
issuer = "`+z.URL+`"
client_id = "`+zitadelGHClient+`"
client_secret = "`+zitadelGHSecret+`"
`)
	ctx := zitadelCtx(t)
	tok, err := svc.Token(ctx, "ci", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	gh, _ := svc.State("gh")
	if gh.Token == nil {
		t.Fatal("gh has no token")
	}
	plain, err := z.provider.Crypto().Decrypt(gh.Token.AccessToken)
	if err != nil {
		t.Fatalf("gh's token is not zitadel's: %v", err)
	}
	ghID, _, _ := strings.Cut(plain, ":")
	want := zitadelExchange{
		SubjectTokenIDOrToken: ghID, SubjectTokenType: oidc.AccessTokenType, Subject: "svc-" + zitadelGHClient,
		Audience: []string{"https://api.example.com", "ledger"}, Scopes: []string{"deploy", "read"},
		RequestedTokenType: oidc.AccessTokenType, ClientID: zitadelCIClient,
	}
	if got := z.exchanges(); len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Fatalf("zitadel saw\n %+v\nwant one\n %+v", got, want)
	}
	if sub := z.issuedFor(t, tok.AccessToken); sub != "svc-"+zitadelGHClient || tok.Extra[oauth.ExtraIssuedTokenType] != string(oidc.AccessTokenType) {
		t.Errorf("ci's token issued for %q, issued_token_type %q", sub, tok.Extra[oauth.ExtraIssuedTokenType])
	}
}

// TestInteropZitadelExchangeRefused: zitadel refuses a subject token it
// cannot verify with invalid_request (pkg/op/token_exchange.go: "subject_token
// is invalid"): one line naming the connection and the code, without the
// subject or the client secret, and nothing saved.
func TestInteropZitadelExchangeRefused(t *testing.T) {
	z := newZitadelExchanger(t)
	const subject = "ci-oidc-token-nobody-accepted"
	path := subjectFile(t, t.TempDir(), subject)
	svc := zitadelService(t, z, `subject_token = "file:`+path+`"`, "")
	_, err := svc.Token(zitadelCtx(t), "ci", time.Minute)
	var pe *fault.ProviderError
	if !errors.As(err, &pe) || pe.Status != http.StatusBadRequest || pe.Code != "invalid_request" || err.Error() != "ci: invalid_request: subject_token is invalid" ||
		pe.Hint != "check subject_token and subject_token_type (RFC 8693 §2.2.2)" {
		t.Fatalf("err = %v (%#v)", err, pe)
	}
	if msg := err.Error(); strings.Contains(msg, subject) || strings.Contains(msg, zitadelCISecret) || strings.Contains(msg, "\n") {
		t.Errorf("error %q quotes a secret or spans lines", msg)
	}
	if n := len(z.exchanges()); n != 0 {
		t.Errorf("zitadel validated %d exchanges", n)
	}
	st, _ := svc.State("ci")
	if st.Token != nil || !strings.Contains(st.LastError, "invalid_request") || strings.Contains(st.LastError, subject) {
		t.Errorf("saved token %v, last error %q", st.Token != nil, st.LastError)
	}
}
