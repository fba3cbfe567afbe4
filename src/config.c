/*
 * config: one table of keys drives defaults, the file, the TETHER_*
 * environment, printing and the tests. Errors name the key and the line
 * (or the variable) but never repeat a value: it may be a secret.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "config.h"
#include "hashgate.h"
#include "netaddr.h"
#include "util.h"

#ifndef TETHER_SQLDIR
#define TETHER_SQLDIR "sql"
#endif

/* The variables that override keys: TETHER_<KEY>. */
#define ENV_PREFIX "TETHER_"
#define ENV_PREFIX_LEN (sizeof(ENV_PREFIX) - 1)
/* Room for the <KEY> of a variable; a longer one names no key. */
#define ENV_NAME_MAX 96
/* Why a value was refused (never the value: it may be a secret). */
#define WHY_MAX 160
/* The longest signing_keys value: CONFIG_MAX_KEYS "kid:secret" with the
 * secret in base64url, separated by ", ". A line of the file and a
 * signing_keys_file must hold it whole. */
#define SIGNING_KEYS_TEXT_MAX \
	(CONFIG_MAX_KEYS * (JWT_KID_MAX + 1 + (JWT_SECRET_MAX * 4 + 2) / 3 + 2))
#define CONF_LINE_MAX 4096
#define SECRET_FILE_MAX 4096
_Static_assert(CONF_LINE_MAX > sizeof("signing_keys = ") + SIGNING_KEYS_TEXT_MAX + 2,
    "a line of the file cannot hold every signing key");
_Static_assert(SECRET_FILE_MAX > SIGNING_KEYS_TEXT_MAX + 2,
    "a signing_keys_file cannot hold every signing key");

enum conf_type { C_STRING, C_DURATION, C_INT, C_BOOL, C_TRANSPORT, C_SAMESITE,
	C_POOLER, C_LOGLEVEL, C_SCRYPT_N, C_SCRYPT_R, C_SCRYPT_P };

struct key {
	const char *name;
	enum conf_type type;
	size_t off;
	const char *def;
	int64_t min, max; /* for C_INT */
};

#define K(n, t, d) { #n, t, offsetof(struct config, n), d, 0, 0 }
static const struct key keys[] = {
	K(database_url, C_STRING, ""),
	K(database_url_file, C_STRING, ""),
	K(database_connect_timeout, C_DURATION, "5s"),
	K(database_statement_timeout, C_DURATION, "10s"),
	K(database_lock_timeout, C_DURATION, "3s"),
	K(database_keepalive, C_DURATION, "30s"),
	K(database_tcp_user_timeout, C_DURATION, "15s"),
	K(database_pooler, C_POOLER, "none"),
	K(database_listen_url, C_STRING, ""),
	K(database_listen_url_file, C_STRING, ""),
	K(signing_keys, C_STRING, ""),
	K(signing_keys_file, C_STRING, ""),
	K(issuer, C_STRING, "tether"),
	K(audience, C_STRING, "tether"),
	K(mount_path, C_STRING, "/api/auth"),
	K(access_token_lifetime, C_DURATION, "15m"),
	K(refresh_token_lifetime, C_DURATION, "7d"),
	K(refresh_token_lifetime_remember_me, C_DURATION, "20d"),
	K(idle_timeout, C_DURATION, "30m"),
	K(idle_timeout_remember_me, C_DURATION, "0"),
	K(session_max_age, C_DURATION, "12h"),
	K(session_max_age_remember_me, C_DURATION, "20d"),
	K(refresh_reuse_grace, C_DURATION, "10s"),
	K(activity_write_interval, C_DURATION, "60s"),
	K(warning_window, C_DURATION, "5m"),
	K(jwt_leeway, C_DURATION, "30s"),
	K(token_transport, C_TRANSPORT, "both"),
	K(cookie_secure, C_BOOL, "true"),
	K(cookie_samesite, C_SAMESITE, "Lax"),
	K(allow_registration, C_BOOL, "false"),
	{ "max_body_bytes", C_INT, offsetof(struct config, max_body_bytes), "16384", 256,
	    1048576 },
	{ "scrypt_n", C_SCRYPT_N, offsetof(struct config, scrypt), "16384", 0, 0 },
	{ "scrypt_r", C_SCRYPT_R, offsetof(struct config, scrypt), "8", 0, 0 },
	{ "scrypt_p", C_SCRYPT_P, offsetof(struct config, scrypt), "5", 0, 0 },
	{ "login_max_attempts", C_INT, offsetof(struct config, login_max_attempts), "10", 1,
	    1000000 },
	K(login_window, C_DURATION, "15m"),
	{ "address_max_attempts", C_INT, offsetof(struct config, address_max_attempts), "30",
	    1, 1000000 },
	{ "address_max_writes", C_INT, offsetof(struct config, address_max_writes), "60", 1,
	    1000000 },
	{ "hash_concurrency", C_INT, offsetof(struct config, hash_concurrency), "1", 0,
	    HASHGATE_SLOTS },
	K(hash_gate_file, C_STRING, ""),
	{ "worker_max_requests", C_INT, offsetof(struct config, worker_max_requests), "100000", 0,
	    1000000000 },
	K(cleanup_interval, C_DURATION, "5m"),
	K(session_retention, C_DURATION, "30d"),
	K(event_retention, C_DURATION, "90d"),
	K(trusted_proxies, C_STRING, ""),
	K(metrics_allow, C_STRING, "127.0.0.1/32,::1/128"),
	K(metrics_file, C_STRING, ""),
	K(session_cache, C_BOOL, "true"),
	K(session_cache_file, C_STRING, ""),
	K(debug_panel, C_BOOL, "false"),
	K(log_level, C_LOGLEVEL, "info"),
	K(sql_dir, C_STRING, TETHER_SQLDIR),
	K(setup_code, C_STRING, ""),
	K(authz_signin, C_STRING, "/"),
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* Keys whose value in the file is the whole rest of the line, '#' and all:
 * a database password or a signing key may contain " #", and cutting it
 * there would connect or sign with a different value. */
static const char *const whole_line[] = { "database_url", "database_listen_url",
	"signing_keys", "setup_code" };

/* Durations that must be positive: a zero here would make every token
 * or session dead on arrival. */
static const char *const positive[] = { "access_token_lifetime", "refresh_token_lifetime",
	"refresh_token_lifetime_remember_me", "session_max_age", "session_max_age_remember_me",
	"activity_write_interval" };

/* Database timeouts: PostgreSQL and libpq take milliseconds in an int,
 * and a limit of more than a day is no limit. */
static const char *const at_most_a_day[] = { "database_connect_timeout",
	"database_statement_timeout", "database_lock_timeout", "database_keepalive",
	"database_tcp_user_timeout" };

size_t
config_key_count(void)
{
	return NKEYS;
}

const char *
config_key_name(size_t i)
{
	return i < NKEYS ? keys[i].name : NULL;
}

static const struct key *
find(const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* The values of an enumerated key, in the order of its enum. */
static const char *const transports[] = { "cookie", "body", "both", NULL };
static const char *const samesites[] = { "lax", "strict", "none", NULL };
static const char *const poolers[] = { "none", "session", "transaction", NULL };

/* Index of v (case-insensitively) in the NULL-terminated names, or -1. */
static int
choice(const char *v, const char *const names[])
{
	int i;

	for (i = 0; names[i] != NULL; i++)
		if (strcasecmp(v, names[i]) == 0)
			return i;
	return -1;
}

static int
set_typed(struct config *cfg, const struct key *k, const char *v, char *err, size_t errlen)
{
	char *base = (char *)cfg + k->off;
	int64_t n;
	bool b;

	switch (k->type) {
	case C_STRING:
		util_free_secret(*(char **)base);
		*(char **)base = xstrdup(v);
		return 0;
	case C_DURATION:
		if (util_parse_duration(v, (int64_t *)base) == 0)
			return 0;
		snprintf(err, errlen, "not a duration (use e.g. 30s, 15m, 12h, 20d)");
		return -2;
	case C_INT:
		if (util_parse_int(v, k->min, k->max, (int64_t *)base) == 0)
			return 0;
		snprintf(err, errlen, "not a whole number from %lld to %lld", (long long)k->min,
		    (long long)k->max);
		return -2;
	case C_BOOL:
		if (util_parse_bool(v, &b) != 0) {
			snprintf(err, errlen, "not true or false");
			return -2;
		}
		*(bool *)base = b;
		return 0;
	case C_TRANSPORT:
		if ((n = choice(v, transports)) >= 0) {
			cfg->token_transport = (enum token_transport)n;
			return 0;
		}
		snprintf(err, errlen, "must be cookie, body or both");
		return -2;
	case C_SAMESITE:
		if ((n = choice(v, samesites)) >= 0) {
			cfg->cookie_samesite = (enum samesite)n;
			return 0;
		}
		snprintf(err, errlen, "must be Lax, Strict or None");
		return -2;
	case C_POOLER:
		if ((n = choice(v, poolers)) >= 0) {
			cfg->database_pooler = (enum db_pooler)n;
			return 0;
		}
		snprintf(err, errlen, "must be none, session or transaction");
		return -2;
	case C_LOGLEVEL:
		if (log_level_parse(v, &cfg->log_level) == 0)
			return 0;
		snprintf(err, errlen, "must be error, warn, info or debug");
		return -2;
	case C_SCRYPT_N:
		if (util_parse_int(v, 2, 1 << 20, &n) != 0 || (n & (n - 1)) != 0) {
			snprintf(err, errlen, "must be a power of two from 2 to 1048576");
			return -2;
		}
		cfg->scrypt.n = (uint64_t)n;
		return 0;
	case C_SCRYPT_R:
	case C_SCRYPT_P:
		if (util_parse_int(v, 1, 4096, &n) != 0) {
			snprintf(err, errlen, "must be a whole number from 1 to 4096");
			return -2;
		}
		if (k->type == C_SCRYPT_R)
			cfg->scrypt.r = (uint32_t)n;
		else
			cfg->scrypt.p = (uint32_t)n;
		return 0;
	}
	return -2;
}

int
config_set(struct config *cfg, const char *key, const char *value, char *err, size_t errlen)
{
	const struct key *k = find(key);

	if (k == NULL) {
		snprintf(err, errlen, "unknown key '%s'", key);
		return -1;
	}
	return set_typed(cfg, k, value, err, errlen);
}

void
config_init(struct config *cfg)
{
	char err[WHY_MAX];
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < NKEYS; i++)
		if (set_typed(cfg, &keys[i], keys[i].def, err, sizeof(err)) != 0)
			abort(); /* a default that does not parse is a bug */
}

void
config_clear(struct config *cfg)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (keys[i].type == C_STRING)
			util_free_secret(*(char **)((char *)cfg + keys[i].off));
	for (i = 0; i < CONFIG_MAX_KEYS; i++)
		jwt_key_clear(&cfg->keys[i]);
	memset(cfg, 0, sizeof(*cfg));
}

void
config_print_defaults(FILE *fp)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		fprintf(fp, "%s = %s\n", keys[i].name, keys[i].def);
}

static char *
strip(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* Ends v at its trailing comment: a '#' after a space or tab. A '#' right
 * after another character stays (postgres://u:p#w@h/db); so does every '#'
 * of a whole_line key. */
static void
cut_comment(const char *key, char *v)
{
	char prev = '\0';
	size_t i;

	for (i = 0; i < sizeof(whole_line) / sizeof(whole_line[0]); i++)
		if (strcmp(key, whole_line[i]) == 0)
			return;
	for (; *v != '\0'; prev = *v++)
		if (*v == '#' && (prev == ' ' || prev == '\t')) {
			*v = '\0';
			return;
		}
}

static int
load_file(struct config *cfg, const char *path, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "r");
	char line[CONF_LINE_MAX], why[WHY_MAX], *s, *eq;
	int lineno = 0, rc = -1, set;

	if (fp == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		s = strip(line);
		if (*s == '\0' || *s == '#')
			continue;
		if ((eq = strchr(s, '=')) == NULL) {
			snprintf(err, errlen, "%s:%d: expected \"key = value\"", path, lineno);
			goto out;
		}
		*eq = '\0';
		s = strip(s);
		cut_comment(s, eq + 1);
		set = config_set(cfg, s, strip(eq + 1), why, sizeof(why));
		if (set == -1) {
			snprintf(err, errlen, "%s:%d: unknown key '%s'", path, lineno, s);
			goto out;
		} else if (set != 0) {
			snprintf(err, errlen, "%s:%d: %s: %s", path, lineno, s, why);
			goto out;
		}
	}
	rc = 0;
out:
	util_wipe(line, sizeof(line));
	fclose(fp);
	return rc;
}

static int
load_env(struct config *cfg, char **envp, char *err, size_t errlen)
{
	extern char **environ;
	char name[ENV_NAME_MAX], why[WHY_MAX], **e;
	const char *eq, *k;
	size_t i, len;

	for (e = envp ? envp : environ; e != NULL && *e != NULL; e++) {
		if (strncmp(*e, ENV_PREFIX, ENV_PREFIX_LEN) != 0 ||
		    (eq = strchr(*e, '=')) == NULL)
			continue;
		k = *e + ENV_PREFIX_LEN;
		len = (size_t)(eq - k);
		if (len >= sizeof(name))
			continue;
		for (i = 0; i < len; i++)
			name[i] =
			    (char)(k[i] >= 'A' && k[i] <= 'Z' ? k[i] - 'A' + 'a' : k[i]);
		name[len] = '\0';
		if (find(name) == NULL)
			continue; /* TETHER_CONFIG, TETHER_PORT, ...: not keys */
		if (config_set(cfg, name, eq + 1, why, sizeof(why)) != 0) {
			snprintf(err, errlen, "%.*s: %s", (int)(eq - *e), *e, why);
			return -1;
		}
	}
	return 0;
}

/* Reads a secret from a file only its owner may read into *dst. */
static int
read_secret(char **dst, const char *path, const char *key, char *err, size_t errlen)
{
	struct stat st;
	FILE *fp;
	char buf[SECRET_FILE_MAX];
	size_t n;

	if ((fp = fopen(path, "r")) == NULL || fstat(fileno(fp), &st) != 0) {
		snprintf(err, errlen, "%s: %s: %s", key, path, strerror(errno));
		if (fp != NULL)
			fclose(fp);
		return -1;
	}
	if ((st.st_mode & 077) != 0) {
		snprintf(err, errlen, "%s: %s must not be readable by group or others "
		    "(chmod 600)", key, path);
		fclose(fp);
		return -1;
	}
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	util_free_secret(*dst);
	*dst = xstrdup(strip(buf));
	util_wipe(buf, sizeof(buf));
	return 0;
}

static int
load_secrets(struct config *cfg, char *err, size_t errlen)
{
	if (*cfg->database_url_file != '\0') {
		if (*cfg->database_url != '\0') {
			snprintf(err, errlen, "database_url and database_url_file: give only one");
			return -1;
		}
		if (read_secret(&cfg->database_url, cfg->database_url_file, "database_url_file",
		    err, errlen) != 0)
			return -1;
	}
	if (*cfg->database_listen_url_file != '\0') {
		if (*cfg->database_listen_url != '\0') {
			snprintf(err, errlen,
			    "database_listen_url and database_listen_url_file: give only one");
			return -1;
		}
		if (read_secret(&cfg->database_listen_url, cfg->database_listen_url_file,
		    "database_listen_url_file", err, errlen) != 0)
			return -1;
	}
	if (*cfg->signing_keys_file != '\0') {
		if (*cfg->signing_keys != '\0') {
			snprintf(err, errlen, "signing_keys and signing_keys_file: give only one");
			return -1;
		}
		if (read_secret(&cfg->signing_keys, cfg->signing_keys_file, "signing_keys_file",
		    err, errlen) != 0)
			return -1;
	}
	return 0;
}

static int
parse_keys(struct config *cfg, char *err, size_t errlen)
{
	char *copy = xstrdup(cfg->signing_keys), *item, *save = NULL;
	char why[WHY_MAX];
	size_t i;
	int rc = -1;

	cfg->nkeys = 0;
	for (item = strtok_r(copy, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
		item = strip(item);
		if (cfg->nkeys == CONFIG_MAX_KEYS) {
			snprintf(err, errlen, "signing_keys: at most %d keys", CONFIG_MAX_KEYS);
			goto out;
		}
		if (jwt_key_parse(item, &cfg->keys[cfg->nkeys], why, sizeof(why)) != 0) {
			snprintf(err, errlen, "signing_keys: %s", why);
			goto out;
		}
		for (i = 0; i < cfg->nkeys; i++)
			if (strcmp(cfg->keys[i].kid, cfg->keys[cfg->nkeys].kid) == 0) {
				snprintf(err, errlen, "signing_keys: key id '%s' appears twice",
				    cfg->keys[i].kid);
				goto out;
			}
		cfg->nkeys++;
	}
	if (cfg->nkeys == 0) {
		snprintf(err, errlen, "signing_keys: required (make one with tetherctl keygen)");
		goto out;
	}
	rc = 0;
out:
	util_free_secret(copy);
	return rc;
}

static int
check(struct config *cfg, char *err, size_t errlen)
{
	size_t i, bad, len = strlen(cfg->mount_path);
	const struct key *k;

	if (*cfg->database_url == '\0') {
		snprintf(err, errlen, "database_url: required");
		return -1;
	}
	/* The session cache is only as good as the news of session ends: in
	 * transaction pooling there is no LISTEN on the pooled connection, so
	 * it needs a direct one, or no cache at all. */
	if (*cfg->database_listen_url != '\0' && cfg->database_pooler != POOLER_TRANSACTION) {
		snprintf(err, errlen, "database_listen_url: only with database_pooler = "
		    "transaction (otherwise the workers LISTEN on database_url)");
		return -1;
	}
	if (cfg->database_pooler == POOLER_TRANSACTION && cfg->session_cache &&
	    *cfg->database_listen_url == '\0') {
		snprintf(err, errlen, "session_cache: with database_pooler = transaction it "
		    "needs database_listen_url (a direct connection, for LISTEN); or set "
		    "session_cache = false");
		return -1;
	}
	if (cfg->mount_path[0] != '/' || (len > 1 && cfg->mount_path[len - 1] == '/')) {
		snprintf(err, errlen, "mount_path: must start with '/' and not end with one");
		return -1;
	}
	for (i = 0; i < sizeof(positive) / sizeof(positive[0]); i++) {
		k = find(positive[i]);
		if (*(int64_t *)((char *)cfg + k->off) <= 0) {
			snprintf(err, errlen, "%s: must be more than 0", positive[i]);
			return -1;
		}
	}
	/* A short code could be guessed through /setup before the owner
	 * uses it; 20 characters of a password generator are out of reach. */
	len = strlen(cfg->setup_code);
	if (len > 0 && len < SETUP_CODE_MIN) {
		snprintf(err, errlen, "setup_code: at least %d characters", SETUP_CODE_MIN);
		return -1;
	}
	/* A path of this site only: the redirect must not leave it. */
	if (cfg->authz_signin[0] != '/' || cfg->authz_signin[1] == '/' ||
	    cfg->authz_signin[1] == '\\' || strpbrk(cfg->authz_signin, "\r\n ") != NULL) {
		snprintf(err, errlen, "authz_signin: a path of this site, starting with one '/'");
		return -1;
	}
	for (i = 0; i < sizeof(at_most_a_day) / sizeof(at_most_a_day[0]); i++) {
		k = find(at_most_a_day[i]);
		if (*(int64_t *)((char *)cfg + k->off) > 86400) {
			snprintf(err, errlen, "%s: must be at most 1d", at_most_a_day[i]);
			return -1;
		}
	}
	if (cfg->cookie_samesite == SAMESITE_NONE && !cfg->cookie_secure) {
		snprintf(err, errlen, "cookie_samesite: None requires cookie_secure = true");
		return -1;
	}
	/* Checked here, not at the first scrape: an entry that does not parse
	 * would silently allow nothing (or, read leniently, everything). */
	if ((bad = netaddr_list_check(cfg->metrics_allow)) != 0) {
		snprintf(err, errlen,
		    "metrics_allow: entry %zu is not an address or a network "
		    "(a.b.c.d/n or x::y/n, n in digits)",
		    bad);
		return -1;
	}
	/* A typo would trust nobody (or, read leniently, everybody). */
	if ((bad = netaddr_list_check(cfg->trusted_proxies)) != 0) {
		snprintf(err, errlen, "trusted_proxies: entry %zu is not an address or a network",
		    bad);
		return -1;
	}
	return parse_keys(cfg, err, errlen);
}

int
config_load(struct config *cfg, const char *path, char **envp, char *err, size_t errlen)
{
	if (path != NULL && *path != '\0' && load_file(cfg, path, err, errlen) != 0)
		return -1;
	if (load_env(cfg, envp, err, errlen) != 0 || load_secrets(cfg, err, errlen) != 0)
		return -1;
	if (check(cfg, err, errlen) != 0)
		return -1;
	return 0;
}
