-- provider performance: monthly totals beside the daily summary, the days keyed by day first
-- A lot's league table over a year or two adds up the calendar months
-- wholly inside the period from perf_months (the same counts as perf_days,
-- a row per council, lot, provider and month, keyed by the month's first
-- day) and only the days at either end from perf_days, which is now kept
-- in day order within a lot so those few days are read in one range. The
-- writes keep both in the same transaction; the whole summary is worked
-- out again from the records when the server next starts
-- (perf_state.filled), which fills the months too.
DROP TABLE perf_days;
UPDATE perf_state SET filled = FALSE WHERE id = 1;
