/*
 * supervise: tether.fcgi --listen HOST:PORT [--workers N]. For a web server
 * that connects to a FastCGI application over TCP and starts no process of
 * its own (Apache's mod_authnz_fcgi; lighttpd or nginx with host and
 * port): binds the address, starts N workers that share the listening
 * socket as their fd 0 (what libfcgi expects of a worker a web server
 * spawned), restarts any that exits, and stops them all on SIGTERM or
 * SIGINT. It runs in the foreground (systemd, a test harness); the
 * workers' log lines go to its stderr.
 */
#ifndef TETHER_SUPERVISE_H
#define TETHER_SUPERVISE_H

#include <stddef.h>

/* The most workers one supervisor starts. */
#define SUPERVISE_MAX_WORKERS 256

/* What the command line asks for: listen is NULL when it has no --listen. */
struct supervise_args {
	const char *listen;  /* points into argv */
	int workers;         /* 1..SUPERVISE_MAX_WORKERS; 2 unless given */
};

/*
 * Reads --listen ADDR (or --listen=ADDR) and --workers N (or --workers=N)
 * from argv. Returns 0, or -1 with a message in err (a missing or bad
 * value, --workers without --listen).
 */
int supervise_args_parse(int argc, char *const argv[], struct supervise_args *out,
    char *err, size_t errlen);

/*
 * Splits "HOST:PORT" or "[IPV6]:PORT" into host and port (digits, 1 to
 * 65535). The host may not be empty: the address to bind is always
 * written out (127.0.0.1 for a web server on the same machine). Returns 0,
 * or -1 when it does not fit or is malformed.
 */
int supervise_split_addr(const char *addr, char *host, size_t hostlen, char *port,
    size_t portlen);

/*
 * Binds a->listen, starts a->workers workers (this same executable, run
 * with argv minus --listen and --workers), restarts each that exits (after
 * a pause that doubles, up to 30 s, while they keep exiting within a
 * second of their start), and on SIGTERM, SIGINT or SIGUSR1 sends each
 * SIGTERM, waits for them (SIGKILL after 30 s) and returns. SIGHUP
 * replaces the workers (each finishes its request), which then read the
 * configuration anew. The stop signals must be blocked by the caller.
 * Returns the process's exit status: 0 after a stop, 1 when it could not
 * start.
 */
int supervise_run(const struct supervise_args *a, int argc, char *const argv[]);

#endif
