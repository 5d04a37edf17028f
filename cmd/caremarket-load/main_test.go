package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/caremarket/caremarket/internal/loadtest"
)

// TestLoad runs the tool for about two seconds on a tiny dataset in SQLite:
// both scenarios make requests, and none gets a 5xx.
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test skipped in -short mode")
	}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"--locations", "200", "--prices", "2000", "--duration", "1s", "--concurrency", "4",
		"--offers", "500", "--raw-transactions", "50", "--json"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	var rep loadtest.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, stdout.String())
	}
	if rep.Driver != "sqlite" || rep.Locations != 200 || rep.Prices < 2000 {
		t.Errorf("dataset: %s, %d locations, %d prices; want sqlite, 200, at least 2000", rep.Driver, rep.Locations, rep.Prices)
	}
	if len(rep.Scenarios) != 3 {
		t.Fatalf("%d scenarios, want rank, accept-serial and accept", len(rep.Scenarios))
	}
	if rep.Machine.Cores < 1 || rep.Raw == nil || rep.Raw.Serial <= 0 || len(rep.Cascade) != 2 || rep.InProcessAccept == nil || len(rep.Goals) == 0 {
		t.Errorf("figures: machine %+v, raw %+v, cascade %+v, in-process accept %+v, goals %d", rep.Machine, rep.Raw, rep.Cascade, rep.InProcessAccept, len(rep.Goals))
	}
	for _, s := range rep.Scenarios {
		if s.Requests == 0 || s.PerSecond <= 0 || s.P50 <= 0 || s.P99 < s.P50 || s.Max < s.P99 {
			t.Errorf("%s: %d requests, %.1f req/s, p50 %v, p99 %v, max %v", s.Name, s.Requests, s.PerSecond, s.P50, s.P99, s.Max)
		}
		if n := s.ServerErrors(); n > 0 || s.TransportErrors > 0 {
			t.Errorf("%s: %d 5xx, %d without a response: %v %s %s", s.Name, n, s.TransportErrors, s.Status, s.FirstUnexpectedRaw, s.FirstTransportErr)
		}
	}
	rank, accept := rep.Scenarios[0], rep.Scenarios[2]
	if rank.Name != loadtest.Rank || rank.Status[200] != rank.Requests {
		t.Errorf("rank: statuses %v, want every one 200", rank.Status)
	}
	if accept.Name != loadtest.Accept || accept.Accepted == 0 || accept.Accepted+accept.Conflicts != accept.Requests {
		t.Errorf("accept: %d accepted, %d conflicts of %d requests (%v)", accept.Accepted, accept.Conflicts, accept.Requests, accept.Status)
	}
}

// TestLoopbackOnly: the tool refuses to target anything but this machine.
func TestLoopbackOnly(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:8080", "http://127.3.2.1:1", "http://[::1]:8080", "http://localhost:8080", "http://LOCALHOST"} {
		if err := loadtest.CheckLoopback(u); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	for _, u := range []string{"http://10.0.0.1:8080", "http://example.com", "https://caremarket.kent.gov.uk", "http://128.0.0.1", "ftp://127.0.0.1", "127.0.0.1:8080"} {
		if err := loadtest.CheckLoopback(u); err == nil {
			t.Errorf("%s: accepted, want refused", u)
		}
	}
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"--url", "http://192.0.2.1:8080", "--sqlite", "/nonexistent"}, &bytes.Buffer{}, &stderr)
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("--url 192.0.2.1: %v, want refused for not being loopback", err)
	}
}
