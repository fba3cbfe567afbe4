/*
 * itest: integration-test harness (see itest.h). Owns a second libpq
 * connection for setup and inspection, separate from the store's.
 */
#include <CUnit/CUnit.h>
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api.h"
#include "itest.h"
#include "sesscache.h"
#include "store.h"
#include "util.h"

struct config itest_cfg;
static PGconn *tdb;
static const char *test_url;

/* 32 bytes of test key material, base64url: a fixed, test-only secret. */
#define TEST_KEY "t1:dGVzdC1vbmx5LXNpZ25pbmcta2V5LW9mLTMyLWJ5dGVzISE"

void
itest_reset_config(void)
{
	char err[256];
	char *env[] = { NULL };

	config_clear(&itest_cfg);
	config_init(&itest_cfg);
	if (config_set(&itest_cfg, "database_url", test_url, err, sizeof(err)) != 0 ||
	    config_set(&itest_cfg, "signing_keys", TEST_KEY, err, sizeof(err)) != 0 ||
	    config_set(&itest_cfg, "scrypt_n", "1024", err, sizeof(err)) != 0 ||
	    config_set(&itest_cfg, "scrypt_p", "1", err, sizeof(err)) != 0 ||
	    config_set(&itest_cfg, "allow_registration", "true", err, sizeof(err)) != 0 ||
	    /* Tests sign in many times from one address; the throttle tests
	     * set their own limits. */
	    config_set(&itest_cfg, "address_max_attempts", "100000", err, sizeof(err)) != 0 ||
	    config_set(&itest_cfg, "address_max_writes", "100000", err, sizeof(err)) != 0 ||
	    config_load(&itest_cfg, NULL, env, err, sizeof(err)) != 0) {
		fprintf(stderr, "itest config: %s\n", err);
		abort();
	}
	if (getenv("TETHER_SQL_DIR") != NULL &&
	    config_set(&itest_cfg, "sql_dir", getenv("TETHER_SQL_DIR"), err, sizeof(err)) != 0)
		abort();
}

int
itest_init(void)
{
	test_url = getenv("TETHER_TEST_DATABASE_URL");
	if (test_url == NULL || *test_url == '\0')
		return -1;
	tdb = PQconnectdb(test_url);
	if (PQstatus(tdb) != CONNECTION_OK) {
		fprintf(stderr, "itest: %s", PQerrorMessage(tdb));
		PQfinish(tdb);
		tdb = NULL;
		return -1;
	}
	config_init(&itest_cfg);
	itest_reset_config();
	if (store_open(itest_cfg.database_url) != STORE_OK)
		return -1;
	return 0;
}

void
itest_done(void)
{
	store_close();
	config_clear(&itest_cfg);
	if (tdb != NULL)
		PQfinish(tdb);
	tdb = NULL;
}

struct barrier {
	char want[40];
	bool seen;
};

static void
on_end(const char *sid, void *arg)
{
	struct barrier *b = arg;

	if (strcmp(sid, b->want) == 0)
		b->seen = true;
	else
		sesscache_drop(sid);
}

/*
 * With the session cache on: waits (up to 2 s) until the store's
 * connection has received every notification the test's own statements
 * caused. A notification sent after them arrives after them, so the wait
 * ends when it does, or when the connection is known to be gone.
 * Without it, a test that changes a row behind the API would race the
 * delivery and could see the cache's older answer.
 */
static void
barrier(void)
{
	static unsigned n;
	struct barrier b = { .seen = false };
	const char *vals[1] = { b.want };
	PGresult *res;
	const struct timespec ms = { 0, 1000000 };
	int i;

	if (!sesscache_enabled())
		return;
	snprintf(b.want, sizeof(b.want), "itest-barrier-%u", ++n);
	res = PQexecParams(tdb, "SELECT pg_notify('tether_session_end', $1)", 1, NULL,
	    vals, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		fprintf(stderr, "itest barrier: %s", PQresultErrorMessage(res));
	PQclear(res);
	for (i = 0; i < 2000 && !b.seen; i++)
		if (store_session_ends(on_end, &b) != 0 ||
		    (!b.seen && nanosleep(&ms, NULL) != 0))
			break;
}

void
itest_wipe(void)
{
	PGresult *res = PQexec(tdb,
	    "TRUNCATE users, sessions, refresh_tokens, access_blacklist, "
	    "logout_events, auth_events, login_attempts, session_end_counts RESTART IDENTITY CASCADE");

	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		fprintf(stderr, "itest wipe: %s", PQresultErrorMessage(res));
		abort();
	}
	PQclear(res);
	/* TRUNCATE fires no row triggers: forget by hand what it removed. */
	sesscache_drop(NULL);
}

int
itest_suite_init(void)
{
	itest_reset_config();
	itest_wipe();
	return 0;
}

static PGresult *
vsql(const char *sql, va_list ap)
{
	const char *vals[16];
	int n = 0;
	const char *v;

	while ((v = va_arg(ap, const char *)) != NULL && n < 16)
		vals[n++] = v;
	return PQexecParams(tdb, sql, n, NULL, vals, NULL, NULL, 0);
}

char *
itest_sql(const char *sql, ...)
{
	va_list ap;
	PGresult *res;
	char *out = NULL;

	va_start(ap, sql);
	res = vsql(sql, ap);
	va_end(ap);
	barrier();
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		out = xstrdup(PQntuples(res) > 0 ? PQgetvalue(res, 0, 0) : "");
	else if (PQresultStatus(res) == PGRES_COMMAND_OK)
		out = xstrdup(PQcmdTuples(res));
	else
		fprintf(stderr, "itest sql: %s", PQresultErrorMessage(res));
	PQclear(res);
	return out;
}

char *
itest_sql_all(const char *sql)
{
	PGresult *res = PQexec(tdb, sql);
	char *out = NULL, *next;
	int i;

	if (PQresultStatus(res) == PGRES_TUPLES_OK) {
		out = xstrdup("");
		for (i = 0; i < PQntuples(res); i++) {
			next = xasprintf("%s%s%s", out, i ? " | " : "", PQgetvalue(res, i, 0));
			free(out);
			out = next;
		}
	}
	PQclear(res);
	return out;
}

int64_t
itest_sql_int(const char *sql, ...)
{
	va_list ap;
	PGresult *res;
	int64_t v = -1;

	va_start(ap, sql);
	res = vsql(sql, ap);
	va_end(ap);
	barrier();
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0 &&
	    !PQgetisnull(res, 0, 0))
		v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	else if (PQresultStatus(res) != PGRES_TUPLES_OK)
		fprintf(stderr, "itest sql: %s", PQresultErrorMessage(res));
	PQclear(res);
	return v;
}

/* ---- calling the API ---- */

static void
add_env(char **env, size_t *n, const char *name, const char *value)
{
	if (value != NULL)
		env[(*n)++] = xasprintf("%s=%s", name, value);
}

void
itest_call(struct call *out, const char *method, const char *path,
    const char *body, const struct call_opts *o, time_t now)
{
	static const struct call_opts none;
	char *env[24], *uri = xasprintf("%s%s", itest_cfg.mount_path, path);
	char len[24], *auth = NULL;
	size_t n = 0, i;
	struct req req;

	if (o == NULL)
		o = &none;
	if (o->bearer != NULL)
		auth = xasprintf("Bearer %s", o->bearer);
	snprintf(len, sizeof(len), "%zu", body ? strlen(body) : 0);
	add_env(env, &n, "REQUEST_METHOD", method);
	add_env(env, &n, "REQUEST_URI", uri);
	add_env(env, &n, "REMOTE_ADDR", o->remote_addr ? o->remote_addr : "127.0.0.1");
	add_env(env, &n, "HTTP_USER_AGENT", o->user_agent ? o->user_agent : "itest");
	add_env(env, &n, "HTTP_AUTHORIZATION", auth);
	add_env(env, &n, "HTTP_COOKIE", o->cookie);
	add_env(env, &n, "HTTP_X_CSRF_TOKEN", o->csrf);
	add_env(env, &n, "HTTP_X_ACTIVITY", o->activity);
	add_env(env, &n, "HTTP_X_TOKEN_TRANSPORT", o->transport);
	if (body != NULL) {
		add_env(env, &n, "CONTENT_TYPE",
		    o->content_type ? o->content_type : "application/json");
		add_env(env, &n, "CONTENT_LENGTH", len);
	}
	env[n] = NULL;
	memset(out, 0, sizeof(*out));
	resp_init(&out->resp);
	CU_ASSERT_FATAL(req_init(&req, env, itest_cfg.mount_path, now) == 0);
	if (body != NULL)
		req_set_body(&req, xstrdup(body), strlen(body));
	api_handle(&itest_cfg, &req, &out->resp);
	out->status = out->resp.status;
	if (out->resp.body != NULL)
		out->json = json_tokener_parse(out->resp.body);
	req_clear(&req);
	for (i = 0; i < n; i++)
		free(env[i]);
	free(uri);
	free(auth);
}

void
call_clear(struct call *c)
{
	if (c->json != NULL)
		json_object_put(c->json);
	resp_clear(&c->resp);
	memset(c, 0, sizeof(*c));
}

static json_object *
at_path(const struct call *c, const char *path, bool *found)
{
	json_object *o = c->json, *next;
	char buf[128], *part, *save = NULL;

	*found = false;
	if (o == NULL)
		return NULL;
	snprintf(buf, sizeof(buf), "%s", path);
	for (part = strtok_r(buf, ".", &save); part != NULL;
	    part = strtok_r(NULL, ".", &save)) {
		if (o == NULL || !json_object_object_get_ex(o, part, &next))
			return NULL;
		o = next;
	}
	*found = true;
	return o;
}

const char *
call_str(const struct call *c, const char *path)
{
	bool found;
	json_object *o = at_path(c, path, &found);

	return o != NULL && json_object_is_type(o, json_type_string) ?
	    json_object_get_string(o) : NULL;
}

int64_t
call_int(const struct call *c, const char *path)
{
	bool found;
	json_object *o = at_path(c, path, &found);

	return o != NULL && json_object_is_type(o, json_type_int) ?
	    json_object_get_int64(o) : INT64_MIN;
}

int
call_bool(const struct call *c, const char *path)
{
	bool found;
	json_object *o = at_path(c, path, &found);

	if (o == NULL || !json_object_is_type(o, json_type_boolean))
		return -1;
	return json_object_get_boolean(o) ? 1 : 0;
}

bool
call_has(const struct call *c, const char *path)
{
	bool found;

	(void)at_path(c, path, &found);
	return found;
}

const char *
call_header(const struct call *c, const char *name)
{
	return resp_header(&c->resp, name);
}

char *
call_cookie(const struct call *c, const char *name)
{
	size_t i, nlen = strlen(name);
	const char *v, *end;

	for (i = 0; i < c->resp.nheaders; i++) {
		if (strcasecmp(c->resp.headers[i].name, "Set-Cookie") != 0)
			continue;
		v = c->resp.headers[i].value;
		if (strncmp(v, name, nlen) != 0 || v[nlen] != '=')
			continue;
		v += nlen + 1;
		end = strchr(v, ';');
		return xstrndup(v, end ? (size_t)(end - v) : strlen(v));
	}
	return NULL;
}

int64_t
itest_user(const char *email, const char *password)
{
	struct call c;
	char *body = xasprintf("{\"email\":\"%s\",\"password\":\"%s\","
	    "\"display_name\":\"Test User\"}", email, password);
	int64_t id;

	itest_call(&c, "POST", "/register", body, NULL, T0);
	CU_ASSERT_EQUAL_FATAL(c.status, 201);
	id = call_int(&c, "user.id");
	call_clear(&c);
	free(body);
	return id;
}

void
itest_login(struct tokens *t, const char *email, const char *password,
    bool remember, time_t now)
{
	struct call c;
	char *body = xasprintf("{\"email\":\"%s\",\"password\":\"%s\","
	    "\"remember_me\":%s}", email, password, remember ? "true" : "false");

	memset(t, 0, sizeof(*t));
	itest_call(&c, "POST", "/login", body, NULL, now);
	CU_ASSERT_EQUAL_FATAL(c.status, 200);
	t->access = xstrdup(call_str(&c, "access_token"));
	t->refresh = xstrdup(call_str(&c, "refresh_token"));
	t->sid = xstrdup(call_str(&c, "session.id"));
	t->csrf = call_cookie(&c, "__Host-tether_csrf");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t->access);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t->refresh);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t->sid);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t->csrf);
	t->cookie = xasprintf(
	    "__Host-tether_access=%s; __Host-tether_csrf=%s", t->access, t->csrf);
	call_clear(&c);
	free(body);
}

void
tokens_clear(struct tokens *t)
{
	free(t->access);
	free(t->refresh);
	free(t->sid);
	free(t->csrf);
	free(t->cookie);
	memset(t, 0, sizeof(*t));
}

size_t
call_cookie_count(const struct call *c)
{
	size_t i, n = 0;

	for (i = 0; i < c->resp.nheaders; i++)
		if (strcasecmp(c->resp.headers[i].name, "Set-Cookie") == 0)
			n++;
	return n;
}

int64_t
call_cookie_max_age(const struct call *c, const char *name)
{
	size_t i, nlen = strlen(name);
	const char *v, *age;
	int64_t got, one = -1;

	for (i = 0; i < c->resp.nheaders; i++) {
		v = c->resp.headers[i].value;
		if (strcasecmp(c->resp.headers[i].name, "Set-Cookie") != 0 ||
		    strncmp(v, name, nlen) != 0 || v[nlen] != '=')
			continue;
		if ((age = strstr(v, "; Max-Age=")) == NULL)
			return -2;
		got = strtoll(age + 10, NULL, 10);
		if (one != -1 && got != one)
			return -2;
		one = got;
	}
	return one;
}
