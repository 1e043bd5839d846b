package providertest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"tokentop/flows/providertest"
)

// A test starts one server for every provider and points a connection at
// its URLs; the request log then shows what went over the wire.
func Example() {
	s := providertest.New(providertest.Options{})
	defer s.Close()

	form := url.Values{"grant_type": {"client_credentials"}}
	req, _ := http.NewRequest(http.MethodPost, s.AikidoTokenURL(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// RFC 6749 §2.3.1: form-encode the id and secret before Basic.
	req.SetBasicAuth(url.QueryEscape(providertest.AikidoClientID), url.QueryEscape(providertest.AikidoClientSecret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()

	fmt.Println(resp.Status)
	fmt.Println(s.Count(providertest.Aikido, "client_credentials"))
	fmt.Println(s.Requests(providertest.Aikido)[0])
	// Output:
	// 200 OK
	// 1
	// POST /aikido/api/oauth/token grant=client_credentials status=200
}

// FailNext scripts the provider's next answers, such as a rate limit.
func ExampleServer_FailNext() {
	s := providertest.New(providertest.Options{})
	defer s.Close()
	s.FailNext(providertest.Aerion, 1, http.StatusTooManyRequests, `{"error":"slow down"}`, http.Header{"Retry-After": {"3"}})

	resp, err := http.PostForm(s.AerionTokenURL(), url.Values{"grant_type": {"password"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("Retry-After"))
	// Output: 429 3
}

// Browse approves a browser sign-in without a browser: the redirect reaches
// the loopback listener of the sign-in being tested.
func ExampleBrowse() {
	s := providertest.New(providertest.Options{})
	defer s.Close()

	// Stands in for tokentop's loopback listener.
	states := make(chan string, 1)
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		states <- r.URL.Query().Get("state")
	}))
	defer cb.Close()

	authorize := s.AikidoAuthURL() + "?" + url.Values{
		"client_id": {providertest.AikidoClientID}, "redirect_uri": {cb.URL}, "state": {"xyz"},
	}.Encode()
	if err := providertest.Browse(context.Background(), authorize); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("state", <-states)
	// Output: state xyz
}
