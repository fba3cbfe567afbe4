/*
 * tokens: minting and hashing. The refresh token is opaque (not a JWT) so
 * that it can be revoked and rotated in the database, which sees only its
 * hash: a leaked table cannot be replayed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64url.h"
#include "jwt.h"
#include "tokens.h"
#include "util.h"

void
tokens_hash(const char *token, char hex[TOKEN_HASH_HEX + 1])
{
	unsigned char d[UTIL_SHA256_LEN];
	size_t i;

	util_sha256(token, strlen(token), d);
	for (i = 0; i < sizeof(d); i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

bool
tokens_refresh_shape_ok(const char *t)
{
	size_t i, len = strlen(t);

	if (len != REFRESH_TOKEN_CHARS)
		return false;
	for (i = 0; i < len; i++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		           "0123456789-_",
		        t[i]) == NULL)
			return false;
	return true;
}

void
tokens_pair_new(const struct config *cfg, time_t now, struct token_pair *p)
{
	char *jti = b64url_random_token(JTI_BYTES);

	memset(p, 0, sizeof(*p));
	p->refresh = b64url_random_token(REFRESH_TOKEN_BYTES);
	tokens_hash(p->refresh, p->issue.refresh_hash);
	snprintf(p->issue.access_jti, sizeof(p->issue.access_jti), "%s", jti);
	p->issue.access_expires_at = session_access_expiry(cfg, now);
	free(jti);
}

/* HMAC-SHA256 of label, a NUL and text under the first signing key. The
 * NUL keeps these inputs apart from JWT signing inputs (which never hold
 * one) and from each other. */
static void
derive(const struct config *cfg, const char *label, const char *text,
    unsigned char out[UTIL_SHA256_LEN])
{
	size_t ll = strlen(label) + 1, tl = strlen(text);
	unsigned char *in = xmalloc(ll + tl);

	memcpy(in, label, ll);
	memcpy(in + ll, text, tl);
	util_hmac_sha256(cfg->keys[0].secret, cfg->keys[0].secret_len, in, ll + tl, out);
	util_wipe(in, ll + tl);
	free(in);
}

void
tokens_pair_next(
    const struct config *cfg, const char *parent, time_t now, struct token_pair *p)
{
	unsigned char mac[UTIL_SHA256_LEN];
	char *jti;

	_Static_assert(REFRESH_TOKEN_BYTES == UTIL_SHA256_LEN, "one MAC is one token");
	_Static_assert(JTI_BYTES <= UTIL_SHA256_LEN, "a jti is part of one MAC");
	memset(p, 0, sizeof(*p));
	derive(cfg, "tether refresh successor v1", parent, mac);
	p->refresh = b64url_encode(mac, REFRESH_TOKEN_BYTES);
	tokens_hash(p->refresh, p->issue.refresh_hash);
	derive(cfg, "tether access jti v1", p->refresh, mac);
	jti = b64url_encode(mac, JTI_BYTES);
	snprintf(p->issue.access_jti, sizeof(p->issue.access_jti), "%s", jti);
	p->issue.access_expires_at = session_access_expiry(cfg, now);
	util_wipe(mac, sizeof(mac));
	free(jti);
}

void
tokens_pair_sign(
    const struct config *cfg, struct token_pair *p, const struct session *s, time_t now)
{
	struct jwt_claims cl;

	memset(&cl, 0, sizeof(cl));
	snprintf(cl.sub, sizeof(cl.sub), "%lld", (long long)s->user_id);
	snprintf(cl.sid, sizeof(cl.sid), "%s", s->id);
	snprintf(cl.jti, sizeof(cl.jti), "%s", p->issue.access_jti);
	cl.iat = now;
	cl.exp = p->issue.access_expires_at;
	p->access = jwt_sign(&cfg->keys[0], cfg->issuer, cfg->audience, &cl);
}

void
tokens_pair_clear(struct token_pair *p)
{
	util_free_secret(p->refresh);
	util_free_secret(p->access);
	memset(p, 0, sizeof(*p));
}
