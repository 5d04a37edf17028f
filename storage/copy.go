package storage

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// copyRows writes n rows into table's columns with PostgreSQL's COPY, in
// tx's transaction, and returns how many it wrote. COPY streams the rows
// as they are encoded and the server stores them in batches, where a
// multi-row INSERT is parsed, planned and executed statement by
// statement. database/sql has no COPY, so it goes through the pgx
// connection the transaction runs on: tx must come from updateOnConn, on
// PostgreSQL (dialect.bulkCopy). A row the table refuses (a duplicate, a
// foreign key) fails the whole copy, and with it the transaction.
func (tx *Tx) copyRows(ctx context.Context, table string, cols []string, n int, row func(i int) ([]any, error)) (int64, error) {
	if tx.conn == nil || !tx.db.dialect.bulkCopy {
		return 0, fmt.Errorf("storage: copy into %s: needs a PostgreSQL transaction on a connection of its own", table)
	}
	var copied int64
	err := tx.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("the driver's connection is a %T, not pgx's", dc)
		}
		var err error
		copied, err = c.Conn().CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromSlice(n, row))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("storage: copy into %s: %w", table, err)
	}
	return copied, nil
}
