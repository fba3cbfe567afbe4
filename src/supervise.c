/*
 * supervise: the listening socket and the workers of tether.fcgi --listen
 * (see supervise.h). One process, one loop: sigtimedwait on the signals it
 * acts on (all blocked), so nothing runs in a signal handler.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "supervise.h"
#include "util.h"

/* A worker that exits sooner than this after its start counts as failing. */
#define FAST_EXIT_SECONDS 1
#define MAX_PAUSE_SECONDS 30
#define STOP_GRACE_SECONDS 30

struct worker {
	pid_t pid;        /* 0: not running */
	time_t started;   /* monotonic seconds */
	time_t restart_at; /* when pid is 0: when to start it again */
	int fast_exits;   /* exits in a row within FAST_EXIT_SECONDS */
};

static time_t
mono_now(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* The value of option name at argv[*i] ("--name V" or "--name=V"), or
 * NULL when argv[*i] is not that option; *missing when it lacks one. */
static const char *
option_value(int argc, char *const argv[], int *i, const char *name, bool *missing)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*missing = true;
		return NULL;
	}
	return argv[++*i];
}

int
supervise_args_parse(int argc, char *const argv[], struct supervise_args *out,
    char *err, size_t errlen)
{
	const char *v, *workers = NULL;
	char host[256], port[8];
	bool missing = false;
	int64_t n = 2;
	int i, rc = 0;

	out->listen = NULL;
	out->workers = 2;
	for (i = 1; i < argc && rc == 0; i++) {
		if ((v = option_value(argc, argv, &i, "--listen", &missing)) != NULL)
			out->listen = v;
		else if ((v = option_value(argc, argv, &i, "--workers", &missing)) != NULL)
			workers = v;
		if (missing) {
			snprintf(err, errlen, "%s needs a value", argv[i]);
			rc = -1;
		}
	}
	if (rc == 0 && out->listen != NULL &&
	    supervise_split_addr(out->listen, host, sizeof(host), port, sizeof(port)) != 0) {
		snprintf(err, errlen, "--listen: expected HOST:PORT or [IPV6]:PORT, "
		    "e.g. 127.0.0.1:9123");
		rc = -1;
	}
	if (rc == 0 && workers != NULL &&
	    util_parse_int(workers, 1, SUPERVISE_MAX_WORKERS, &n) != 0) {
		snprintf(err, errlen, "--workers: expected a number from 1 to %d",
		    SUPERVISE_MAX_WORKERS);
		rc = -1;
	}
	if (rc == 0 && workers != NULL && out->listen == NULL) {
		snprintf(err, errlen, "--workers is for --listen");
		rc = -1;
	}
	out->workers = (int)n;
	return rc;
}

int
supervise_split_addr(const char *addr, char *host, size_t hostlen, char *port,
    size_t portlen)
{
	const char *colon, *h = addr;
	size_t hl;
	int64_t p;

	if (addr[0] == '[') {
		const char *close = strchr(addr, ']');

		if (close == NULL || close[1] != ':')
			return -1;
		h = addr + 1;
		hl = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(addr, ':');
		if (colon == NULL || memchr(addr, ':', (size_t)(colon - addr)) != NULL)
			return -1; /* an IPv6 address must be in brackets */
		hl = (size_t)(colon - addr);
	}
	if (hl == 0 || hl >= hostlen || util_parse_int(colon + 1, 1, 65535, &p) != 0 ||
	    strlen(colon + 1) >= portlen)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	snprintf(port, portlen, "%s", colon + 1);
	return 0;
}

/* Binds and listens on addr; the socket ends up as fd 0 (the workers'
 * FastCGI socket). Returns 0 or -1 (logged). */
static int
listen_on(const char *addr)
{
	struct addrinfo hints, *res = NULL, *ai;
	char host[256], port[8];
	int fd = -1, one = 1, rc = -1, gai, flags;

	if (supervise_split_addr(addr, host, sizeof(host), port, sizeof(port)) != 0)
		return -1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((gai = getaddrinfo(host, port, &hints, &res)) != 0) {
		log_error("--listen %s: %s", addr, gai_strerror(gai));
		return -1;
	}
	for (ai = res; ai != NULL && rc != 0; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol)) < 0) {
			log_error("--listen %s: socket: %s", addr, strerror(errno));
			continue;
		}
		/* A restart must not wait for the old connections' TIME_WAIT. */
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
		    bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 128) == 0)
			rc = 0;
		else {
			log_error("--listen %s: %s", addr, strerror(errno));
			(void)close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	/* Non-blocking: every worker waits for the socket to be readable and
	 * all of them wake for one connection; those that lose the race must
	 * get EAGAIN from accept() and wait again (main.c), not block in it,
	 * where a stop signal could not reach them. (A connection accept()
	 * returns is blocking again: Linux does not pass the flag on.) */
	if (rc == 0 && ((flags = fcntl(fd, F_GETFL)) < 0 ||
	                   fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0)) {
		log_error("--listen %s: O_NONBLOCK: %s", addr, strerror(errno));
		(void)close(fd);
		rc = -1;
	}
	if (rc == 0 && fd != STDIN_FILENO) {
		/* dup2 leaves close-on-exec off: the workers inherit fd 0. */
		if (dup2(fd, STDIN_FILENO) != STDIN_FILENO) {
			log_error("--listen %s: dup2: %s", addr, strerror(errno));
			rc = -1;
		}
		(void)close(fd);
	}
	return rc;
}

/* argv without --listen and --workers (and their values): a worker's
 * command line. The array is the caller's (free it); its strings are
 * argv's. */
static char **
worker_argv(int argc, char *const argv[])
{
	char **out = xcalloc((size_t)argc + 1, sizeof(*out));
	bool missing = false;
	int i, n = 0;

	for (i = 0; i < argc; i++) {
		if (i > 0 && (option_value(argc, argv, &i, "--listen", &missing) != NULL ||
		                 option_value(argc, argv, &i, "--workers", &missing) != NULL))
			continue;
		out[n++] = argv[i];
	}
	out[n] = NULL;
	return out;
}

/* Starts one worker in w: this executable with wargv, the socket on fd 0,
 * the signal mask it had before the supervisor blocked its own. */
static void
start_worker(struct worker *w, const char *self, char *const wargv[],
    const sigset_t *child_mask)
{
	pid_t pid = fork();

	if (pid == 0) {
		(void)sigprocmask(SIG_SETMASK, child_mask, NULL);
		execv(self, wargv);
		fprintf(stderr, "tether: cannot run %s: %s\n", self, strerror(errno));
		_exit(127);
	}
	if (pid < 0) {
		log_error("cannot start a worker: %s", strerror(errno));
		w->pid = 0;
		w->restart_at = mono_now() + 1;
		return;
	}
	w->pid = pid;
	w->started = mono_now();
}

/* Reaps every worker that exited; when not stopping, schedules it again:
 * at once after a planned exit (status 0) or a long life, otherwise after
 * a pause that doubles while it keeps failing. */
static void
reap(struct worker *ws, int n, bool stopping)
{
	int status, i;
	pid_t pid;
	time_t now = mono_now();

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < n && ws[i].pid != pid; i++)
			;
		if (i == n)
			continue;
		ws[i].pid = 0;
		if (stopping)
			continue;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			/* Planned: it retired (worker_max_requests) or was told to
			 * stop (SIGHUP's replacement). The next one starts at once,
			 * however short its life was. */
			log_info("worker %d exited (status 0): starting the next", (int)pid);
			ws[i].fast_exits = 0;
			ws[i].restart_at = now;
			continue;
		}
		if (WIFSIGNALED(status))
			log_warn("worker %d ended by signal %d", (int)pid, WTERMSIG(status));
		else
			log_info("worker %d exited (status %d)", (int)pid, WEXITSTATUS(status));
		if (now - ws[i].started < FAST_EXIT_SECONDS) {
			/* 1, 2, 4 ... seconds: a worker that cannot start (the
			 * database role, the configuration) is not forked in a loop. */
			time_t pause = (time_t)1 << (ws[i].fast_exits < 5 ? ws[i].fast_exits : 5);

			ws[i].fast_exits++;
			ws[i].restart_at = now + (pause < MAX_PAUSE_SECONDS ? pause : MAX_PAUSE_SECONDS);
		} else {
			ws[i].fast_exits = 0;
			ws[i].restart_at = now;
		}
	}
}

/* Signals every running worker. */
static void
signal_all(const struct worker *ws, int n, int sig)
{
	int i;

	for (i = 0; i < n; i++)
		if (ws[i].pid > 0 && kill(ws[i].pid, sig) != 0 && errno != ESRCH)
			log_warn("cannot signal worker %d: %s", (int)ws[i].pid, strerror(errno));
}

static int
running(const struct worker *ws, int n)
{
	int i, k = 0;

	for (i = 0; i < n; i++)
		k += ws[i].pid > 0;
	return k;
}

int
supervise_run(const struct supervise_args *a, int argc, char *const argv[])
{
	struct worker *ws = NULL;
	char self[4096], **wargv = NULL;
	sigset_t set, before;
	ssize_t len;
	time_t deadline = 0;
	bool stopping = false;
	int i, sig, rc = 1;

	if ((len = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0) {
		log_error("cannot find my own executable: %s", strerror(errno));
		return 1;
	}
	self[len] = '\0';
	if (sigemptyset(&set) != 0 || sigaddset(&set, SIGCHLD) != 0 ||
	    sigaddset(&set, SIGHUP) != 0 || sigaddset(&set, SIGTERM) != 0 ||
	    sigaddset(&set, SIGINT) != 0 || sigaddset(&set, SIGUSR1) != 0 ||
	    sigprocmask(SIG_BLOCK, &set, &before) != 0) {
		log_error("cannot block the supervisor's signals");
		return 1;
	}
	/* The workers keep the stop signals blocked (their main lets them in
	 * only while waiting); SIGCHLD and SIGHUP as they were. */
	(void)sigdelset(&before, SIGCHLD);
	(void)sigdelset(&before, SIGHUP);
	if (listen_on(a->listen) != 0)
		goto out;
	/* The workers skip GnuTLS's constructor from the start, without the
	 * second exec of skip_gnutls_init (main.c). */
	if (setenv("GNUTLS_NO_IMPLICIT_INIT", "1", 1) != 0)
		log_warn("cannot set GNUTLS_NO_IMPLICIT_INIT");
	ws = xcalloc((size_t)a->workers, sizeof(*ws));
	wargv = worker_argv(argc, argv);
	for (i = 0; i < a->workers; i++)
		start_worker(&ws[i], self, wargv, &before);
	log_info("listening on %s with %d workers", a->listen, a->workers);
	rc = 0;
	while (!stopping || running(ws, a->workers) > 0) {
		struct timespec wait = { 1, 0 };
		time_t now = mono_now();

		if (stopping && now >= deadline) {
			log_warn("workers still running %d s after SIGTERM: SIGKILL",
			    STOP_GRACE_SECONDS);
			signal_all(ws, a->workers, SIGKILL);
			deadline = now + STOP_GRACE_SECONDS;
		}
		for (i = 0; i < a->workers && !stopping; i++)
			if (ws[i].pid == 0 && now >= ws[i].restart_at)
				start_worker(&ws[i], self, wargv, &before);
		sig = sigtimedwait(&set, NULL, &wait);
		if (sig == SIGCHLD)
			reap(ws, a->workers, stopping);
		else if (sig == SIGHUP) {
			log_info("SIGHUP: replacing the workers");
			signal_all(ws, a->workers, SIGTERM);
		} else if (sig > 0 && !stopping) {
			log_info("signal %d: stopping the workers", sig);
			stopping = true;
			deadline = mono_now() + STOP_GRACE_SECONDS;
			signal_all(ws, a->workers, SIGTERM);
		} else if (sig < 0 && errno != EAGAIN && errno != EINTR && !stopping) {
			log_error("waiting for signals: %s; stopping the workers", strerror(errno));
			rc = 1;
			stopping = true;
			deadline = mono_now() + STOP_GRACE_SECONDS;
			signal_all(ws, a->workers, SIGTERM);
		}
		/* A SIGCHLD merged with another pending one is still reaped. */
		reap(ws, a->workers, stopping);
	}
	log_info("supervisor stopped");
out:
	free(wargv);
	free(ws);
	return rc;
}
