package oauth

import (
	"net/http"
	"testing"
	"time"
)

// TestClockSkew: the local clock is 10 minutes ahead of the
// server's Date. expires_in counts from the local send time, whatever the
// Date says; Amino's absolute expiry is corrected by the Date, so the token
// still has the hour the server meant.
func TestClockSkew(t *testing.T) {
	local := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	server := local.Add(-10 * time.Minute)
	date := server.Format(http.TimeFormat)

	h := http.Header{"Content-Type": {"application/json"}, "Date": {date}}
	tok, err := parseTokenResponse(200, h, []byte(`{"access_token":"a","token_type":"bearer","expires_in":3600}`), local, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !tok.Expiry.Equal(local.Add(time.Hour)) {
		t.Errorf("expires_in: expiry %v, want local send time + 1h (%v)", tok.Expiry, local.Add(time.Hour))
	}

	h = http.Header{"Content-Type": {aminoMediaType}, "Date": {date}}
	body := aminoDoc(`"access_token":"a","login_timestamp":` + itoa64(server.Unix()) + `,"expires_at_timestamp":` + itoa64(server.Add(time.Hour).Unix()))
	tok, err = parseAmino(200, h, []byte(body), local, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !tok.Expiry.Equal(local.Add(time.Hour)) {
		t.Errorf("absolute expiry %v, want %v: the server's Date must correct the local clock", tok.Expiry, local.Add(time.Hour))
	}
	// Without a Date the absolute expiry is read on the local clock: 50 min.
	h.Del("Date")
	tok, err = parseAmino(200, h, []byte(body), local, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !tok.Expiry.Equal(server.Add(time.Hour)) {
		t.Errorf("no Date: expiry %v, want %v", tok.Expiry, server.Add(time.Hour))
	}
}
