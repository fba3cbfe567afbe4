/*
 * ctl: tetherctl, the operator's tool. A table of subcommands, each with
 * its usage; every command reads the same configuration as the workers
 * (--config, TETHER_CONFIG, TETHER_* variables). Passwords come from
 * standard input, never from argv, where ps(1) would show them.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "b64url.h"
#include "cleanup.h"
#include "config.h"
#include "cryptomem.h"
#include "ctl_bench.h"
#include "jwt.h"
#include "password.h"
#include "reason.h"
#include "store.h"
#include "util.h"

/* A password line from stdin: the longest valid password (PASSWORD_MAX_CHARS
 * of up to 4 bytes of UTF-8), CR LF and NUL fit, so a longer one is read far
 * enough to be refused rather than cut to a valid prefix. */
#define PASSWORD_LINE_MAX 4200
_Static_assert(PASSWORD_LINE_MAX >= 4 * PASSWORD_MAX_CHARS + 3,
    "a password line is too short");
/* print_time()'s "2026-11-24 12:00:00 UTC", with room. */
#define TIME_TEXT_MAX 40

/* How many vis() results live at once: more than any one printf uses. */
#define VIS_RING 8

/*
 * Stored text (anything a client or a user could have chosen: a report's
 * fields, a user agent, an email, a display name) made safe for the
 * operator's terminal with util_escape_text: an ESC, CR or CSI from a
 * client must never clear, retitle or forge what tetherctl shows. The
 * result is owned by a ring of VIS_RING and lives until VIS_RING more
 * calls; vis_free() releases the ring at exit.
 */
static char *vis_ring[VIS_RING];
static size_t vis_next;

static const char *
vis(const char *s)
{
	char *e = util_escape_text(s);

	free(vis_ring[vis_next]);
	vis_ring[vis_next] = e;
	vis_next = (vis_next + 1) % VIS_RING;
	return e;
}

static void
vis_free(void)
{
	size_t i;

	for (i = 0; i < VIS_RING; i++) {
		free(vis_ring[i]);
		vis_ring[i] = NULL;
	}
}

/* A subcommand; run gets its own row, so it can print self->usage. */
struct cmd {
	const char *name;
	int (*run)(const struct cmd *self, int argc, char **argv);
	bool needs_db;
	const char *usage;
};

static struct config cfg;
static const char *config_file;

/* A command's usage on stderr; returns 2, the exit status of a misuse. */
static int
misuse(const struct cmd *self)
{
	fprintf(stderr, "usage: tetherctl %s\n", self->usage);
	return 2;
}

static int
open_db(void)
{
	char err[512];

	config_init(&cfg);
	if (config_load(&cfg, config_file, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "tetherctl: configuration: %s\n", err);
		return -1;
	}
	/* Connecting is bounded; a statement is not: a migration may take
	 * longer than a request ever should. */
	store_set_limits(&(struct store_limits){
	    .connect_timeout = cfg.database_connect_timeout,
	    .keepalive = cfg.database_keepalive,
	    .tcp_user_timeout = cfg.database_tcp_user_timeout });
	/* No LISTEN here: tetherctl keeps no session cache. */
	store_set_pooling(cfg.database_pooler == POOLER_TRANSACTION, NULL);
	if (store_open(cfg.database_url) != STORE_OK) {
		fprintf(stderr, "tetherctl: database unavailable\n");
		return -1;
	}
	return 0;
}

static int
cmd_migrate(const struct cmd *self, int argc, char **argv)
{
	FILE *out = tmpfile();
	char line[512];
	bool any = false;
	enum store_err err;

	(void)self;
	(void)argc;
	(void)argv;
	if (out == NULL) {
		perror("tetherctl: tmpfile");
		return 1;
	}
	err = store_migrate(cfg.sql_dir, out);
	rewind(out);
	while (fgets(line, sizeof(line), out) != NULL) {
		fputs(line, err == STORE_OK ? stdout : stderr);
		any = true;
	}
	fclose(out);
	if (err != STORE_OK) {
		fprintf(stderr, "tetherctl: migrate failed (%s)\n",
		    err == STORE_UNAVAILABLE ? "database unavailable" :
		    err == STORE_NOTFOUND ? "migrations missing or unreadable, as printed above" :
		                            "the database refused it, as printed above");
		return 1;
	}
	if (!any)
		printf("schema up to date\n");
	return 0;
}

/* Reads one line from stdin into buf; prompts with echo off on a TTY. */
static int
read_password(const char *prompt, char *buf, size_t size)
{
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	size_t len;
	char *got;

	if (tty) {
		fputs(prompt, stderr);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	got = fgets(buf, (int)size, stdin);
	if (tty) {
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (got == NULL)
		return -1;
	len = strlen(buf);
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	if (len > 0 && buf[len - 1] == '\r')
		buf[--len] = '\0';
	return 0;
}

static int
user_add(const char *email, const char *name)
{
	char pw[PASSWORD_LINE_MAX], again[PASSWORD_LINE_MAX];
	enum pw_err pe;
	char *hash = NULL;
	struct user u;
	enum store_err err;
	int rc = 1;

	if (read_password("Password: ", pw, sizeof(pw)) != 0) {
		fprintf(stderr, "tetherctl: no password on standard input\n");
		goto out;
	}
	if (isatty(STDIN_FILENO) &&
	    (read_password("Again: ", again, sizeof(again)) != 0 || strcmp(pw, again) != 0)) {
		fprintf(stderr, "tetherctl: the passwords differ\n");
		goto out;
	}
	if ((pe = password_validate(pw, strlen(pw))) != PW_OK) {
		fprintf(stderr, "tetherctl: %s\n", password_err_message(pe));
		goto out;
	}
	if ((hash = password_hash(pw, strlen(pw), &cfg.scrypt)) == NULL) {
		fprintf(stderr, "tetherctl: could not hash the password\n");
		goto out;
	}
	err = store_user_create(email, hash, name ? name : "", time(NULL), &u);
	if (err == STORE_CONFLICT)
		fprintf(stderr, "tetherctl: error: a user with that email exists\n");
	else if (err != STORE_OK)
		fprintf(stderr, "tetherctl: database unavailable\n");
	else {
		printf("created user %lld %s\n", (long long)u.id, vis(u.email));
		rc = 0;
	}
out:
	util_wipe(pw, sizeof(pw));
	util_wipe(again, sizeof(again));
	util_free_secret(hash);
	return rc;
}

static void
print_time(time_t t, char *buf, size_t size)
{
	struct tm tm;

	if (t == 0 || gmtime_r(&t, &tm) == NULL)
		snprintf(buf, size, "-");
	else
		strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

static int
find_user(const char *email, struct user *u)
{
	enum store_err err = store_user_by_email(email, u);

	if (err == STORE_NOTFOUND)
		fprintf(stderr, "tetherctl: no user %s\n", vis(email));
	else if (err != STORE_OK)
		fprintf(stderr, "tetherctl: database unavailable\n");
	return err == STORE_OK ? 0 : -1;
}

static int
user_list(void)
{
	struct user_row *rows;
	size_t i, n;
	char when[TIME_TEXT_MAX];

	if (store_users_list(&rows, &n) != STORE_OK) {
		fprintf(stderr, "tetherctl: database unavailable\n");
		return 1;
	}
	printf("%-6s %-32s %-20s %-8s %-8s %s\n", "ID", "EMAIL", "NAME", "STATE", "SESSIONS",
	    "CREATED");
	for (i = 0; i < n; i++) {
		print_time(rows[i].user.created_at, when, sizeof(when));
		printf("%-6lld %-32s %-20s %-8s %-8lld %s\n", (long long)rows[i].user.id,
		    vis(rows[i].user.email), vis(rows[i].user.display_name),
		    rows[i].user.disabled ? "disabled" : "active",
		    (long long)rows[i].live_sessions, when);
	}
	free(rows);
	return 0;
}

static int
user_disable(const char *email, bool disable)
{
	struct user u;
	int ended = 0;

	if (find_user(email, &u) != 0)
		return 1;
	if (store_user_set_disabled(u.id, disable, time(NULL), &ended) != STORE_OK) {
		fprintf(stderr, "tetherctl: database unavailable\n");
		return 1;
	}
	if (disable)
		printf("disabled user %lld %s; %d sessions ended\n", (long long)u.id,
		    vis(u.email), ended);
	else
		printf("enabled user %lld %s\n", (long long)u.id, vis(u.email));
	return 0;
}

static int
user_passwd(const char *email)
{
	struct user u;
	char pw[PASSWORD_LINE_MAX];
	char *hash = NULL;
	enum pw_err pe;
	int ended = 0, rc = 1;

	if (find_user(email, &u) != 0)
		return 1;
	if (read_password("New password: ", pw, sizeof(pw)) != 0) {
		fprintf(stderr, "tetherctl: no password on standard input\n");
		goto out;
	}
	if ((pe = password_validate(pw, strlen(pw))) != PW_OK) {
		fprintf(stderr, "tetherctl: %s\n", password_err_message(pe));
		goto out;
	}
	if ((hash = password_hash(pw, strlen(pw), &cfg.scrypt)) == NULL ||
	    store_user_set_password(u.id, hash, NULL, time(NULL), &ended) != STORE_OK) {
		fprintf(stderr, "tetherctl: the password could not be set\n");
		goto out;
	}
	printf("password changed for %s; %d sessions ended\n", vis(u.email), ended);
	rc = 0;
out:
	util_wipe(pw, sizeof(pw));
	util_free_secret(hash);
	return rc;
}

static int
cmd_user(const struct cmd *self, int argc, char **argv)
{
	const char *name = NULL;

	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return user_list();
	if (argc == 3 && strcmp(argv[1], "disable") == 0)
		return user_disable(argv[2], true);
	if (argc == 3 && strcmp(argv[1], "enable") == 0)
		return user_disable(argv[2], false);
	if (argc == 3 && strcmp(argv[1], "passwd") == 0)
		return user_passwd(argv[2]);
	if (argc >= 3 && strcmp(argv[1], "add") == 0) {
		if (argc == 5 && strcmp(argv[3], "--name") == 0)
			name = argv[4];
		else if (argc != 3)
			goto bad;
		if (strchr(argv[2], '@') == NULL) {
			fprintf(stderr, "tetherctl: '%s' is not an email address\n",
			    vis(argv[2]));
			return 2;
		}
		return user_add(argv[2], name);
	}
bad:
	return misuse(self);
}

static int
sessions_list(const char *email)
{
	struct session_row *rows;
	struct user u;
	size_t i, n;
	char created[TIME_TEXT_MAX], active[TIME_TEXT_MAX];

	if (email != NULL && find_user(email, &u) != 0)
		return 1;
	if (store_sessions_live(email ? u.id : 0, &rows, &n) != STORE_OK) {
		fprintf(stderr, "tetherctl: database unavailable\n");
		return 1;
	}
	printf("%-36s %-28s %-23s %-23s %-3s %s\n", "SESSION", "USER", "CREATED", "LAST ACTIVE",
	    "RM", "ADDRESS");
	for (i = 0; i < n; i++) {
		print_time(rows[i].session.created_at, created, sizeof(created));
		print_time(rows[i].session.last_active_at, active, sizeof(active));
		printf("%-36s %-28s %-23s %-23s %-3s %s\n", rows[i].session.id,
		    vis(rows[i].email), created, active,
		    rows[i].session.remember_me ? "yes" : "no", vis(rows[i].session.ip));
	}
	free(rows);
	return 0;
}

static int
cmd_sessions(const struct cmd *self, int argc, char **argv)
{
	bool ended = false;
	enum store_err err;

	if (argc >= 2 && argc <= 3 && strcmp(argv[1], "list") == 0)
		return sessions_list(argc == 3 ? argv[2] : NULL);
	if (argc == 3 && strcmp(argv[1], "revoke") == 0) {
		err = store_session_end(argv[2], 0, END_REVOKED_BY_ADMIN, time(NULL), time(NULL),
		    &ended);
		if (err == STORE_NOTFOUND) {
			fprintf(stderr, "tetherctl: no session %s\n", vis(argv[2]));
			return 1;
		}
		if (err != STORE_OK) {
			fprintf(stderr, "tetherctl: database unavailable\n");
			return 1;
		}
		printf(ended ? "session %s ended\n" : "session %s had already ended\n",
		    vis(argv[2]));
		return 0;
	}
	return misuse(self);
}

/* tetherctl cleanup's slices: each one transaction under transaction
 * pooling, so no transaction lasts longer than this. */
#define CTL_CLEANUP_SLICE_MS 10000
/* Its default pause after each batch, in percent of the batch's time: the
 * database cleans a quarter of the time, so the refreshes beside a year's
 * backlog keep their latency while autovacuum follows; at 100 the batches,
 * cheap since they start at their marks, deleted 44 000 rows/s and took
 * refresh's p99 to 3x (bench/results/2026-12-01-cleanup.md). */
#define CTL_CLEANUP_PAUSE 300

static int
cmd_cleanup(const struct cmd *self, int argc, char **argv)
{
	struct cleanup_pace pace = { CLEANUP_BATCH, CTL_CLEANUP_SLICE_MS, CTL_CLEANUP_PAUSE };
	struct cleanup_counts c, all = { 0 };
	struct cleanup_marks marks = { 0 };
	bool ran = false, more = true;
	int64_t pct, slices = 0, t0 = util_mono_ms();

	if (argc == 3 && strcmp(argv[1], "--pause") == 0) {
		if (util_parse_int(argv[2], 0, 10000, &pct) != 0) {
			fprintf(stderr, "tetherctl: --pause takes a percentage from 0 to 10000\n");
			return 2;
		}
		pace.pause_pct = (int)pct;
	} else if (argc != 1)
		return misuse(self);
	while (more) {
		if (store_cleanup(&cfg, time(NULL), &pace, &marks, &c, &ran, &more) != STORE_OK) {
			fprintf(stderr, "tetherctl: database unavailable\n");
			return 1;
		}
		if (!ran)
			break;
		slices++;
		cleanup_add(&all, &c);
	}
	if (slices == 0) {
		printf("another cleanup is running; nothing done\n");
		return 0;
	}
	if (more)
		printf("another cleanup took over; it does the rest\n");
	printf("sessions ended (past their limits)  %lld\n", (long long)all.sessions_expired);
	printf("access_blacklist deleted            %lld\n", (long long)all.blacklist);
	printf("refresh_tokens deleted              %lld\n", (long long)all.refresh_tokens);
	printf("sessions deleted                    %lld\n", (long long)all.sessions);
	printf("session_end_counts deleted          %lld\n", (long long)all.end_counts);
	printf("logout_events deleted               %lld\n", (long long)all.logout_events);
	printf("auth_events deleted                 %lld\n", (long long)all.auth_events);
	printf("login_attempts deleted              %lld\n", (long long)all.login_attempts);
	printf("in %.1f s\n", (double)(util_mono_ms() - t0) / 1000.0);
	return 0;
}

static void
print_report(const struct logout_event *ev)
{
	char when[TIME_TEXT_MAX];

	print_time(ev->created_at, when, sizeof(when));
	printf("================================================================\n");
	printf("LOGOUT EVENT - %s\n", when);
	printf("Type:       %s\n", vis(ev->type));
	printf("Message:    %s\n", vis(ev->message));
	if (ev->idle_minutes >= 0)
		printf("Idle Time:  %.1f minutes\n", ev->idle_minutes);
	else
		printf("Idle Time:  unknown\n");
	printf("Location:   %s\n", vis(ev->location));
	if (ev->user_id != 0)
		printf("User:       %s (id %lld)\n", ev->email ? vis(ev->email) : "?",
		    (long long)ev->user_id);
	else
		printf("User:       (not signed in)\n");
	printf("IP:         %s\n", vis(ev->ip));
	printf("User Agent: %s\n", vis(ev->user_agent));
	printf("Context:    %s\n", ev->context ? vis(ev->context) : "{}");
}

static void
print_end(const struct session_row *r)
{
	char when[TIME_TEXT_MAX];
	const struct session *s = &r->session;

	print_time(s->ended_at, when, sizeof(when));
	printf("================================================================\n");
	printf("SESSION END - %s\n", when);
	printf("Type:       %s\n", end_reason_name(s->end_reason));
	printf("Message:    %s\n", reason_message(reason_for_end(s->end_reason)));
	printf("Idle Time:  %.1f minutes\n", (double)(s->ended_at - s->last_active_at) / 60.0);
	printf("Location:   (server)\n");
	printf("User:       %s (id %lld)\n", vis(r->email), (long long)s->user_id);
	printf("IP:         %s\n", vis(s->ip));
	printf("User Agent: %s\n", vis(s->user_agent));
	printf("Context:    {\"session_id\": \"%s\", \"remember_me\": %s}\n", s->id,
	    s->remember_me ? "true" : "false");
}

static int
cmd_events(const struct cmd *self, int argc, char **argv)
{
	int64_t limit = 20;
	struct logout_event *evs = NULL;
	struct session_row *ends = NULL;
	size_t ne = 0, ns = 0, i = 0, j = 0;
	int rc = 1;

	if (argc == 3 && strcmp(argv[1], "--limit") == 0) {
		if (util_parse_int(argv[2], 1, 10000, &limit) != 0) {
			fprintf(stderr, "tetherctl: --limit takes 1 to 10000\n");
			return 2;
		}
	} else if (argc != 1)
		return misuse(self);
	if (store_events_reports((int)limit, &evs, &ne) != STORE_OK ||
	    store_events_ends((int)limit, &ends, &ns) != STORE_OK) {
		fprintf(stderr, "tetherctl: database unavailable\n");
		goto out;
	}
	/* One timeline, newest first, at most limit blocks. */
	while ((i < ne || j < ns) && (int64_t)(i + j) < limit) {
		if (j >= ns || (i < ne && evs[i].created_at >= ends[j].session.ended_at))
			print_report(&evs[i++]);
		else
			print_end(&ends[j++]);
	}
	if (ne + ns == 0)
		printf("no logout events\n");
	rc = 0;
out:
	store_logout_events_free(evs, ne);
	free(ends);
	return rc;
}

/* How long the sessions that ended in the last window seconds lasted, by
 * end reason: the figures of /metrics' tether_session_lifetime_seconds_recent,
 * per bucket. Returns 0, or -1 when the database does not answer. */
static int
print_lifetimes(const char *label, time_t now, int64_t window)
{
	struct metrics_lifetimes lt;
	int64_t total, b;
	int r, i, rows = 0;

	if (store_session_lifetimes(now, window, &lt) != STORE_OK)
		return -1;
	printf("sessions ended in the %s, by reason and how long they lasted (up to):\n", label);
	printf("  %-16s %5s", "", "ended");
	/* Each bound in its largest whole unit: 1m, 2h, 7d. */
	for (i = 0; i < METRICS_LIFETIME_BUCKETS; i++) {
		b = (int64_t)metrics_lifetime_le[i];
		if (b % 86400 == 0)
			printf(" %3lldd", (long long)(b / 86400));
		else if (b % 3600 == 0)
			printf(" %3lldh", (long long)(b / 3600));
		else
			printf(" %3lldm", (long long)(b / 60));
	}
	printf(" more\n");
	for (r = 1; r < END__MAX; r++) {
		for (total = 0, i = 0; i <= METRICS_LIFETIME_BUCKETS; i++)
			total += lt.n[r][i];
		if (total == 0)
			continue;
		rows++;
		printf("  %-16s %5lld", end_reason_name((enum end_reason)r), (long long)total);
		for (i = 0; i <= METRICS_LIFETIME_BUCKETS; i++)
			printf(" %4lld", (long long)lt.n[r][i]);
		printf("\n");
	}
	if (rows == 0)
		printf("  none\n");
	return 0;
}

static int
cmd_stats(const struct cmd *self, int argc, char **argv)
{
	struct stats st;
	struct stat_count *f;
	size_t i, n;
	time_t now = time(NULL);

	(void)self;
	(void)argc;
	(void)argv;
	if (store_stats(now, &st, &f, &n) != STORE_OK) {
		fprintf(stderr, "tetherctl: database unavailable\n");
		return 1;
	}
	printf("users                      %lld\n", (long long)st.users);
	printf("active sessions            %lld\n", (long long)st.active_sessions);
	printf("logins in the last hour    %lld\n", (long long)st.logins_hour);
	printf("refreshes in the last hour %lld\n", (long long)st.refreshes_hour);
	printf("failures and session ends in the last 24 hours:\n");
	for (i = 0; i < n; i++)
		printf("  %-16s %-24s %lld\n", f[i].kind, f[i].reason, (long long)f[i].count);
	if (n == 0)
		printf("  none\n");
	free(f);
	if (print_lifetimes("last hour", now, 3600) != 0 ||
	    print_lifetimes("last 24 hours", now, 86400) != 0) {
		fprintf(stderr, "tetherctl: database unavailable\n");
		return 1;
	}
	return 0;
}

static int
cmd_bench(const struct cmd *self, int argc, char **argv)
{
	(void)self; /* ctl_bench prints its own usage */
	return ctl_bench(argc, argv, &cfg);
}

static int
cmd_keygen(const struct cmd *self, int argc, char **argv)
{
	unsigned char secret[JWT_SECRET_MIN]; /* 256 bits, HS256's own size */
	char kid[32];
	char *enc;
	time_t now = time(NULL);
	struct tm tm;

	(void)self;
	if (argc > 1)
		snprintf(kid, sizeof(kid), "%s", argv[1]);
	else {
		gmtime_r(&now, &tm);
		strftime(kid, sizeof(kid), "k%Y%m%d", &tm);
	}
	util_random(secret, sizeof(secret));
	enc = b64url_encode(secret, sizeof(secret));
	util_wipe(secret, sizeof(secret));
	printf("%s:%s\n", kid, enc);
	util_free_secret(enc);
	return 0;
}

/* The subcommands, in the order usage() lists them. */
static const struct cmd cmds[] = {
	{ "migrate", cmd_migrate, true,
	    "migrate                         apply the sql/ migrations not yet applied" },
	{ "user", cmd_user, true,
	    "user add EMAIL [--name NAME]    create a user (password from stdin)\n"
	    "  user list                       every user, with live sessions\n"
	    "  user disable EMAIL              disable; ends its sessions (USER_DISABLED)\n"
	    "  user enable EMAIL               enable again\n"
	    "  user passwd EMAIL               new password from stdin; ends its sessions" },
	{ "sessions", cmd_sessions, true,
	    "sessions list [EMAIL]           live sessions, newest first\n"
	    "  sessions revoke ID              end one (REVOKED_BY_ADMIN)" },
	{ "cleanup", cmd_cleanup, true,
	    "cleanup [--pause PCT]           delete what has expired; prints per table" },
	{ "events", cmd_events, true,
	    "events [--limit N]              recent logout reports and session ends" },
	{ "stats", cmd_stats, true,
	    "stats                           active sessions, refreshes, failures" },
	{ "keygen", cmd_keygen, false,
	    "keygen [KID]                    print a new signing key \"kid:secret\"" },
	{ "bench", cmd_bench, true,
	    "bench tokens N DIR | scrypt N | sql NAME | seed [--scale F]   helpers of bench/run" },
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static void
usage(FILE *fp)
{
	size_t i;

	fprintf(fp, "usage: tetherctl [--config FILE] COMMAND ...\n\ncommands:\n");
	for (i = 0; i < NCMDS; i++)
		fprintf(fp, "  %s\n", cmds[i].usage);
	fprintf(fp, "\nThe configuration comes from --config, TETHER_CONFIG and TETHER_* "
	    "variables.\n");
}

int
main(int argc, char **argv)
{
	const struct cmd *c = NULL;
	size_t i;
	int rc;

	/* As in the workers: `bench scrypt` must time the hash they compute. */
	(void)cryptomem_install();
	config_file = getenv("TETHER_CONFIG");
	if (argc >= 3 && strcmp(argv[1], "--config") == 0) {
		config_file = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (i = 0; i < NCMDS; i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			c = &cmds[i];
	if (c == NULL) {
		fprintf(stderr, "tetherctl: unknown command '%s'\n", argv[1]);
		usage(stderr);
		return 2;
	}
	if (argc >= 3 && strcmp(argv[2], "--help") == 0) {
		printf("usage: tetherctl %s\n", c->usage);
		return 0;
	}
	if (c->needs_db && open_db() != 0) {
		config_clear(&cfg);
		return 1;
	}
	rc = c->run(c, argc - 1, argv + 1);
	vis_free();
	store_close();
	config_clear(&cfg);
	return rc;
}
