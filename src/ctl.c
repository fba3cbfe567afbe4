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
#include "config.h"
#include "password.h"
#include "store.h"
#include "util.h"

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	bool needs_db;
	const char *usage;
};

static struct config cfg;
static const char *config_file;

static int cmd_migrate(int argc, char **argv);
static int cmd_user(int argc, char **argv);
static int cmd_keygen(int argc, char **argv);

static const struct cmd cmds[] = {
	{ "migrate", cmd_migrate, true,
	    "migrate                       apply the sql/ migrations not yet applied" },
	{ "user", cmd_user, true,
	    "user add EMAIL [--name NAME]  create a user; the password is read from stdin" },
	{ "keygen", cmd_keygen, false,
	    "keygen [KID]                  print a new signing key \"kid:secret\"" },
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static void
usage(FILE *fp)
{
	size_t i;

	fprintf(fp, "usage: tetherctl [--config FILE] COMMAND ...\n\ncommands:\n");
	for (i = 0; i < NCMDS; i++)
		fprintf(fp, "  %s\n", cmds[i].usage);
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
	if (store_open(cfg.database_url) != STORE_OK) {
		fprintf(stderr, "tetherctl: database unavailable\n");
		return -1;
	}
	return 0;
}

static int
cmd_migrate(int argc, char **argv)
{
	FILE *out = tmpfile();
	char line[512];
	bool any = false;
	enum store_err err;

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
		    err == STORE_NOTFOUND ? "no migrations directory" : "a migration failed");
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
	char pw[4200], again[4200];
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
		printf("created user %lld %s\n", (long long)u.id, u.email);
		rc = 0;
	}
out:
	util_wipe(pw, sizeof(pw));
	util_wipe(again, sizeof(again));
	util_free_secret(hash);
	return rc;
}

static int
cmd_user(int argc, char **argv)
{
	const char *name = NULL;

	if (argc >= 3 && strcmp(argv[1], "add") == 0) {
		if (argc == 5 && strcmp(argv[3], "--name") == 0)
			name = argv[4];
		else if (argc != 3)
			goto bad;
		if (strchr(argv[2], '@') == NULL) {
			fprintf(stderr, "tetherctl: '%s' is not an email address\n", argv[2]);
			return 2;
		}
		return user_add(argv[2], name);
	}
bad:
	fprintf(stderr, "usage: tetherctl user add EMAIL [--name NAME]\n");
	return 2;
}

static int
cmd_keygen(int argc, char **argv)
{
	unsigned char secret[32];
	char kid[32];
	char *enc;
	time_t now = time(NULL);
	struct tm tm;

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

int
main(int argc, char **argv)
{
	const struct cmd *c = NULL;
	size_t i;
	int rc;

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
	rc = c->fn(argc - 1, argv + 1);
	store_close();
	config_clear(&cfg);
	return rc;
}
