/*
 * main: tether.fcgi. Reads the configuration (a bad value stops the
 * process here, before it serves anything), opens the database, then
 * serves: read -> api_handle -> send -> free. Two ways to be run, told
 * apart by libfcgi's FCGX_IsCGI() (is fd 0 a listening socket?):
 *
 *  - FastCGI (lighttpd's bin-path, mod_fcgid): a persistent worker, one
 *    request at a time, that keeps nothing between requests but its
 *    configuration, its database connection and its caches.
 *  - plain CGI (anything else, e.g. Apache's mod_cgi): the one request in
 *    the environment and on stdin, the answer on stdout, exit 0. The same
 *    rules on the same path; the caches start cold and die with it, and
 *    the TTL cleanup is left to the workers or to tetherctl cleanup (see
 *    serve_cgi).
 *
 * Signals (a worker): SIGTERM (mod_fcgid's stop, restart and reaping;
 * lighttpd's kill-signal), SIGUSR1 and SIGINT end the worker after the
 * request in progress: it closes the database connection, logs "worker
 * stopping (signal N)" and exits 0. They are blocked from the start and
 * let in only while the worker waits for a connection (pselect), so a
 * request is never cut short by one (libfcgi's reads and writes give up on
 * EINTR) and one that arrives just before the wait is not lost. A worker
 * also asks for SIGTERM when its parent dies (PR_SET_PDEATHSIG): a web
 * server killed with SIGKILL leaves no worker behind. A CGI process keeps
 * the default actions: a server that signals it wants it gone.
 *
 * A third way, for servers that only connect over TCP (mod_authnz_fcgi):
 * tether.fcgi --listen HOST:PORT [--workers N] binds the address and
 * supervises N workers of its own (supervise.c).
 */
#include <errno.h>
#include <fastcgi.h>
#include <fcgiapp.h>
#include <malloc.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "auth.h"
#include "authz.h"
#include "cleanup.h"
#include "config.h"
#include "cryptomem.h"
#include "http.h"
#include "log.h"
#include "hashgate.h"
#include "metrics.h"
#include "reply.h"
#include "sesscache.h"
#include "store.h"
#include "supervise.h"
#include "util.h"

/* The CGI request's parameters. */
extern char **environ;

static struct config cfg;
/* What stops a worker after its request: mod_fcgid's and lighttpd's stop
 * (TERM), libfcgi's own (USR1), and Ctrl-C on a foreground server (INT). */
static const int stop_signals[] = { SIGTERM, SIGUSR1, SIGINT };
#define NSTOP (sizeof(stop_signals) / sizeof(stop_signals[0]))
/* The stop signal a worker received, 0 until then. */
static volatile sig_atomic_t stop_signal;

/* One request, from libfcgi (fr) or, when fr is NULL, as plain CGI. */
static void
serve_one(FCGX_Request *fr)
{
	const int64_t max = cfg.max_body_bytes;
	struct timespec t0, t1;
	struct req req;
	struct resp resp;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	resp_init(&resp);
	if (fr != NULL && fr->role == FCGI_AUTHORIZER) {
		/* The server asks about a request to a protected path: it sent
		 * no body, and none is read (DESIGN §8). */
		(void)req_init(&req, fr->envp, "", time(NULL));
		authz_handle(&cfg, &req, &resp);
	} else if (req_init(&req, fr ? fr->envp : environ, cfg.mount_path, time(NULL)) != 0)
		reply_fail(&resp, ERR_NOT_FOUND, NULL);
	else if ((rc = fr ? http_fcgi_read_body(fr, &req, max)
	                  : http_cgi_read_body(STDIN_FILENO, &req, max)) == 413)
		reply_fail(&resp, ERR_TOO_LARGE, NULL);
	else if (rc != 0)
		reply_bad_request(&resp, "The request body could not be read.");
	else
		api_handle(&cfg, &req, &resp);
	if ((fr ? http_fcgi_send(fr, &resp) : http_cgi_send(STDOUT_FILENO, &resp)) != 0)
		log_warn("could not send the response to %s", req.remote_addr);
	req_clear(&req);
	resp_clear(&resp);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	metrics_observe(
	    (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
}

static const char *
config_path(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			return argv[i + 1];
		if (strncmp(argv[i], "--config=", 9) == 0)
			return argv[i] + 9;
	}
	return getenv("TETHER_CONFIG");
}

/*
 * Why: libpq links libldap, which links GnuTLS, and GnuTLS initialises
 * itself (and p11-kit) from a library constructor in every process that
 * loads it: about 0.8 MiB of every worker's RSS for TLS it never uses
 * (libpq's own TLS is OpenSSL, and libldap initialises GnuTLS explicitly
 * if it is ever asked for LDAP). The constructor has run before main, so
 * the worker sets GNUTLS_NO_IMPLICIT_INIT and executes itself once more;
 * the FastCGI socket (fd 0), the PID, the blocked signals and the parent
 * death signal carry over. If that fails, it simply goes on with GnuTLS
 * initialised. Not for a CGI process: its memory is gone a few
 * milliseconds later, and a second exec costs more time than GnuTLS's
 * constructor (8 ms against 0.4 ms, measured).
 */
static void
skip_gnutls_init(char **argv)
{
	char self[4096];
	ssize_t n;

	if (getenv("GNUTLS_NO_IMPLICIT_INIT") != NULL ||
	    (n = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0 ||
	    setenv("GNUTLS_NO_IMPLICIT_INIT", "1", 1) != 0)
		return;
	/* By its own path, so ps and top still say tether.fcgi. */
	self[n] = '\0';
	execv(self, argv);
}

/*
 * A worker ends with its parent. Why: a web server killed with SIGKILL
 * cannot stop its workers, and one blocked waiting for a connection that
 * will never come would stay for good. The parent death signal is
 * SIGTERM, the usual stop. A parent that died before this call is seen by
 * getppid() changing across it; a parent that is init (PID 1) is kept as
 * it is, since that may be the web server itself (lighttpd as a
 * container's first process) or systemd.
 * Returns 0, or -1 when the parent is already gone.
 */
static int
follow_parent(void)
{
	pid_t parent = getppid();

	if (parent == 1)
		return 0;
	if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) != 0) {
		fprintf(stderr, "tether: prctl(PR_SET_PDEATHSIG): %s\n", strerror(errno));
		return 0;
	}
	return getppid() == parent ? 0 : -1;
}

static void
on_stop(int signo)
{
	stop_signal = signo;
	/* libfcgi's own flag: its accept loop gives up if it is ever there. */
	FCGX_ShutdownPending();
}

/*
 * The stop signals call on_stop, without SA_RESTART: a wait they
 * interrupt ends with EINTR instead of going on. Returns 0 or -1.
 */
static int
catch_stop_signals(const sigset_t *stops)
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sa.sa_mask = *stops;
	for (i = 0; i < NSTOP; i++)
		if (sigaction(stop_signals[i], &sa, NULL) != 0)
			return -1;
	return 0;
}

/*
 * Waits for a connection on the listening socket with the stop signals
 * let in for the wait only (pselect swaps the mask atomically: one that
 * came while the last request was served is taken here, at once). Returns
 * true when a connection is waiting, false on a stop signal or an error.
 * The one wait left outside: a connection that closes before it brings a
 * request sends libfcgi back to accept(), where a stop signal then waits
 * for the next connection (or the server's SIGKILL).
 */
static bool
wait_for_request(const sigset_t *waiting)
{
	fd_set rd;
	int n;

	while (stop_signal == 0) {
		FD_ZERO(&rd);
		FD_SET(STDIN_FILENO, &rd); /* the listening socket */
		n = pselect(STDIN_FILENO + 1, &rd, NULL, NULL, NULL, waiting);
		if (n > 0)
			return true;
		if (n < 0 && errno != EINTR) {
			log_error("waiting for a connection: %s", strerror(errno));
			return false;
		}
	}
	return false;
}

/*
 * Plain CGI: one request, then exit. No cleanup_maybe: its first call in
 * a process only draws the time of the first run, so in a process that
 * lives for one request it would never clean anything (where no FastCGI
 * worker runs, tetherctl cleanup from cron does the job). No LISTEN
 * either: within one request there is nothing to hear, so the session
 * cache is never consulted; its end log is still written, so a logout
 * answered here is seen at once by this host's FastCGI workers, if any.
 */
static int
serve_cgi(void)
{
	serve_one(NULL);
	return 0;
}

/* serve_fcgi's end: stopped by a signal, failed, or retiring. */
enum { SERVE_STOPPED = 0, SERVE_FAILED = 1, SERVE_RETIRE = 2 };

/*
 * How many requests this worker serves before it retires: worker_max_requests
 * less a random part of up to a fifth of it; 0 for never. Why the random
 * part: the workers of a pool start together and the web server spreads
 * the requests evenly, so without it they would all restart in the same
 * moment (a new process and a new database connection each, while the
 * requests queued on them wait).
 */
static int64_t
retire_after(int64_t max)
{
	uint32_t r;

	if (max <= 0)
		return 0;
	util_random(&r, sizeof(r));
	return max - (int64_t)(r % (uint32_t)(max / 5 + 1));
}

/*
 * The FastCGI worker: requests until a stop signal, a failing accept, or
 * its worker_max_requests-th request (SERVE_RETIRE: main starts it anew,
 * see retire). The stop signals are blocked (by main) and only let in
 * while waiting.
 */
static int
serve_fcgi(const sigset_t *stops, const sigset_t *waiting)
{
	FCGX_Request fr;
	time_t next_cleanup = 0;
	int64_t served = 0, limit = retire_after(cfg.worker_max_requests);
	int rc, end = SERVE_STOPPED;

	if (FCGX_InitRequest(&fr, STDIN_FILENO, 0) != 0) {
		log_error("cannot initialise the FastCGI request");
		return SERVE_FAILED;
	}
	if (catch_stop_signals(stops) != 0) {
		log_error("cannot catch the stop signals: %s", strerror(errno));
		return SERVE_FAILED;
	}
	if (sesscache_enabled())
		store_listen_session_ends();
	log_info("worker ready");
	while (wait_for_request(waiting)) {
		if ((rc = FCGX_Accept_r(&fr)) < 0) {
			/* The socket that --listen's workers share is non-blocking
			 * (supervise.c): another worker took the connection this one
			 * woke for, and it waits again, where a stop signal reaches it. */
			if (rc == -EAGAIN || rc == -EWOULDBLOCK)
				continue;
			log_error("accepting a connection failed: %s", strerror(errno));
			end = SERVE_FAILED;
			break;
		}
		serve_one(&fr);
		FCGX_Finish_r(&fr);
		/* After the response is sent: the client never waits for it. */
		cleanup_maybe(&cfg, time(NULL), &next_cleanup);
		if (sesscache_enabled())
			auth_hear_session_ends();
		if (limit > 0 && ++served >= limit) {
			log_info("worker retiring after %lld requests", (long long)served);
			end = SERVE_RETIRE;
			break;
		}
	}
	if (stop_signal != 0)
		log_info("worker stopping (signal %d)", (int)stop_signal);
	else if (end == SERVE_STOPPED)
		end = SERVE_FAILED; /* wait_for_request failed (logged) */
	FCGX_Free(&fr, 1);
	return end;
}

/*
 * A retiring worker (its database connection closed, its files unmapped)
 * becomes a new one: it executes itself again, with the same PID and the
 * same listening socket on fd 0, so whatever its heap had grown is gone
 * (a backstop: the creep of bench/results/soak-2026-12-01-0649.md had a
 * source, fixed, see auth_hear_session_ends) and the web server sees no
 * change. Why not exit and let the web server start the next one:
 * lighttpd's listening socket dies with the worker, so a request that
 * reaches it in between is refused, lighttpd then takes that worker out
 * for a second or two, and a pool whose workers are all out answers 503
 * (seen with worker_max_requests = 5: "all handlers ... are down"). Here
 * the connections that arrive meanwhile wait in the socket's queue.
 * Returns only when the exec failed: 0, the worker exits and the web
 * server starts the next.
 */
#define DELETED " (deleted)"
static int
retire(char **argv)
{
	char self[4096];
	ssize_t n;

	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0) {
		log_warn("retiring: cannot find my own executable: %s; exiting instead",
		    strerror(errno));
		return 0;
	}
	self[n] = '\0';
	/* The file was replaced (an upgrade): the new one at the same path,
	 * as the web server would start it. */
	if ((size_t)n > sizeof(DELETED) - 1 &&
	    strcmp(self + n - (sizeof(DELETED) - 1), DELETED) == 0)
		self[n - (sizeof(DELETED) - 1)] = '\0';
	execv(self, argv);
	log_warn("retiring: cannot execute %s: %s; exiting instead", self, strerror(errno));
	return 0;
}

int
main(int argc, char **argv)
{
	struct supervise_args sv;
	sigset_t stops, waiting;
	char err[512], *deployment;
	bool cgi;
	size_t i;
	int rc;

	/* Blocked first: a stop signal from here on waits for the accept
	 * loop, across the exec below too (the mask and what is pending
	 * survive execv). waiting is the mask without them. */
	rc = sigemptyset(&stops);
	for (i = 0; i < NSTOP && rc == 0; i++)
		rc = sigaddset(&stops, stop_signals[i]);
	if (rc != 0 || sigprocmask(SIG_BLOCK, &stops, &waiting) != 0) {
		fprintf(stderr, "tether: cannot block the stop signals\n");
		return 1;
	}
	for (i = 0; i < NSTOP; i++)
		(void)sigdelset(&waiting, stop_signals[i]);
	if (supervise_args_parse(argc, argv, &sv, err, sizeof(err)) != 0) {
		fprintf(stderr, "tether: %s\n", err);
		return 2;
	}
	/* The supervisor of --listen is neither: it only reads the
	 * configuration below, once, so that a bad value stops it here rather
	 * than in a loop of failing workers. */
	cgi = sv.listen == NULL && FCGX_IsCGI() != 0;
	if (cgi) {
		/* libfcgi's handlers only set a flag a CGI process never reads. */
		if (signal(SIGTERM, SIG_DFL) == SIG_ERR ||
		    signal(SIGUSR1, SIG_DFL) == SIG_ERR ||
		    sigprocmask(SIG_SETMASK, &waiting, NULL) != 0) {
			fprintf(stderr, "tether: cannot restore the signals\n");
			return 1;
		}
	} else if (sv.listen == NULL) {
		if (follow_parent() != 0) {
			fprintf(stderr, "tether: the parent process is gone\n");
			return 0;
		}
		skip_gnutls_init(argv);
	}
	if (cryptomem_install() != 0)
		fprintf(stderr, "tether: OpenSSL allocated early; scrypt buffers use malloc\n");
	/* Before any other OpenSSL call: no openssl.cnf (nothing in it applies
	 * to a worker) and no error strings (nothing prints them): less of
	 * libcrypto is ever touched, so less of it is resident. */
	if (OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG |
	        OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS, NULL) != 1) {
		fprintf(stderr, "tether: cannot initialise OpenSSL\n");
		return 1;
	}
	config_init(&cfg);
	if (config_load(&cfg, config_path(argc, argv), NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "tether: configuration: %s\n", err);
		config_clear(&cfg);
		return 1;
	}
	log_set_level(cfg.log_level);
	if (sv.listen != NULL) {
		config_clear(&cfg); /* the supervisor keeps no secret */
		return supervise_run(&sv, argc, argv);
	}
	/*
	 * Why: a large buffer freed on the heap can stay resident for good
	 * once glibc's adaptive threshold has moved it there (it did, before
	 * cryptomem, with scrypt's 16 MiB: 26 MiB of RSS after a login). A
	 * fixed threshold keeps every large malloc its own mapping, returned
	 * to the system when freed.
	 */
	if (mallopt(M_MMAP_THRESHOLD, 256 * 1024) != 1)
		log_warn("mallopt failed; scrypt buffers may stay resident");
	/* A client that goes away mid-response must not kill the worker. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		log_warn("cannot ignore SIGPIPE");
	/* What tells this deployment's shared files from another's on the
	 * host: only a hash of it reaches a file name (it holds a password). */
	deployment = xasprintf("%s\n%s", cfg.database_url, cfg.mount_path);
	if (metrics_open(cfg.metrics_file, deployment) != 0)
		log_warn("metrics: cannot map the counters file (metrics_file: it must be a "
		    "regular file of ours, mode 0600, one link); /metrics shows zeros");
	if (cfg.session_cache && sesscache_open(cfg.session_cache_file, deployment) != 0)
		log_warn("session cache: cannot map the end log (session_cache_file: it must "
		    "be a regular file of ours, mode 0600, one link); every verify asks the "
		    "database");
	if (cfg.hash_concurrency > 0 && hashgate_open(cfg.hash_gate_file, deployment) != 0)
		log_warn("hash gate: cannot map its slots file (hash_gate_file: it must be a "
		    "regular file of ours, mode 0600, one link); password hashes are not capped");
	util_free_secret(deployment);
	store_set_limits(&(struct store_limits){
	    .connect_timeout = cfg.database_connect_timeout,
	    .statement_timeout = cfg.database_statement_timeout,
	    .lock_timeout = cfg.database_lock_timeout,
	    .keepalive = cfg.database_keepalive,
	    .tcp_user_timeout = cfg.database_tcp_user_timeout });
	/* config_load saw to it that a session cache has a way to hear of
	 * session ends: LISTEN on database_url, or database_listen_url. */
	store_set_pooling(cfg.database_pooler == POOLER_TRANSACTION, cfg.database_listen_url);
	if (store_open(cfg.database_url) != STORE_OK && !cgi)
		log_warn("database unavailable at start; requests get 503 until it is back");
	rc = cgi ? serve_cgi() : serve_fcgi(&stops, &waiting);
	store_close();
	sesscache_close();
	hashgate_close();
	metrics_close();
	config_clear(&cfg);
	if (rc == SERVE_RETIRE)
		rc = retire(argv);
	return rc;
}
