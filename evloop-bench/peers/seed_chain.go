// The explanation's Go program, run N times at once: each "async" function
// starts a goroutine that sleeps and sends its result on a buffered channel,
// and the caller "awaits" by receiving from it.
//
//	go run seed_chain.go -n 1000000
//
// Prints "metric time_ms <wall ms>" for evloop-bench; exits non-zero if a
// chain returned a wrong result or the run finished faster than the sleeps allow.
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

var verbose = flag.Bool("v", false, "print progress as the explanation does (use with a small -n)")

// fetchUser starts a goroutine to fetch a user and returns a channel for the result.
func fetchUser(userID string) <-chan string {
	resultChan := make(chan string, 1)
	go func() {
		if *verbose {
			fmt.Println("Fetching user...")
		}
		time.Sleep(100 * time.Millisecond)
		resultChan <- "User-" + userID
	}()
	return resultChan
}

// fetchPosts starts a goroutine to fetch posts and returns a channel.
func fetchPosts(user string) <-chan string {
	resultChan := make(chan string, 1)
	go func() {
		if *verbose {
			fmt.Printf("Fetching posts for %s...\n", user)
		}
		time.Sleep(150 * time.Millisecond)
		resultChan <- "Post-123"
	}()
	return resultChan
}

// fetchComments starts a goroutine to fetch comments and returns a channel.
func fetchComments(post string) <-chan string {
	resultChan := make(chan string, 1)
	go func() {
		if *verbose {
			fmt.Printf("Fetching comments for %s...\n", post)
		}
		time.Sleep(200 * time.Millisecond)
		resultChan <- "Here are the comments."
	}()
	return resultChan
}

// displayComments is the "async" function: each receive is an await.
// It reports whether every step returned what it should.
func displayComments(id int) bool {
	userID := strconv.Itoa(id)
	user := <-fetchUser(userID)
	if *verbose {
		fmt.Printf("Got user: %s\n", user)
	}
	post := <-fetchPosts(user)
	if *verbose {
		fmt.Printf("Got post: %s\n", post)
	}
	comments := <-fetchComments(post)
	if *verbose {
		fmt.Printf("Got comments: %s\n", comments)
	}
	return user == "User-"+userID && post == "Post-123" && comments == "Here are the comments."
}

func main() {
	n := flag.Int("n", 1000000, "number of concurrent chains")
	flag.Parse()

	start := time.Now()
	var wg sync.WaitGroup
	var wrong int64
	for i := 0; i < *n; i++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			if !displayComments(id) {
				atomic.AddInt64(&wrong, 1)
			}
		}(i)
	}
	wg.Wait()
	elapsed := time.Since(start)

	if wrong != 0 {
		fmt.Fprintf(os.Stderr, "seed_chain: %d chains returned wrong results\n", wrong)
		os.Exit(1)
	}
	if *n > 0 && elapsed < 450*time.Millisecond {
		fmt.Fprintf(os.Stderr, "seed_chain: finished in %v, before its sleeps could\n", elapsed)
		os.Exit(1)
	}
	fmt.Printf("metric time_ms %.3f\n", float64(elapsed.Nanoseconds())/1e6)
}
