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

/* The throttling keys of a login: the email (case-folded, as accounts
 * are) and the client address. Strings the caller frees. */
static void
throttle_keys(const struct req *req, const char *email, char **ekey, char **akey)
{
	char *p;

	*ekey = xasprintf("email:%s", email);
	for (p = *ekey; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	*akey = xasprintf("addr:%s", req->remote_addr);
}

/* Seconds until a throttled client may try again (at least 1), or 0 if
 * neither the email nor the address has login_max_attempts failures
 * within login_window. */
static int64_t
retry_after(const struct config *cfg, const struct throttle *th, time_t now)
{
	time_t until = 0;

	if (th->email_failures >= cfg->login_max_attempts)
		until = th->email_oldest + (time_t)cfg->login_window;
	if (th->addr_failures >= cfg->login_max_attempts &&
	    th->addr_oldest + (time_t)cfg->login_window > until)
		until = th->addr_oldest + (time_t)cfg->login_window;
	if (until == 0)
		return 0;
	return until > now ? (int64_t)(until - now) : 1;
}

/* Records a failed sign-in: the count, the audit row, the log, the metric. */
static void
failed(const struct req *req, const char *ekey, const char *akey, int64_t user_id)
{
	if (store_login_failed(ekey, akey, req->now) != STORE_OK)
		log_warn("login failure from %s not recorded", req->remote_addr);
	(void)store_auth_event("login_failed", user_id, NULL, "INVALID_CREDENTIALS",
	    req->remote_addr, req->user_agent, req->now);
	log_info("login failed from %s", req->remote_addr);
	metrics_count(M_LOGIN_FAILED);
}

/* After a good password: forget the email's failures, upgrade the hash. */
static void
succeeded(const struct config *cfg, const struct throttle *th, const char *ekey,
    const char *pw, size_t pwlen, const struct user *u, bool rehash)
{
	char *hash;

	if (th->email_failures > 0)
		(void)store_login_clear(ekey);
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
	struct throttle th;
	bool rehash = false;
	char *ekey, *akey;

	memset(&cr, 0, sizeof(cr));
	*retry = 0;
	throttle_keys(req, email, &ekey, &akey);
	if (store_login_throttle(ekey, akey, req->now - (time_t)cfg->login_window, &th) !=
	        STORE_OK ||
	    (login_email_ok(email) &&
	        (se = store_credential_by_email(email, u, &cr)) == STORE_UNAVAILABLE))
		goto out;
	if ((*retry = retry_after(cfg, &th, req->now)) > 0) {
		metrics_count(M_LOGIN_THROTTLED);
		log_info("login throttled from %s", req->remote_addr);
		lr = LOGIN_THROTTLED;
		goto out;
	}
	if (se == STORE_NOTFOUND)
		password_burn(pw, pwlen, &cfg->scrypt);
	if (se != STORE_OK ||
	    password_verify(pw, pwlen, cr.password_hash, &cfg->scrypt, &rehash) != 1) {
		failed(req, ekey, akey, se == STORE_OK ? u->id : 0);
		lr = LOGIN_BAD_CREDENTIALS;
		goto out;
	}
	if (u->disabled) {
		lr = LOGIN_DISABLED;
		goto out;
	}
	succeeded(cfg, &th, ekey, pw, pwlen, u, rehash);
	lr = LOGIN_OK;
out:
	util_wipe(&cr, sizeof(cr));
	free(ekey);
	free(akey);
	return lr;
}

enum login_result
login_verify_current(const struct config *cfg, int64_t id, const char *pw, size_t pwlen)
{
	struct credential cr;
	struct user u;
	enum store_err se;
	int ok;

	/* Read now, not taken from the session cache (which keeps no hash):
	 * it must be the one a change a moment ago wrote. */
	if ((se = store_credential_by_id(id, &u, &cr)) != STORE_OK)
		return se == STORE_NOTFOUND ? LOGIN_NO_USER : LOGIN_UNAVAILABLE;
	ok = password_verify(pw, pwlen, cr.password_hash, &cfg->scrypt, NULL);
	util_wipe(&cr, sizeof(cr));
	return ok == 1 ? LOGIN_OK : LOGIN_BAD_CREDENTIALS;
}
