// loadgen: the registry API benchmark's open-loop load generator (scripts/bench_api.py runs it).
//
// Request i of the plan is due at start + i/rate whatever happened to the others: it joins a queue
// at that time and the next free connection sends it. Its latency counts from when it was due, so
// time spent queued behind a slow server is in the figures (no coordinated omission; what wrk2 does,
// and wrk, the closed-loop tool Debian ships, does not). Compiled, one OS thread (GOMAXPROCS=1 by
// default), it takes a few percent of a core at 800 req/s, and reports exactly how much.
//
//	loadgen -url http://127.0.0.1:8000 -plan plan.tsv -rate 200 -connections 64 -out samples.json
//
// plan.tsv: one request a line, "label<TAB>path<TAB>accepted status". The output holds one sample a
// request: [label, status, accepted, ms from due, ms from send, ms queued, ms the generator enqueued
// late, failure], and the generator's own CPU seconds (getrusage) and wall seconds.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

type request struct {
	label    string
	path     string
	accepted int
}

type item struct {
	index    int
	due      time.Time
	enqueued time.Time
}

func cpuSeconds() float64 {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		return -1
	}
	seconds := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return seconds(usage.Utime) + seconds(usage.Stime)
}

func readPlan(path string) ([]request, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	var plan []request
	scanner := bufio.NewScanner(file)
	for scanner.Scan() {
		fields := strings.Split(scanner.Text(), "\t")
		if len(fields) != 3 {
			return nil, fmt.Errorf("plan line %d: want label, path and status separated by tabs", len(plan)+1)
		}
		status, err := strconv.Atoi(fields[2])
		if err != nil {
			return nil, fmt.Errorf("plan line %d: status %q is not a number", len(plan)+1, fields[2])
		}
		plan = append(plan, request{fields[0], fields[1], status})
	}
	return plan, scanner.Err()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func main() {
	base := flag.String("url", "", "the service's base URL")
	planFile := flag.String("plan", "", "the request plan (TSV)")
	rate := flag.Float64("rate", 200, "requests per second, constant arrival rate")
	connections := flag.Int("connections", 64, "connections (each keeps one request in flight)")
	giveUp := flag.Duration("give-up", 60*time.Second, "requests unanswered this long after the schedule ends are errors")
	out := flag.String("out", "", "where the samples go (JSON)")
	flag.Parse()
	if *base == "" || *planFile == "" || *out == "" || *rate <= 0 || *connections <= 0 {
		fmt.Fprintln(os.Stderr, "loadgen: -url, -plan, -out, a positive -rate and -connections are required")
		os.Exit(2)
	}
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
	}
	plan, err := readPlan(*planFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}

	samples := make([][]any, len(plan))
	queue := make(chan item, len(plan))
	var wg sync.WaitGroup
	for c := 0; c < *connections; c++ {
		// One transport per connection, one connection per transport: exactly `connections` sockets.
		transport := &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
			MaxIdleConns:        1,
			MaxIdleConnsPerHost: 1,
			MaxConnsPerHost:     1,
			DisableCompression:  true,
		}
		client := &http.Client{Transport: transport, Timeout: *giveUp}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range queue {
				r := plan[it.index]
				sent := time.Now()
				status, failure := -1, ""
				response, err := client.Get(*base + r.path)
				if err != nil {
					failure = fmt.Sprintf("%T", err)
				} else {
					_, err = io.Copy(io.Discard, response.Body)
					response.Body.Close()
					status = response.StatusCode
					if err != nil {
						status, failure = -1, "read: "+fmt.Sprintf("%T", err)
					}
				}
				done := time.Now()
				samples[it.index] = []any{
					r.label, status, status == r.accepted,
					ms(done.Sub(it.due)), ms(done.Sub(sent)), ms(sent.Sub(it.due)), ms(it.enqueued.Sub(it.due)), failure,
				}
			}
		}()
	}

	cpuStart, wallStart := cpuSeconds(), time.Now()
	start := time.Now().Add(200 * time.Millisecond)
	interval := float64(time.Second) / *rate
	for i := range plan {
		due := start.Add(time.Duration(float64(i) * interval))
		if wait := time.Until(due); wait > 0 {
			time.Sleep(wait)
		}
		queue <- item{i, due, time.Now()}
	}
	close(queue)
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(*giveUp):
	}
	end := time.Now()
	cpu, wall := cpuSeconds()-cpuStart, end.Sub(wallStart).Seconds()
	for i, s := range samples {
		if s == nil { // still queued or in flight when the generator gave up: an error
			due := start.Add(time.Duration(float64(i) * interval))
			samples[i] = []any{plan[i].label, -2, false, ms(end.Sub(due)), 0.0, 0.0, 0.0, "not answered"}
		}
	}
	body, err := json.Marshal(map[string]any{"samples": samples, "cpu_seconds": cpu, "wall_seconds": wall})
	if err == nil {
		err = os.WriteFile(*out, body, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}
