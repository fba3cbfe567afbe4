-- scripts/roles.sql: what the workers' database role may do, and no more.
--
-- Two roles: the owner of the tables, which runs tetherctl migrate, and
-- the app role the workers (and tetherctl's other commands) connect as,
-- which may only read and write rows: no DDL, no other database, and so
-- none of a superuser's ways out (COPY ... PROGRAM) if a query were ever
-- subverted. LISTEN (the session cache) needs no grant.
--
-- Run it as a superuser (or the owner), connected to tether's database,
-- after both roles exist; before or after the migrations, and again at
-- any time (every statement is idempotent):
--
--   psql -v owner=tether_owner -v app=tether_app -d tether -f scripts/roles.sql
--
-- ./quickstart runs it too (scripts/lib.sh, tether_pg_app_role).
\set ON_ERROR_STOP 1

SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database()) \gexec
SELECT format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), :'app') \gexec
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app";
-- The tables the migrations already made, then every one they make later.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO :"app";
