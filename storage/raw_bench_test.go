package storage_test

import (
	"context"
	"testing"

	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// BenchmarkRawDurable is the disk's pace: a bare durable transaction (one
// UPDATE of one row plus one INSERT, then commit) with the same connection
// settings caremarket uses (SQLite: WAL, synchronous=FULL, BEGIN IMMEDIATE).
// Acceptance is measured against it.
//
//	go test -run XXX -bench RawDurable -benchtime 2000x ./storage/
func BenchmarkRawDurable(b *testing.B) {
	storagetest.Each(b, func(tb testing.TB, db *storage.DB) {
		b := tb.(*testing.B)
		for _, parallel := range []bool{false, true} {
			name := "serial"
			if parallel {
				name = "parallel"
			}
			b.Run(name, func(b *testing.B) {
				rate, err := storage.RawDurable(context.Background(), db, b.N, map[bool]int{false: 1, true: 16}[parallel])
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(rate, "tx/s")
			})
		}
	})
}
