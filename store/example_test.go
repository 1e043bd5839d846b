package store_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"tokentop/flows"
	"tokentop/store"
)

func Example() {
	dir, err := os.MkdirTemp("", "tokentop-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	db, err := store.Open(filepath.Join(dir, "tokentop", "tokentop.db"), store.Options{Timeout: 2 * time.Second})
	if err != nil {
		log.Fatal(err)
	}
	// A renewal saves the new access token and the rotated refresh token
	// together.
	err = db.Update("aha", func(s *flows.State) error {
		s.Token = &flows.Token{
			AccessToken:  "at-0123456789abcdefghij",
			RefreshToken: "rt-0123456789abcdefghij",
			TokenType:    "Bearer",
		}
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	s, err := db.Load("aha")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(s.Rev, s.Token) // a Token prints masked

	changed, mark, err := db.Changed(0)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(changed), mark)
	// Output:
	// 1 token at-0…ghij (refresh token rt-0…ghij)
	// 1 1
}

func ExampleDB_Lock() {
	dir, err := os.MkdirTemp("", "tokentop-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	db, err := store.Open(filepath.Join(dir, "tokentop.db"), store.Options{})
	if err != nil {
		log.Fatal(err)
	}

	// Only one tokentop renews a connection at a time; the others wait and
	// then find the fresh token with Load.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	unlock, err := db.Lock(ctx, "aha")
	if err != nil {
		log.Fatal(err)
	}
	defer unlock()
	fmt.Println("renewing aha")
	// Output: renewing aha
}
