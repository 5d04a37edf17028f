// Package smtptest is a real, small SMTP server on loopback for tests: it
// speaks enough of RFC 5321 (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) for
// Go's net/smtp client, keeps what it receives, and can refuse a number of
// messages first to test retries.
package smtptest

import (
	"bufio"
	"net"
	"strings"
	"sync"
	"time"
)

// Mail is one message the server accepted.
type Mail struct {
	From string
	To   []string
	Data string // headers and body, as sent (dot-unstuffed)
}

// Server is a running test SMTP server.
type Server struct {
	Addr string
	ln   net.Listener
	mu   sync.Mutex
	mail []Mail
	fail int // refuse this many messages (451) before accepting
	wg   sync.WaitGroup
}

// Start listens on 127.0.0.1 on a free port.
func Start() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{Addr: ln.Addr().String(), ln: ln}
	s.wg.Add(1)
	go s.serve()
	return s, nil
}

// FailNext makes the server refuse the next n messages with a temporary error.
func (s *Server) FailNext(n int) { s.mu.Lock(); s.fail = n; s.mu.Unlock() }

// Mail returns what was received so far.
func (s *Server) Mail() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mail...)
}

// WaitFor waits up to d for at least n messages.
func (s *Server) WaitFor(n int, d time.Duration) []Mail {
	deadline := time.Now().Add(d)
	for {
		m := s.Mail()
		if len(m) >= n || time.Now().After(deadline) {
			return m
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Close stops the server.
func (s *Server) Close() { s.ln.Close(); s.wg.Wait() }

func (s *Server) serve() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.session(conn) }()
	}
}

func (s *Server) session(conn net.Conn) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(conn)
	say := func(line string) { conn.Write([]byte(line + "\r\n")) }
	say("220 caremarket-smtptest ESMTP")
	var cur Mail
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250-caremarket-smtptest")
			say("250 8BITMIME")
		case strings.HasPrefix(cmd, "MAIL FROM:"):
			cur = Mail{From: addr(line)}
			say("250 OK")
		case strings.HasPrefix(cmd, "RCPT TO:"):
			s.mu.Lock()
			refuse := s.fail > 0
			if refuse {
				s.fail--
			}
			s.mu.Unlock()
			if refuse {
				say("451 4.3.0 Try again later")
				continue
			}
			cur.To = append(cur.To, addr(line))
			say("250 OK")
		case cmd == "DATA":
			say("354 End data with <CR><LF>.<CR><LF>")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" || l == ".\n" {
					break
				}
				b.WriteString(strings.TrimPrefix(l, "."))
			}
			cur.Data = b.String()
			s.mu.Lock()
			s.mail = append(s.mail, cur)
			s.mu.Unlock()
			say("250 OK: queued")
		case cmd == "RSET":
			cur = Mail{}
			say("250 OK")
		case cmd == "NOOP":
			say("250 OK")
		case cmd == "QUIT":
			say("221 Bye")
			return
		default:
			say("502 5.5.2 Unrecognised command")
		}
	}
}

// addr reads the address of "MAIL FROM:<a@b> BODY=8BITMIME".
func addr(line string) string {
	_, rest, _ := strings.Cut(line, ":")
	rest = strings.TrimSpace(rest)
	if i, j := strings.Index(rest, "<"), strings.Index(rest, ">"); i >= 0 && j > i {
		return rest[i+1 : j]
	}
	return strings.Fields(rest)[0]
}
