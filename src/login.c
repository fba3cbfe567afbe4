/*
 * login: sign-in policy. Why the failures are counted in PostgreSQL: every
 * worker on every host must see the same count. Why an unknown email burns
 * a hash: it must cost what a wrong password costs, or the response time
 * tells which emails have accounts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "log.h"
#include "login.h"
#include "metrics.h"
#include "password.h"
#include "util.h"

bool
login_email_ok(const char *e)
{
	const char *at = strchr(e, '@');
	size_t len = strlen(e);
	const char *p;

	if (len < 3 || len > EMAIL_MAX || at == NULL || at == e || at[1] == '\0' ||
	    strchr(at + 1, '@') != NULL)
		return false;
	for (p = e; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return false;
	return util_utf8_valid(e, len);
}

const char *
login_parse_registration(json_object *body, struct registration *r)
{
	enum pw_err pe;

	memset(r, 0, sizeof(*r));
	if (json_get_text(body, "email", EMAIL_MAX, &r->email) != 0 ||
	    !login_email_ok(r->email))
		return "A valid email address is required.";
	if (body == NULL ||
	    json_get_string(body, "password", &r->password, &r->password_len) != 0)
		return "A password is required.";
	if ((pe = password_validate(r->password, r->password_len)) != PW_OK)
		return password_err_message(pe);
	if (json_get_text(body, "display_name", DISPLAY_NAME_MAX, &r->display_name) < 0 ||
	    (r->display_name != NULL &&
	        !util_text_ok(r->display_name, DISPLAY_NAME_MAX_CHARS)))
		return "display_name must be text of at most 128 characters.";
	return NULL;
}

/* Seconds until the first key over its limit lets an attempt in again
 * (at least 1), or 0 if none is over. */
static int64_t
retry_after(const struct config *cfg, const struct throttle_key *k, size_t n, time_t now)
{
	time_t until = 0, t;
	size_t i;

	for (i = 0; i < n; i++) {
		t = k[i].oldest + (time_t)cfg->login_window;
		if (k[i].count >= k[i].max && t > until)
			until = t;
	}
	if (until == 0)
		return 0;
	return until > now ? (int64_t)(until - now) : 1;
}

/* Takes one attempt of every key at once (store_throttle_take): LOGIN_OK,
 * LOGIN_THROTTLED with *retry, or LOGIN_UNAVAILABLE. */
static enum login_result
take(const struct config *cfg, const struct req *req, struct throttle_key *k, size_t n,
    int64_t *retry)
{
	bool allowed = false;

	if (store_throttle_take(k, n, req->now - (time_t)cfg->login_window, req->now,
	        &allowed) != STORE_OK)
		return LOGIN_UNAVAILABLE;
	if (allowed)
		return LOGIN_OK;
	*retry = retry_after(cfg, k, n, req->now);
	if (*retry == 0)
		*retry = 1;
	/* The metric of refused password checks, not of refused reports. */
	if (strncmp(k[n - 1].key, "write:", 6) != 0)
		metrics_count(M_LOGIN_THROTTLED);
	/* The kind of the last key only: an email key is never logged. */
	log_info("%.*s throttled from %s", (int)strcspn(k[n - 1].key, ":"), k[n - 1].key,
	    req->remote_addr);
	return LOGIN_THROTTLED;
}

/* The address's key of every password hash, good or bad (M2). */
static char *
hash_key(const struct req *req)
{
	return xasprintf("hash:%s", req->remote_addr);
}

/* The account's key of failures: its id when it exists, else the email as
 * the account lookup folds it (L2), so that no case variant of an email
 * counts apart. An email no account can have (login_email_ok() false, not
 * even UTF-8 perhaps) is never sent to lower() nor stored: the hex of its
 * SHA-256 is the key. A new string the caller frees, or NULL on a fault. */
static char *
account_key(const char *email, enum store_err se, const struct user *u)
{
	unsigned char d[UTIL_SHA256_LEN];
	char *folded = NULL, *key;
	size_t i;

	if (se == STORE_OK)
		return xasprintf("acct:%lld", (long long)u->id);
	if (!login_email_ok(email)) {
		util_sha256(email, strlen(email), d);
		key = xcalloc(1, 6 + 2 * UTIL_SHA256_LEN + 1);
		memcpy(key, "bad:", 4);
		for (i = 0; i < UTIL_SHA256_LEN; i++)
			snprintf(key + 4 + 2 * i, 3, "%02x", d[i]);
		return key;
	}
	if (store_fold_email(email, &folded) != STORE_OK)
		return NULL;
	key = xasprintf("email:%s", folded);
	free(folded);
	return key;
}

/* Records a failed sign-in: the audit row, the log, the metric. The count
 * was taken before the check. */
static void
failed(const struct req *req, int64_t user_id)
{
	(void)store_auth_event("login_failed", user_id, NULL, "INVALID_CREDENTIALS",
	    req->remote_addr, req->user_agent, req->now);
	log_info("login failed from %s", req->remote_addr);
	metrics_count(M_LOGIN_FAILED);
}

/* After a good password: the attempt taken for the account and the
 * address's failures was no failure; upgrade the hash. */
static void
succeeded(const struct config *cfg, const char *ekey, const char *akey, const char *pw,
    size_t pwlen, const struct user *u, bool rehash)
{
	char *hash;

	(void)store_login_clear(ekey);
	(void)store_throttle_undo(akey);
	if (rehash && (hash = password_hash(pw, pwlen, &cfg->scrypt)) != NULL) {
		if (store_user_rehash(u->id, hash) != STORE_OK)
			log_warn(
			    "user %lld: password rehash not saved", (long long)u->id);
		util_free_secret(hash);
	}
}

enum login_result
login_check(const struct config *cfg, const struct req *req, const char *email,
    const char *pw, size_t pwlen, struct user *u, int64_t *retry)
{
	enum store_err se = STORE_NOTFOUND;
	enum login_result lr = LOGIN_UNAVAILABLE;
	struct credential cr;
	struct throttle_key k[3];
	bool rehash = false;
	char *ekey = NULL, *akey = xasprintf("addr:%s", req->remote_addr),
	     *hkey = hash_key(req);

	memset(&cr, 0, sizeof(cr));
	memset(k, 0, sizeof(k));
	*retry = 0;
	if ((login_email_ok(email) &&
	        (se = store_credential_by_email(email, u, &cr)) == STORE_UNAVAILABLE) ||
	    (ekey = account_key(email, se, u)) == NULL)
		goto out;
	/* Successes count too, for the account and the address's failures
	 * until they are known to be successes: taken before the check, so
	 * that parallel guesses cannot all pass a check made before any of
	 * them failed (I5). */
	k[0] = (struct throttle_key){ .key = ekey, .max = cfg->login_max_attempts };
	k[1] = (struct throttle_key){ .key = akey, .max = cfg->login_max_attempts };
	k[2] = (struct throttle_key){ .key = hkey, .max = cfg->address_max_attempts };
	if ((lr = take(cfg, req, k, 3, retry)) != LOGIN_OK)
		goto out;
	if (se == STORE_NOTFOUND)
		password_burn(pw, pwlen, &cfg->scrypt);
	if (se != STORE_OK ||
	    password_verify(pw, pwlen, cr.password_hash, &cfg->scrypt, &rehash) != 1) {
		failed(req, se == STORE_OK ? u->id : 0);
		lr = LOGIN_BAD_CREDENTIALS;
		goto out;
	}
	if (u->disabled) {
		lr = LOGIN_DISABLED;
		goto out;
	}
	succeeded(cfg, ekey, akey, pw, pwlen, u, rehash);
	lr = LOGIN_OK;
out:
	util_wipe(&cr, sizeof(cr));
	free(ekey);
	free(akey);
	free(hkey);
	return lr;
}

enum login_result
login_take_hash(const struct config *cfg, const struct req *req, int64_t *retry)
{
	struct throttle_key k = { .key = hash_key(req), .max = cfg->address_max_attempts };
	enum login_result lr;

	*retry = 0;
	lr = take(cfg, req, &k, 1, retry);
	free((char *)k.key);
	return lr;
}

enum login_result
login_take_write(const struct config *cfg, const struct req *req, int64_t *retry)
{
	struct throttle_key k = { .key = xasprintf("write:%s", req->remote_addr),
		.max = cfg->address_max_writes };
	enum login_result lr;

	*retry = 0;
	lr = take(cfg, req, &k, 1, retry);
	free((char *)k.key);
	return lr;
}

enum login_result
login_verify_current(const struct config *cfg, const struct req *req, int64_t id,
    const char *pw, size_t pwlen, int64_t *retry, int64_t *failures)
{
	struct credential cr;
	struct user u;
	struct throttle_key k[2];
	enum store_err se;
	enum login_result lr;
	char *ekey = xasprintf("acct:%lld", (long long)id), *hkey = hash_key(req);
	int ok;

	memset(&cr, 0, sizeof(cr));
	*retry = 0;
	*failures = 0;
	/* The account's own limit, shared with /login (L3): a stolen session
	 * must not become an unthrottled password oracle. */
	k[0] = (struct throttle_key){ .key = ekey, .max = cfg->login_max_attempts };
	k[1] = (struct throttle_key){ .key = hkey, .max = cfg->address_max_attempts };
	if ((lr = take(cfg, req, k, 2, retry)) != LOGIN_OK)
		goto out;
	/* Read now, not taken from the session cache (which keeps no hash):
	 * it must be the one a change a moment ago wrote. */
	if ((se = store_credential_by_id(id, &u, &cr)) != STORE_OK) {
		lr = se == STORE_NOTFOUND ? LOGIN_NO_USER : LOGIN_UNAVAILABLE;
		goto out;
	}
	ok = password_verify(pw, pwlen, cr.password_hash, &cfg->scrypt, NULL);
	if (ok == 1) {
		(void)store_login_clear(ekey);
		lr = LOGIN_OK;
	} else {
		*failures = k[0].count + 1;
		(void)store_auth_event("password_failed", id, NULL, "INVALID_CREDENTIALS",
		    req->remote_addr, req->user_agent, req->now);
		metrics_count(M_LOGIN_FAILED);
		lr = LOGIN_BAD_CREDENTIALS;
	}
out:
	util_wipe(&cr, sizeof(cr));
	free(ekey);
	free(hkey);
	return lr;
}
