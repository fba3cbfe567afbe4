/*
 * store_db: the connection driver of the store. One persistent libpq
 * connection per process (the only global besides the configuration),
 * statements prepared lazily once per connection, a broken connection
 * reset on the next call. See store_db.h for the failure model.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "metrics.h"
#include "store_db.h"
#include "util.h"

/* The worker's database handle: the only global besides the config. */
static struct {
	PGconn *conn;
	char *conninfo;
	struct store_limits lim;
	bool prepared[STMT__MAX];
	bool in_tx;
	/* The lifetimes of the sessions ended inside the open transaction
	 * ("REASON:seconds,..."; owned, NULL for none): counted at COMMIT,
	 * dropped at ROLLBACK, so the histogram never counts an end that did
	 * not happen. */
	char *tx_lifetimes;
	bool want_listen; /* LISTEN for session ends on every connection */
	bool listening; /* ... and this connection does */
	bool lost; /* the server said FATAL between our queries */
	uint64_t conn_id; /* counts successful (re)connections */
	/* Transaction pooling (store_set_pooling): conn goes through the
	 * pooler, and LISTEN happens on lconn only, a direct connection to
	 * listen_info (owned; NULL: none). */
	bool pooled;
	char *listen_info;
	PGconn *lconn;
	bool llost; /* lost, as lost for conn */
	uint64_t lconn_id; /* counts lconn's successful (re)connections */
	int64_t lretry_ms; /* no new lconn before this (after a failure) */
	uint64_t sent; /* statements sent (tests count round trips) */
	uint64_t round_trips; /* answers waited for: statements, BEGIN, pipelines */
} db;

static void tx_lifetimes_settle(bool committed);
static bool listen_conn_ready(void);

const char *
db_num(struct num *n, int64_t v)
{
	snprintf(n->s, sizeof(n->s), "%" PRId64, v);
	return n->s;
}

/* Session ids come from tokens and URLs; anything not shaped like a UUID
 * is NOTFOUND here rather than a type error (and a 503) in PostgreSQL. */
bool
db_uuid_ok(const char *s)
{
	size_t i;

	if (s == NULL || strlen(s) != SESSION_ID_LEN)
		return false;
	for (i = 0; i < SESSION_ID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (strchr("0123456789abcdefABCDEF", s[i]) == NULL || s[i] == '\0')
			return false;
	}
	return true;
}

/*
 * Server notices ("relation already exists, skipping") are not errors. But
 * a FATAL that arrives while we are idle (the server shutting down, or
 * pg_terminate_backend) also comes here, with the connection still looking
 * fine: mark it lost, so nobody trusts it to have delivered every
 * notification, and the next call reconnects.
 */
static void
on_notice(void *arg, const PGresult *res)
{
	const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	bool *lost = arg; /* db.lost or db.llost */

	if (sev != NULL && (strcmp(sev, "FATAL") == 0 || strcmp(sev, "PANIC") == 0))
		*lost = true;
	log_debug("database: %s", PQresultErrorMessage(res));
}


/*
 * The connection is no longer trusted (no answer in time): closed, so the
 * next call connects afresh. A transaction on it is lost, which PostgreSQL
 * rolls back when it sees the socket closed: nothing is half-written.
 */
static void
drop_conn(PGconn **c, const char *what)
{
	log_warn("database: no answer to %s within %" PRId64 "s; dropping the connection",
	    what, db.lim.statement_timeout + STORE_ANSWER_SLACK_S);
	PQfinish(*c);
	*c = NULL;
	if (c == &db.conn)
		db.listening = false;
	/* db.in_tx stays until the caller's ROLLBACK: a statement of the lost
	 * transaction must fail, not run alone on a new connection. */
}

/*
 * Waits until PQgetResult() will not block (true), or false when the
 * server did not answer by deadline (limited: statement_timeout set) or
 * poll() failed. *broken persists across the calls for one answer: once
 * the connection broke, PQgetResult returns its error at once, then NULL.
 */
static bool
wait_ready(PGconn *c, int64_t deadline, bool limited, bool *broken)
{
	struct pollfd pfd;
	int64_t left;
	int flush = 1, rc;

	for (;;) {
		if (flush == 1)
			flush = PQflush(c);
		if (*broken || flush == -1 || (flush == 0 && !PQisBusy(c)))
			return true;
		left = limited ? deadline - util_mono_ms() : -1;
		if (limited && left <= 0)
			return false;
		pfd.fd = PQsocket(c);
		pfd.events = POLLIN | (flush == 1 ? POLLOUT : 0);
		pfd.revents = 0;
		rc = poll(&pfd, 1, limited ? (int)(left < INT_MAX ? left : INT_MAX) : -1);
		if (rc < 0 && errno != EINTR)
			return false;
		if (rc > 0 && (pfd.revents & (POLLIN | POLLERR | POLLHUP)) != 0 &&
		    PQconsumeInput(c) == 0)
			*broken = true;
	}
}

static int64_t
answer_deadline(void)
{
	return util_mono_ms() + (db.lim.statement_timeout + STORE_ANSWER_SLACK_S) * 1000;
}

/*
 * Waits for the answer to what was just sent (sent: PQsend* succeeded) and
 * returns its last result (the caller PQclears), or NULL with the
 * connection dropped when the server did not answer in time. The server's
 * statement_timeout should cancel first, STORE_ANSWER_SLACK_S earlier; this
 * is for a server that cannot (stopped, frozen, unreachable). Without a
 * statement_timeout it waits as long as libpq would.
 */
static PGresult *
await_on(PGconn **c, int sent, const char *what)
{
	int64_t deadline = answer_deadline();
	bool limited = db.lim.statement_timeout > 0, broken = false;
	PGresult *res, *last = NULL;

	if (!sent)
		return PQgetResult(*c); /* NULL: the caller reads PQerrorMessage */
	db.round_trips++;
	while (wait_ready(*c, deadline, limited, &broken)) {
		if ((res = PQgetResult(*c)) == NULL)
			return last;
		PQclear(last);
		last = res;
	}
	PQclear(last);
	drop_conn(c, what);
	return NULL;
}

/* await_on the worker's (pooled or direct) connection. */
static PGresult *
await(int sent, const char *what)
{
	return await_on(&db.conn, sent, what);
}

/* Utility statement, no parameters: it cannot be prepared. Failing
 * leaves db.listening false, and the callers of store_session_ends then
 * know nothing can be cached on this connection. */
static void
listen_ends(void)
{
	PGresult *res = await(PQsendQuery(db.conn, "LISTEN tether_session_end"),
	    "LISTEN");

	if (db.conn == NULL)
		return;
	db.listening = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!db.listening)
		log_warn("database: LISTEN: %s", PQresultErrorMessage(res));
	PQclear(res);
}

/* Seconds as a libpq or PostgreSQL value; 0 leaves the option out. */
static const char *
secs(char *buf, size_t size, int64_t s, int64_t scale)
{
	if (s <= 0)
		return NULL;
	snprintf(buf, size, "%" PRId64, s * scale);
	return buf;
}

/*
 * A new connection with the configured limits. The limits come first and
 * database_url last (expand_dbname), so an option written in the URL wins:
 * an operator who set connect_timeout there keeps it.
 */
static PGconn *
connect_new(const char *conninfo)
{
	char ct[24], ka[24], tu[24];
	const char *keys[9], *vals[9];
	int n = 0;

#define OPT(k, v)                                                                        	do {                                                                             		const char *v_ = (v);                                                    		if (v_ != NULL) {                                                        			keys[n] = (k);                                                   			vals[n++] = v_;                                                  		}                                                                        	} while (0)
	OPT("connect_timeout", secs(ct, sizeof(ct), db.lim.connect_timeout, 1));
	if (db.lim.keepalive > 0) {
		OPT("keepalives", "1");
		OPT("keepalives_idle", secs(ka, sizeof(ka), db.lim.keepalive, 1));
		OPT("keepalives_interval", secs(ka, sizeof(ka), db.lim.keepalive, 1));
		OPT("keepalives_count", "3");
	}
	OPT("tcp_user_timeout", secs(tu, sizeof(tu), db.lim.tcp_user_timeout, 1000));
#undef OPT
	keys[n] = "dbname";
	vals[n++] = conninfo;
	keys[n] = NULL;
	vals[n] = NULL;
	return PQconnectdbParams(keys, vals, 1);
}

/* statement_timeout and lock_timeout for this session, and no JIT (a SET,
 * not startup options: a pooler such as pgbouncer may refuse those). */
static bool
set_limits(void)
{
	char st[24], lt[24];
	const char *v[2];
	PGresult *res;
	bool ok;

	v[0] = secs(st, sizeof(st), db.lim.statement_timeout, 1000);
	v[1] = secs(lt, sizeof(lt), db.lim.lock_timeout, 1000);
	/* Neither set: the server's (or the role's) own settings (NULL);
	 * one set: the other off (tetherctl's migrations may run long). */
	if (v[0] != NULL || v[1] != NULL) {
		v[0] = v[0] ? v[0] : "0";
		v[1] = v[1] ? v[1] : "0";
	}
	res = await(PQsendQueryParams(db.conn, db_stmts[S_SET_LIMITS].sql, 2, NULL, v, NULL,
	    NULL, 0), "set_limits");
	ok = PQresultStatus(res) == PGRES_TUPLES_OK;
	if (!ok && db.conn != NULL)
		log_error("database: set_limits: %s", PQerrorMessage(db.conn));
	PQclear(res);
	return ok;
}

/*
 * Transaction pooling: a session SET would stay on whichever server
 * connection ran it (another client's, next), so tether makes none. Its
 * transactions carry their limits (SET LOCAL, see db_tx); a statement
 * outside one runs with the role's. Says once if the role's are looser
 * than the configured ones (the worker's own deadline, statement_timeout
 * + STORE_ANSWER_SLACK_S, still holds).
 */
static void
check_role_limits(void)
{
	static bool warned;
	PGresult *res;
	int64_t st, lt;

	if (warned || (db.lim.statement_timeout <= 0 && db.lim.lock_timeout <= 0))
		return;
	res = await(PQsendQueryParams(db.conn, db_stmts[S_SHOW_LIMITS].sql, 0, NULL, NULL,
	    NULL, NULL, 0), "show_limits");
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
		st = db_int(res, 0, 0);
		lt = db_int(res, 0, 1);
		if ((db.lim.statement_timeout > 0 &&
		        (st == 0 || st > db.lim.statement_timeout * 1000)) ||
		    (db.lim.lock_timeout > 0 && (lt == 0 || lt > db.lim.lock_timeout * 1000)))
			log_warn("database: database_pooler = transaction: a statement outside a "
			    "transaction runs with the role's limits (statement_timeout %" PRId64
			    " ms, lock_timeout %" PRId64 " ms; 0 = none), looser than "
			    "database_statement_timeout and database_lock_timeout: set them on the "
			    "role (ALTER ROLE ... SET statement_timeout = ...)", st, lt);
		warned = true;
	}
	PQclear(res);
}

void
store_set_limits(const struct store_limits *lim)
{
	db.lim = *lim;
}

void
store_set_pooling(bool transaction, const char *listen_conninfo)
{
	util_free_secret(db.listen_info);
	db.listen_info = listen_conninfo != NULL && *listen_conninfo != '\0'
	    ? xstrdup(listen_conninfo)
	    : NULL;
	db.pooled = transaction;
}

bool
db_connect(void)
{
	bool first = db.conn == NULL;

	if (db.conninfo == NULL || (first && db.in_tx))
		return false;
	if (first)
		db.conn = connect_new(db.conninfo);
	else if (PQstatus(db.conn) != CONNECTION_OK || (db.lost && !db.in_tx))
		PQreset(db.conn);
	else
		return true;
	memset(db.prepared, 0, sizeof(db.prepared));
	tx_lifetimes_settle(false); /* a transaction lost with the connection */
	db.in_tx = false;
	db.listening = false;
	db.lost = false;
	if (PQstatus(db.conn) != CONNECTION_OK) {
		log_warn("database: cannot connect: %s", PQerrorMessage(db.conn));
		return false;
	}
	PQsetNoticeReceiver(db.conn, on_notice, &db.lost);
	if (db.pooled)
		check_role_limits();
	else if (!set_limits()) {
		/* A connection without its limits could hang a worker: none. */
		PQfinish(db.conn);
		db.conn = NULL;
		return false;
	}
	db.conn_id++;
	if (db.want_listen && db.pooled)
		(void)listen_conn_ready(); /* if it is not up already */
	else if (db.want_listen)
		listen_ends();
	if (first)
		log_debug("database: connected");
	else
		log_info("database: reconnected");
	return true;
}

static bool
prepare(enum stmt id)
{
	PGresult *res;
	bool ok;

	if (db.prepared[id])
		return true;
	res = await(PQsendPrepare(db.conn, db_stmts[id].name, db_stmts[id].sql, 0, NULL),
	    db_stmts[id].name);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok && db.conn != NULL)
		log_error("database: prepare %s: %s", db_stmts[id].name,
		    PQresultErrorMessage(res));
	PQclear(res);
	db.prepared[id] = ok;
	return ok;
}

static enum store_err
classify(PGresult *res, enum stmt id)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	if (state != NULL && strcmp(state, "23505") == 0)
		return STORE_CONFLICT;
	/* Data exception: the values sent were refused, the database is fine.
	 * Not its message: it quotes the client's bytes. */
	if (state != NULL && strncmp(state, "22", 2) == 0) {
		log_warn("database: %s: data refused (SQLSTATE %s)", db_stmts[id].name, state);
		return STORE_INVALID;
	}
	log_error("database: %s: %s", db_stmts[id].name,
	    res ? PQresultErrorMessage(res) : PQerrorMessage(db.conn));
	return STORE_UNAVAILABLE;
}

/*
 * Runs statement id with n text parameters (NULL entries are SQL NULL).
 * Returns the result (caller PQclears) with *err = STORE_OK, or NULL with
 * *err set. Retries once on a fresh connection when the connection broke
 * outside a transaction: the first request after a database restart works.
 */
PGresult *
db_run(enum stmt id, int n, const char *const *vals, enum store_err *err)
{
	PGresult *res = NULL;
	ExecStatusType st;
	int attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		*err = STORE_UNAVAILABLE;
		/* A connection that cannot be made now is not tried again at
		 * once: against a frozen server that would double the wait
		 * (connect_timeout). One that broke under prepare is. */
		if (!db_connect())
			return NULL;
		if (!db.pooled && !prepare(id)) {
			if (db.in_tx || db.conn == NULL || PQstatus(db.conn) == CONNECTION_OK)
				return NULL;
			continue;
		}
		db.sent++;
		/* Pooled: the unnamed statement, parsed with each call (in the
		 * same round trip), since a name prepared on one server
		 * connection means nothing on the next. */
		res = await(db.pooled ? PQsendQueryParams(db.conn, db_stmts[id].sql, n, NULL,
		                            vals, NULL, NULL, 0)
		                      : PQsendQueryPrepared(db.conn, db_stmts[id].name, n,
		                            vals, NULL, NULL, 0),
		    db_stmts[id].name);
		/* No answer in time: not retried, that would only double the wait
		 * (and the statement may yet have run). */
		if (db.conn == NULL)
			return NULL;
		st = PQresultStatus(res);
		if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
			*err = STORE_OK;
			return res;
		}
		if (PQstatus(db.conn) == CONNECTION_OK || db.in_tx) {
			*err = classify(res, id);
			PQclear(res);
			return NULL;
		}
		log_warn("database: connection lost during %s; reconnecting",
		    db_stmts[id].name);
		PQclear(res);
		res = NULL;
	}
	return NULL;
}

PGresult *
db_run_locked(enum stmt lock, enum stmt id, int n, const char *const *vals,
    enum store_err *err)
{
	PGresult *res = NULL, *l;

	if (db.in_tx)
		return db_run(id, n, vals, err);
	if ((*err = db_tx("BEGIN")) != STORE_OK)
		return NULL;
	if ((l = db_run(lock, 1, vals, err)) != NULL) {
		PQclear(l);
		res = db_run(id, n, vals, err);
	}
	if (res == NULL)
		(void)db_tx("ROLLBACK");
	else if ((*err = db_tx("COMMIT")) != STORE_OK) {
		PQclear(res);
		res = NULL;
	}
	return res;
}

/*
 * The BEGIN of transaction pooling: the limits as SET LOCAL in the same
 * round trip (a simple query of several statements), so they hold for
 * this transaction on whichever server connection runs it, and go with it.
 * The values are the configuration's numbers, not a client's.
 */
static const char *
begin_sql(char *buf, size_t size)
{
	int n = snprintf(buf, size, "BEGIN");

	if (db.lim.statement_timeout > 0)
		n += snprintf(buf + n, size - (size_t)n, "; SET LOCAL statement_timeout = %" PRId64,
		    db.lim.statement_timeout * 1000);
	if (db.lim.lock_timeout > 0)
		snprintf(buf + n, size - (size_t)n, "; SET LOCAL lock_timeout = %" PRId64,
		    db.lim.lock_timeout * 1000);
	return buf;
}

/*
 * BEGIN / COMMIT / ROLLBACK (transaction control cannot be prepared).
 * BEGIN is retried once on a fresh connection, like db_run().
 */
enum store_err
db_tx(const char *what)
{
	bool begin = strcmp(what, "BEGIN") == 0;
	char sql[128];
	PGresult *res;
	int attempt;

	for (attempt = 0; attempt < (begin ? 2 : 1); attempt++) {
		if (begin && !db_connect())
			break; /* as in db_run: no second connection attempt */
		if (db.conn == NULL)
			break; /* dropped inside the transaction: it is gone */
		res = await(PQsendQuery(db.conn,
		                begin && db.pooled ? begin_sql(sql, sizeof(sql)) : what),
		    what);
		if (db.conn == NULL)
			break;
		if (PQresultStatus(res) == PGRES_COMMAND_OK) {
			PQclear(res);
			if (!begin)
				tx_lifetimes_settle(strcmp(what, "COMMIT") == 0);
			db.in_tx = begin;
			return STORE_OK;
		}
		log_error("database: %s: %s", what, PQresultErrorMessage(res));
		PQclear(res);
		if (PQstatus(db.conn) == CONNECTION_OK)
			break;
	}
	tx_lifetimes_settle(false);
	db.in_tx = false;
	return STORE_UNAVAILABLE;
}

/* One step of a pipeline: SQL without parameters (tx: BEGIN, COMMIT,
 * SET LOCAL), or statement id with its parameters when tx is NULL. */
struct step {
	const char *tx;
	enum stmt id;
	int n;
	const char *const *vals;
};

static bool
send_step(const struct step *s)
{
	if (s->tx != NULL)
		return PQsendQueryParams(db.conn, s->tx, 0, NULL, NULL, NULL, NULL, 0) == 1;
	db.sent++;
	/* Pooled: the unnamed statement, as in db_run. */
	if (db.pooled)
		return PQsendQueryParams(db.conn, db_stmts[s->id].sql, s->n, NULL, s->vals, NULL,
		           NULL, 0) == 1;
	return PQsendQueryPrepared(db.conn, db_stmts[s->id].name, s->n, s->vals, NULL, NULL,
	           0) == 1;
}

/*
 * Sends the n steps in libpq's pipeline mode and waits for their answers:
 * one round trip instead of n. res[i] gets step i's last result (NULL if
 * it had none; the caller PQclears each). A step after a failed one is
 * not run (PGRES_PIPELINE_ABORTED). Returns 1 when every answer came;
 * otherwise the connection is closed (its state inside a half-read
 * pipeline is not worth trusting) and it returns 0 when the connection
 * broke, -1 when the server did not answer in time.
 */
static int
pipeline(const struct step *steps, int n, PGresult **res, const char *what)
{
	int64_t deadline = answer_deadline();
	bool limited = db.lim.statement_timeout > 0, broken = false, sent, waited = true, synced, late;
	PGresult *r;
	int i;

	for (i = 0; i < n; i++)
		res[i] = NULL;
	sent = PQenterPipelineMode(db.conn) == 1;
	for (i = 0; sent && i < n; i++)
		sent = send_step(&steps[i]);
	sent = sent && PQpipelineSync(db.conn) == 1;
	db.round_trips++;
	/* Each step's results end with a NULL; the Sync's own answer is last. */
	for (i = 0; sent && waited && i < n; i++) {
		while ((waited = wait_ready(db.conn, deadline, limited, &broken)) &&
		    (r = PQgetResult(db.conn)) != NULL) {
			PQclear(res[i]);
			res[i] = r;
		}
	}
	if (sent && waited && (waited = wait_ready(db.conn, deadline, limited, &broken))) {
		r = PQgetResult(db.conn);
		synced = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
		PQclear(r);
		if (synced && PQexitPipelineMode(db.conn) == 1)
			return 1;
	}
	late = sent && !waited && !broken && PQstatus(db.conn) == CONNECTION_OK;
	if (late)
		log_warn("database: no answer to %s within %" PRId64 "s; dropping the connection",
		    what, db.lim.statement_timeout + STORE_ANSWER_SLACK_S);
	else
		log_warn("database: connection lost during %s", what);
	PQfinish(db.conn);
	db.conn = NULL;
	db.listening = false;
	return late ? -1 : 0;
}

static bool
result_ok(const PGresult *res)
{
	ExecStatusType st = PQresultStatus(res);

	return st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK;
}

PGresult *
db_begin_run(enum stmt id, int n, const char *const *vals, enum store_err *err)
{
	struct step steps[4] = { { "BEGIN", 0, 0, NULL } };
	PGresult *res[4] = { NULL }, *out = NULL;
	char st[64], lt[64];
	int attempt, rc = 0, ns = 1, i, bad;

	/* Transaction pooling: the limits go with the transaction (as in
	 * begin_sql, one step each: a pipeline's steps are single statements). */
	if (db.pooled && db.lim.statement_timeout > 0) {
		snprintf(st, sizeof(st), "SET LOCAL statement_timeout = %" PRId64,
		    db.lim.statement_timeout * 1000);
		steps[ns++] = (struct step){ st, 0, 0, NULL };
	}
	if (db.pooled && db.lim.lock_timeout > 0) {
		snprintf(lt, sizeof(lt), "SET LOCAL lock_timeout = %" PRId64,
		    db.lim.lock_timeout * 1000);
		steps[ns++] = (struct step){ lt, 0, 0, NULL };
	}
	steps[ns++] = (struct step){ NULL, id, n, vals };
	*err = STORE_UNAVAILABLE;
	/* Retried once on a fresh connection, as db_tx's BEGIN and db_run:
	 * a transaction lost with its connection has done nothing. */
	for (attempt = 0; attempt < 2 && rc == 0 && !db.in_tx; attempt++) {
		if (!db_connect())
			break; /* not tried twice, as in db_run */
		if (!db.pooled && !prepare(id)) {
			if (db.conn == NULL || PQstatus(db.conn) == CONNECTION_OK)
				break;
			continue;
		}
		if ((rc = pipeline(steps, ns, res, db_stmts[id].name)) != 1)
			continue; /* lost: once more; late (-1): not retried */
		db.in_tx = PQresultStatus(res[0]) == PGRES_COMMAND_OK;
		for (bad = -1, i = 0; i < ns - 1 && bad < 0; i++)
			if (PQresultStatus(res[i]) != PGRES_COMMAND_OK)
				bad = i;
		if (bad < 0 && result_ok(res[ns - 1])) {
			*err = STORE_OK;
			out = res[ns - 1];
			res[ns - 1] = NULL;
		} else
			*err = classify(res[bad < 0 ? ns - 1 : bad], id);
		for (i = 0; i < ns; i++)
			PQclear(res[i]);
	}
	if (out == NULL && db.in_tx)
		(void)db_tx("ROLLBACK");
	return out;
}

PGresult *
db_run_commit(enum stmt id, int n, const char *const *vals, enum store_err *err)
{
	const struct step steps[2] = { { NULL, id, n, vals }, { "COMMIT", 0, 0, NULL } };
	PGresult *res[2] = { NULL, NULL }, *out = NULL;

	*err = STORE_UNAVAILABLE;
	if (db.in_tx && db.conn != NULL && (db.pooled || prepare(id)) &&
	    pipeline(steps, 2, res, db_stmts[id].name) == 1) {
		if (!result_ok(res[0]))
			*err = classify(res[0], id);
		else if (PQresultStatus(res[1]) != PGRES_COMMAND_OK)
			log_error("database: COMMIT: %s", PQresultErrorMessage(res[1]));
		else {
			tx_lifetimes_settle(true);
			db.in_tx = false;
			*err = STORE_OK;
			out = res[0];
			res[0] = NULL;
		}
	}
	PQclear(res[0]);
	PQclear(res[1]);
	if (out == NULL)
		(void)db_tx("ROLLBACK"); /* also ends the transaction's own state */
	return out;
}

void
db_copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

int64_t
db_int(const PGresult *res, int row, int col)
{
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

bool
db_bool(const PGresult *res, int row, int col)
{
	return PQgetvalue(res, row, col)[0] == 't';
}

/* Hands each "REASON:seconds" of the list s to the host's histogram. */
static void
count_lifetimes(const char *s)
{
	const char *p = s, *colon, *comma;
	char name[32];
	size_t len;
	double lifetime;
	char *end;

	while (p != NULL && *p != '\0') {
		comma = strchr(p, ',');
		colon = strchr(p, ':');
		len = colon != NULL ? (size_t)(colon - p) : 0;
		if (colon != NULL && (comma == NULL || colon < comma) && len < sizeof(name)) {
			memcpy(name, p, len);
			name[len] = '\0';
			lifetime = strtod(colon + 1, &end);
			if (end != colon + 1)
				metrics_session_lifetime(end_reason_parse(name), lifetime);
		}
		p = comma != NULL ? comma + 1 : NULL;
	}
}

void
db_count_lifetimes(const PGresult *res, int row, int col)
{
	const char *s = PQgetvalue(res, row, col);
	char *joined;

	if (*s == '\0')
		return;
	if (!db.in_tx) {
		count_lifetimes(s);
		return;
	}
	joined = db.tx_lifetimes == NULL ? xstrdup(s)
	                                 : xasprintf("%s,%s", db.tx_lifetimes, s);
	free(db.tx_lifetimes);
	db.tx_lifetimes = joined;
}

static void
tx_lifetimes_settle(bool committed)
{
	if (committed && db.tx_lifetimes != NULL)
		count_lifetimes(db.tx_lifetimes);
	free(db.tx_lifetimes);
	db.tx_lifetimes = NULL;
}

void
db_read_session(const PGresult *res, int row, int c, struct session *s)
{
	memset(s, 0, sizeof(*s));
	db_copy(s->id, sizeof(s->id), PQgetvalue(res, row, c));
	s->user_id = db_int(res, row, c + 1);
	s->created_at = (time_t)db_int(res, row, c + 2);
	s->last_active_at = (time_t)db_int(res, row, c + 3);
	s->idle_timeout_s = db_int(res, row, c + 4);
	s->absolute_expires_at = (time_t)db_int(res, row, c + 5);
	s->remember_me = db_bool(res, row, c + 6);
	s->ended_at = (time_t)db_int(res, row, c + 7);
	s->end_reason = end_reason_parse(PQgetvalue(res, row, c + 8));
	db_copy(s->device_id, sizeof(s->device_id), PQgetvalue(res, row, c + 9));
	db_copy(s->user_agent, sizeof(s->user_agent), PQgetvalue(res, row, c + 10));
	db_copy(s->ip, sizeof(s->ip), PQgetvalue(res, row, c + 11));
}

void
db_read_user(const PGresult *res, int row, int c, struct user *u)
{
	memset(u, 0, sizeof(*u));
	u->id = db_int(res, row, c);
	db_copy(u->email, sizeof(u->email), PQgetvalue(res, row, c + 1));
	db_copy(u->display_name, sizeof(u->display_name), PQgetvalue(res, row, c + 2));
	u->disabled = db_bool(res, row, c + 3);
	u->created_at = (time_t)db_int(res, row, c + 4);
	u->password_changed_at = (time_t)db_int(res, row, c + 5);
}

enum store_err
store_open(const char *conninfo)
{
	store_close();
	db.conninfo = xstrdup(conninfo);
	return db_connect() ? STORE_OK : STORE_UNAVAILABLE;
}

/*
 * Transaction pooling: makes sure lconn is up and listening. True only if
 * it already was: a connection made now has missed what ended before it
 * (the caller then trusts nothing cached). After a failure, no new attempt
 * for a second: a listen server that is down costs at most one attempt a
 * second (an unreachable one, its connect_timeout), and the cache is back
 * within a second of the server.
 */
static bool
listen_conn_ready(void)
{
	PGresult *res;
	bool ok;

	if (db.lconn != NULL && PQstatus(db.lconn) == CONNECTION_OK && !db.llost)
		return true;
	if (db.listen_info == NULL || util_mono_ms() < db.lretry_ms)
		return false;
	PQfinish(db.lconn);
	db.llost = false;
	db.lconn = connect_new(db.listen_info);
	ok = PQstatus(db.lconn) == CONNECTION_OK;
	if (!ok)
		log_warn("database: cannot connect to database_listen_url: %s",
		    PQerrorMessage(db.lconn));
	else {
		PQsetNoticeReceiver(db.lconn, on_notice, &db.llost);
		res = await_on(&db.lconn,
		    PQsendQuery(db.lconn, "LISTEN tether_session_end"), "LISTEN");
		ok = db.lconn != NULL && PQresultStatus(res) == PGRES_COMMAND_OK;
		if (!ok && db.lconn != NULL)
			log_warn("database: LISTEN on database_listen_url: %s",
			    PQresultErrorMessage(res));
		PQclear(res);
	}
	if (ok) {
		db.lconn_id++;
		log_info("database: listening for session ends on database_listen_url");
	} else {
		PQfinish(db.lconn);
		db.lconn = NULL;
		db.lretry_ms = util_mono_ms() + 1000;
	}
	return false;
}

void
store_listen_session_ends(void)
{
	db.want_listen = true;
	if (db.pooled)
		(void)listen_conn_ready();
	else if (db.conn != NULL && PQstatus(db.conn) == CONNECTION_OK && !db.listening)
		listen_ends();
}

uint64_t
store_connection_id(void)
{
	/* The connection that hears the session ends. */
	return db.pooled ? db.lconn_id : db.conn_id;
}

uint64_t
store_statements_sent(void)
{
	return db.sent;
}

uint64_t
store_round_trips(void)
{
	return db.round_trips;
}

int
store_session_ends(void (*fn)(const char *sid, void *arg), void *arg)
{
	PGnotify *n;

	if (db.pooled) {
		/* Its own connection, outside any transaction of conn's: up (or
		 * made up now, and then -1 this once), read like conn below. */
		if (!db.want_listen || !listen_conn_ready())
			return -1;
		if (PQconsumeInput(db.lconn) != 1 || db.llost) {
			db.llost = true; /* reconnected at the next call */
			return -1;
		}
		while ((n = PQnotifies(db.lconn)) != NULL) {
			fn(n->extra, arg);
			PQfreemem(n);
		}
		return 0;
	}
	/* Reads what has arrived without waiting: one recv() that usually
	 * finds nothing. A broken connection is left for the next db_run(). */
	if (db.conn == NULL || !db.listening || db.in_tx || db.lost ||
	    PQstatus(db.conn) != CONNECTION_OK || PQconsumeInput(db.conn) != 1)
		return -1;
	while ((n = PQnotifies(db.conn)) != NULL) {
		fn(n->extra, arg);
		PQfreemem(n);
	}
	return 0;
}

void
store_close(void)
{
	bool listen = db.want_listen, pooled = db.pooled;
	uint64_t conn_id = db.conn_id, lconn_id = db.lconn_id;
	struct store_limits lim = db.lim;
	char *listen_info = db.listen_info;

	if (db.conn != NULL)
		PQfinish(db.conn);
	if (db.lconn != NULL)
		PQfinish(db.lconn);
	util_free_secret(db.conninfo);
	free(db.tx_lifetimes);
	memset(&db, 0, sizeof(db));
	/* Kept for the next store_open: it is a property of the process, and
	 * the next connection must count as a new one. */
	db.want_listen = listen;
	db.conn_id = conn_id;
	db.lconn_id = lconn_id;
	db.lim = lim;
	db.pooled = pooled;
	db.listen_info = listen_info;
}

enum store_err
store_ping(void)
{
	enum store_err err;
	PGresult *res = db_run(S_PING, 0, NULL, &err);

	PQclear(res);
	return err;
}

bool
db_in_tx(void)
{
	return db.in_tx;
}

bool
db_pooled(void)
{
	return db.pooled;
}

/* Runs the literal SQL of a migration file or a fixed statement. */
bool
db_exec(const char *sql, FILE *out, const char *what)
{
	PGresult *res = PQexec(db.conn, sql);
	bool ok = PQresultStatus(res) == PGRES_COMMAND_OK ||
	    PQresultStatus(res) == PGRES_TUPLES_OK;

	if (!ok)
		fprintf(out, "%s: %s", what, PQresultErrorMessage(res));
	PQclear(res);
	return ok;
}

void *
db_rows(enum stmt id, int n, const char *const *vals, size_t size, db_row_reader read,
    size_t *count, enum store_err *err)
{
	PGresult *res = db_run(id, n, vals, err);
	unsigned char *out;
	int i, rows;

	*count = 0;
	if (res == NULL)
		return NULL;
	rows = PQntuples(res);
	out = xcalloc(rows > 0 ? (size_t)rows : 1, size);
	for (i = 0; i < rows; i++)
		read(res, i, out + (size_t)i * size);
	*count = (size_t)rows;
	PQclear(res);
	return out;
}

static void
session_row(const PGresult *res, int row, void *out)
{
	db_read_session(res, row, 0, out);
}

enum store_err
db_session_rows(
    enum stmt id, int n, const char *const *vals, struct session **out, size_t *count)
{
	enum store_err err;

	*out = db_rows(id, n, vals, sizeof(**out), session_row, count, &err);
	return err;
}

/* Runs a statement that changes one user and ends sessions, returning
 * (users changed, sessions ended): NOTFOUND when no user changed. */
enum store_err
db_user_change(enum stmt id, int n, const char *const *v, int *ended)
{
	enum store_err err;
	PGresult *res = db_run_locked(S_USER_SESSIONS_LOCK, id, n, v, &err);

	if (res == NULL)
		return err;
	if (db_int(res, 0, 0) != 1)
		err = STORE_NOTFOUND;
	if (ended != NULL)
		*ended = (int)db_int(res, 0, 1);
	db_count_lifetimes(res, 0, 2);
	PQclear(res);
	return err;
}
