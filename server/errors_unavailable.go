package server

import (
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/caremarket/caremarket"
)

// Messages for a database that cannot take the request. Every change is one
// transaction, so nothing is ever half-saved; a change whose answer was
// lost with the connection may or may not have been saved as a whole, so
// the message says to look before trying again.
const (
	msgUnreachable = "The database cannot be reached just now. Nothing is half-saved: check whether your change shows, then try again in a minute."
	msgFull        = "The database's disk is full, so this change was not saved. Tell the service's administrators: it works again once space is freed."
)

// unavailable turns an error meaning the database is unreachable (the
// connection refused, reset or closed; PostgreSQL shutting down) or full
// (SQLite's SQLITE_FULL, PostgreSQL's disk full) into EUNAVAILABLE with a
// message a person can act on; any other error is returned as it is.
func unavailable(err error) error {
	if err == nil || caremarket.ErrorCode(err) != caremarket.EINTERNAL {
		return err
	}
	s := err.Error()
	if strings.Contains(s, "database or disk is full") || strings.Contains(s, "SQLSTATE 53100") || strings.Contains(s, "no space left on device") {
		return caremarket.Errorf(caremarket.EUNAVAILABLE, "%s", msgFull)
	}
	var netErr net.Error
	switch {
	case errors.As(err, &netErr), errors.Is(err, driver.ErrBadConn), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return caremarket.Errorf(caremarket.EUNAVAILABLE, "%s", msgUnreachable)
	}
	for _, m := range []string{"failed to connect", "connection refused", "connection reset", "broken pipe", "conn closed",
		"unexpected EOF", "SQLSTATE 57P01", "SQLSTATE 57P02", "SQLSTATE 57P03", "SQLSTATE 08"} {
		if strings.Contains(s, m) {
			return caremarket.Errorf(caremarket.EUNAVAILABLE, "%s", msgUnreachable)
		}
	}
	return err
}
