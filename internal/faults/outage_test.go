package faults

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caremarket/caremarket/storage/storagetest"
)

// proxy is a TCP proxy on loopback to a server, which the test can cut
// (every connection closed, new ones refused) and restore.
type proxy struct {
	ln       net.Listener
	upstream string
	mu       sync.Mutex
	cut      bool
	conns    map[net.Conn]bool
}

func newProxy(t *testing.T, upstream string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, upstream: upstream, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); p.setCut(true) })
	go p.serve()
	return p
}

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.cut {
			p.mu.Unlock()
			c.Close()
			continue
		}
		u, err := net.Dial("tcp", p.upstream)
		if err != nil {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns[c], p.conns[u] = true, true
		p.mu.Unlock()
		go func() { io.Copy(u, c); u.Close(); c.Close() }()
		go func() { io.Copy(c, u); u.Close(); c.Close() }()
	}
}

// setCut cuts the line (closing every connection through it) or restores it.
func (p *proxy) setCut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	if cut {
		for c := range p.conns {
			c.Close()
		}
		clear(p.conns)
	}
}

// TestPostgresUnreachable: PostgreSQL goes away mid-load (the line to it is
// cut). Requests get 503 with a message a person understands, nothing is
// half-written, and when it comes back the same server works again without
// a restart.
func TestPostgresUnreachable(t *testing.T) {
	base := os.Getenv(storagetest.EnvPostgres)
	if base == "" {
		t.Skipf("PostgreSQL skipped: %s is not set", storagetest.EnvPostgres)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	px := newProxy(t, u.Host)
	u.Host = px.ln.Addr().String()
	q := u.Query()
	q.Set("connect_timeout", "2")
	u.RawQuery = q.Encode()
	tg := postgresTarget(t, u.String())
	m := seed(t, tg.cfg, 400)

	db, serverURL, client := serveInProcess(t, tg.cfg)

	var acked []accepted
	next := 0
	load := func(n int) (statuses map[int]int, msgs []string) {
		statuses = map[int]int{}
		for i := 0; i < n && next < len(m.offers); i++ {
			status, placement, msg, err := accept(client, serverURL, m.token, m.offers[next])
			if err != nil {
				t.Fatalf("offer %d: no answer: %v", m.offers[next], err)
			}
			statuses[status]++
			if status == http.StatusCreated {
				acked = append(acked, accepted{m.offers[next], placement})
			} else {
				msgs = append(msgs, msg)
			}
			next++
		}
		return statuses, msgs
	}
	if st, msgs := load(20); st[http.StatusCreated] != 20 {
		t.Fatalf("before the outage: %v %q", st, msgs)
	}
	px.setCut(true)
	st, msgs := load(20)
	if st[http.StatusServiceUnavailable] != 20 {
		t.Fatalf("during the outage: statuses %v, messages %q; want every one 503", st, msgs)
	}
	if !strings.Contains(msgs[0], "unavailable: The database cannot be reached just now") {
		t.Fatalf("during the outage the message is %q", msgs[0])
	}
	// The health check says so too.
	if resp, err := client.Get(serverURL + "/healthz"); err != nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("healthz during the outage: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	px.setCut(false)
	// Back: the same server, no restart. The pool drops its dead
	// connections and opens new ones.
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, _ := load(1)
		if st[http.StatusCreated] == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not recover within 30 s of the database coming back: %v", st)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if st, msgs := load(20); st[http.StatusCreated] != 20 {
		t.Fatalf("after the outage: %v %q", st, msgs)
	}
	// Nothing half-written: the refused acceptances left their offers
	// pending, and placements, vacancies and audit records agree.
	consistent(t, db.SQL(), m, acked)
	var pending int
	db.SQL().QueryRow(`SELECT COUNT(*) FROM offers WHERE status = 'pending'`).Scan(&pending)
	if want := len(m.offers) - len(acked); pending != want {
		t.Fatalf("%d offers pending, want %d (every refused acceptance left its offer as it was)", pending, want)
	}
	verifyAudit(t, binary(t), tg)
}
