package callback_test

import (
	"fmt"

	"tokentop/flows/callback"
)

func ExampleParseRedirect() {
	for _, raw := range []string{"", "http://localhost:8766/callback", "http://0.0.0.0:8766/callback"} {
		u, err := callback.ParseRedirect(raw)
		if err != nil {
			fmt.Println("redirect_uri", err)
			continue
		}
		fmt.Println(u)
	}
	// Output:
	// http://127.0.0.1:0/callback
	// http://localhost:8766/callback
	// redirect_uri must be on 127.0.0.1, [::1] or localhost (RFC 8252 §7.3)
}
