// Package faults holds tests of caremarket under faults, run by go test:
// the server killed (kill -9) during write load, 20 cycles on each
// database; PostgreSQL unreachable mid-load (a TCP proxy the test cuts);
// SQLite's disk full (max_page_count). Each runs on loopback only and
// cleans up after itself. Set CAREMARKET_FAULT_CYCLES to run more or fewer
// kill cycles (-short runs 3).
package faults
