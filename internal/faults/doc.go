// Package faults holds tests of caremarket under faults, run by go test:
// the server killed (kill -9) during write load, 4 cycles on each
// database (CAREMARKET_FAULT_CYCLES=20 for the full run, over two minutes); PostgreSQL unreachable mid-load (a TCP proxy the test cuts);
// SQLite's disk full (max_page_count). Each runs on loopback only and
// cleans up after itself (-short runs 2 kill cycles).
package faults
