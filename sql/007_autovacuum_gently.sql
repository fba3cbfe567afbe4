-- tether schema, version 007: autovacuum that goes gently on the tables
-- the cleanup deletes from. sql/005 vacuums them after every 2 % of dead
-- rows; a year's first cleanup deletes 9.8 M refresh tokens, so one vacuum
-- of the 4 GB table and its indexes followed another, at PostgreSQL's
-- default pace (autovacuum_vacuum_cost_delay 2 ms since version 12), and
-- the pages it read and dirtied took the disk from the commits beside it:
-- refresh's p99 went to 2 to 5x its quiet figure in a few 10 s windows.
-- Here each of these tables' vacuums sleeps 20 ms (the default before
-- version 12) after every 60 units of cost. A table with settings of its
-- own is left out of autovacuum's sharing of one cost limit among its
-- workers, so 60 is about what each of three workers would get of the
-- default 200. With it, and tetherctl cleanup's pause, refresh's p99
-- stayed within 2x of quiet in 29 of 30 windows of a year's cleanup, and
-- 2.4x in the worst (bench/results/2026-12-01-cleanup.md). A vacuum
-- takes longer, which costs little at the steady state (one every 200 000
-- rotations on a year's table), and the cleanup no longer needs it to keep
-- pace: its batches start where the last one stopped, not at the dead
-- index entries of what it deleted before (store_sql.c, CLEAN_BATCH).
ALTER TABLE refresh_tokens SET (autovacuum_vacuum_cost_delay = 20,
	autovacuum_vacuum_cost_limit = 60);
ALTER TABLE sessions SET (autovacuum_vacuum_cost_delay = 20,
	autovacuum_vacuum_cost_limit = 60);
ALTER TABLE access_blacklist SET (autovacuum_vacuum_cost_delay = 20,
	autovacuum_vacuum_cost_limit = 60);
ALTER TABLE auth_events SET (autovacuum_vacuum_cost_delay = 20,
	autovacuum_vacuum_cost_limit = 60);
ALTER TABLE logout_events SET (autovacuum_vacuum_cost_delay = 20,
	autovacuum_vacuum_cost_limit = 60);
