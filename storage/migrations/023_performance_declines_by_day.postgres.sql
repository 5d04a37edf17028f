-- the period's declines of a lot, in day order, without visiting the table
CREATE INDEX perf_declines_day ON perf_declines (council_id, lot_id, day) INCLUDE (provider_id, reason, n);
