/*
 * itest: the harness of the integration tests. Connects the store to the
 * PostgreSQL named by TETHER_TEST_DATABASE_URL (the test runner starts a
 * throw-away cluster and applies the migrations), empties the tables
 * between tests, and calls the API in-process with an injected clock:
 * requests are built as the CGI parameters FastCGI would pass.
 * Tests may inspect the database directly through itest_sql*(): the
 * product's SQL stays in store_*.c; this is the test's own window.
 */
#ifndef TETHER_ITEST_H
#define TETHER_ITEST_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "http.h"

/* The configuration every test uses (tests may change fields and must
 * call itest_reset_config() after). Signing key kid "t1". */
extern struct config itest_cfg;
/* A fixed start of time for the injected clock. */
#define T0 ((time_t)1800000000)

/* Returns 0 if a database is configured and reachable (and the store is
 * open on it), -1 otherwise. Call once from main before tu_begin. */
int itest_init(void);
void itest_done(void);
/* CUnit suite init: empties every table and resets the config. */
int itest_suite_init(void);
void itest_reset_config(void);
/* Empties every table (TRUNCATE ... RESTART IDENTITY CASCADE). */
void itest_wipe(void);

/* Runs one SQL statement with text parameters (NULL-terminated list) on
 * the test's own connection; returns the first column of the first row as
 * a new string (caller frees), "" for no rows, NULL on error. */
char *itest_sql(const char *sql, ...);
/* Every row's first column joined with " | " (caller frees), NULL on
 * error: for EXPLAIN output. */
char *itest_sql_all(const char *sql);
/* Same, parsed as an integer (-1 for no row or NULL). */
int64_t itest_sql_int(const char *sql, ...);

struct call_opts {
	const char *bearer;       /* Authorization: Bearer ... */
	const char *cookie;       /* Cookie header */
	const char *csrf;         /* X-CSRF-Token */
	const char *activity;     /* X-Activity */
	const char *transport;    /* X-Token-Transport */
	const char *content_type; /* default application/json when body */
	const char *user_agent;   /* default "itest" */
	const char *remote_addr;  /* default 127.0.0.1 */
};

struct call {
	int status;
	json_object *json; /* parsed body or NULL */
	struct resp resp;
};

/* Calls the API: method, path below the mount ("/login"), body or NULL,
 * options or NULL, at time now. The result is cleared by call_clear(). */
void itest_call(struct call *out, const char *method, const char *path,
    const char *body, const struct call_opts *o, time_t now);
void call_clear(struct call *c);
/* A string at a dotted path of the JSON body ("session.id"), borrowed, or
 * NULL. */
const char *call_str(const struct call *c, const char *path);
/* An integer at a dotted path, or INT64_MIN if absent. */
int64_t call_int(const struct call *c, const char *path);
/* A boolean at a dotted path: 1 true, 0 false, -1 absent or not a boolean. */
int call_bool(const struct call *c, const char *path);
/* True if the dotted path exists (even as null). */
bool call_has(const struct call *c, const char *path);
/* A response header, borrowed, or NULL. */
const char *call_header(const struct call *c, const char *name);
/* The value of cookie name from the response's Set-Cookie headers, as a
 * new string (caller frees), or NULL. */
char *call_cookie(const struct call *c, const char *name);
/* How many Set-Cookie headers the response has. */
size_t call_cookie_count(const struct call *c);
/* The Max-Age of every Set-Cookie of cookie name: the one value they all
 * share, -1 if there is none, -2 if they disagree. */
int64_t call_cookie_max_age(const struct call *c, const char *name);

/* Registers a user directly through the API at T0; asserts 201. Returns
 * the user id. */
int64_t itest_user(const char *email, const char *password);

/* Tokens of one login. Strings owned; tokens_clear() frees them. */
struct tokens {
	char *access;
	char *refresh;
	char *sid;
	char *csrf;   /* from Set-Cookie */
	char *cookie; /* a Cookie header with access + csrf cookies */
};
/* Logs in with the given body options at now; asserts 200. */
void itest_login(struct tokens *t, const char *email, const char *password,
    bool remember, time_t now);
void tokens_clear(struct tokens *t);

#endif
