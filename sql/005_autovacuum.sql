-- tether schema, version 005: autovacuum for the tables that churn.
-- With PostgreSQL's defaults a table is vacuumed once a fifth of it is
-- dead rows (autovacuum_vacuum_scale_factor 0.2) and analyzed once a
-- tenth has changed. A year's refresh_tokens is 10 M rows: 2 M dead rows
-- (every refresh leaves one: the rotated token's old version; the cleanup
-- deletes as many as are issued) pile up before a vacuum, in the heap and
-- in the token-hash index every refresh searches. Per table, a vacuum at 2 %
-- dead (and an analyze at 1 % changed) keeps that to 200 000 rows and the
-- planner's idea of the time columns, which the cleanup's batches read,
-- current (bench/results/2026-12-01-large.md). The audit tables only grow
-- and are deleted from by the cleanup: the same for them, and a vacuum after
-- inserts (PostgreSQL 13) so their pages are marked all-visible early.
ALTER TABLE refresh_tokens SET (autovacuum_vacuum_scale_factor = 0.02,
	autovacuum_analyze_scale_factor = 0.01);
ALTER TABLE sessions SET (autovacuum_vacuum_scale_factor = 0.02,
	autovacuum_analyze_scale_factor = 0.01);
ALTER TABLE access_blacklist SET (autovacuum_vacuum_scale_factor = 0.02,
	autovacuum_analyze_scale_factor = 0.01);
ALTER TABLE auth_events SET (autovacuum_vacuum_scale_factor = 0.02,
	autovacuum_vacuum_insert_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.01);
ALTER TABLE logout_events SET (autovacuum_vacuum_scale_factor = 0.02,
	autovacuum_vacuum_insert_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.01);
