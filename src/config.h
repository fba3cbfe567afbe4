/*
 * config: one table of keys -> struct config. Reads the file (key = value,
 * '#' comments as conf/tether.conf describes them), then applies TETHER_<KEY>
 * environment overrides (taken as they are: no comments), then checks
 * the whole. The configuration is read once at start and read-only after.
 */
#ifndef TETHER_CONFIG_H
#define TETHER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "jwt.h"
#include "log.h"
#include "password.h"

#define CONFIG_MAX_KEYS 8
#define CONFIG_MAX_CIDRS 16
/* The shortest setup_code accepted. */
#define SETUP_CODE_MIN 20

enum token_transport { TRANSPORT_COOKIE = 0, TRANSPORT_BODY, TRANSPORT_BOTH };
enum samesite { SAMESITE_LAX = 0, SAMESITE_STRICT, SAMESITE_NONE };
/* What stands between the workers and PostgreSQL (database_pooler). */
enum db_pooler { POOLER_NONE = 0, POOLER_SESSION, POOLER_TRANSACTION };

/* Durations are seconds. Strings are owned by the struct (config_clear). */
struct config {
	char *database_url;
	char *database_url_file;
	/* How long a worker waits for the database (0 = no limit; store.h). */
	int64_t database_connect_timeout;
	int64_t database_statement_timeout;
	int64_t database_lock_timeout;
	int64_t database_keepalive;
	int64_t database_tcp_user_timeout;
	/* transaction: no named statements, no session state, no LISTEN on
	 * database_url; session and none: the same as a direct connection. */
	enum db_pooler database_pooler;
	/* With transaction pooling: a direct connection, for LISTEN only
	 * ("" = none: then no session cache). */
	char *database_listen_url;
	char *database_listen_url_file;
	char *signing_keys;      /* raw text; parsed into keys[] */
	char *signing_keys_file;
	struct jwt_key keys[CONFIG_MAX_KEYS];
	size_t nkeys;
	char *issuer;
	char *audience;
	char *mount_path;
	int64_t access_token_lifetime;
	int64_t refresh_token_lifetime;
	int64_t refresh_token_lifetime_remember_me;
	int64_t idle_timeout;
	int64_t idle_timeout_remember_me; /* 0 = none */
	int64_t session_max_age;
	int64_t session_max_age_remember_me;
	int64_t refresh_reuse_grace;
	int64_t activity_write_interval;
	int64_t warning_window;
	int64_t jwt_leeway;
	enum token_transport token_transport;
	bool cookie_secure;
	enum samesite cookie_samesite;
	bool allow_registration;
	int64_t max_body_bytes;
	struct scrypt_params scrypt;
	int64_t login_max_attempts;
	int64_t login_window;
	int64_t address_max_attempts; /* password hashes per address per window */
	int64_t address_max_writes;   /* unauthenticated writes per address per window */
	int64_t hash_concurrency;     /* hashes in flight per host; 0 = no cap */
	char *hash_gate_file;         /* their shared slots; "" = temp file */
	int64_t worker_max_requests;  /* requests before a worker retires; 0 = never */
	int64_t cleanup_interval;
	int64_t session_retention;
	int64_t event_retention;
	char *trusted_proxies; /* networks whose X-Forwarded-For is believed */
	char *metrics_allow;
	char *metrics_file; /* the shared counters; "" = per-deployment temp file */
	bool session_cache;       /* verify live sessions without a round trip */
	char *session_cache_file; /* the host's end log; "" = per-deployment temp file */
	bool debug_panel;
	enum log_level log_level;
	char *sql_dir; /* where tetherctl migrate finds the migrations */
	/* "" = POST /setup is off (404). Otherwise the secret that lets
	 * /setup apply the migrations and create the first user, for a host
	 * with no shell (see README, Shared hosting). */
	char *setup_code;
	/* Where the authorizer sends a signed-out page load: a path of this
	 * site ("/": htdocs/index.html), given ?next= the page asked for. */
	char *authz_signin;
};

/* Sets every key to its default; strings are allocated. */
void config_init(struct config *cfg);
/* Frees the strings and wipes the keys. */
void config_clear(struct config *cfg);

/*
 * Loads path (NULL: no file) over the defaults, then the TETHER_* variables
 * from envp (NULL: the process environment), then checks required keys
 * (database_url, signing_keys) and parses the signing keys.
 * Returns 0, or -1 with err holding "path:line: key: why" (or
 * "TETHER_KEY: why" for the environment) — never the value of a secret.
 * On -1 *cfg still holds only allocated-or-NULL strings (config_clear it).
 */
int config_load(struct config *cfg, const char *path, char **envp, char *err,
    size_t errlen);

/*
 * Sets one key from text, as the file and environment do. Returns 0, -1 for
 * an unknown key, -2 for a bad value (err says why).
 */
int config_set(struct config *cfg, const char *key, const char *value, char *err,
    size_t errlen);

/* Writes every key with its default value, one "key = value" per line. */
void config_print_defaults(FILE *fp);

/* The number of keys in the table and the name of the i-th (for tests). */
size_t config_key_count(void);
const char *config_key_name(size_t i);

#endif
