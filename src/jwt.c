/*
 * jwt: HS256 tokens over OpenSSL HMAC-SHA256. Verification is a whitelist:
 * exactly the header and claims tether issues, each of the right JSON
 * type; anything else (another alg, crit, embedded keys, a string where a
 * number belongs) is refused (RFC 7515, RFC 8725). The signature is
 * checked before the payload is parsed, in constant time.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64url.h"
#include "jwt.h"
#include "util.h"

static const char *const err_names[JWT__MAX] = {
	[JWT_OK] = "ok",
	[JWT_MALFORMED] = "malformed",
	[JWT_BAD_HEADER] = "bad_header",
	[JWT_UNKNOWN_KID] = "unknown_kid",
	[JWT_BAD_SIGNATURE] = "bad_signature",
	[JWT_BAD_CLAIMS] = "bad_claims",
	[JWT_NOT_YET_VALID] = "not_yet_valid",
	[JWT_EXPIRED] = "expired",
};

const char *
jwt_err_name(enum jwt_err err)
{
	return (unsigned)err < JWT__MAX ? err_names[err] : "unknown";
}

int
jwt_key_parse(const char *item, struct jwt_key *key, char *err, size_t errlen)
{
	const char *colon = strchr(item, ':'), *p;
	unsigned char *secret = NULL;
	size_t kidlen, len = 0;
	int rc = -1;

	memset(key, 0, sizeof(*key));
	if (colon == NULL) {
		snprintf(err, errlen, "a signing key must be \"kid:secret\"");
		goto out;
	}
	kidlen = (size_t)(colon - item);
	if (kidlen == 0 || kidlen > JWT_KID_MAX) {
		snprintf(err, errlen, "a key id must be 1 to %d characters", JWT_KID_MAX);
		goto out;
	}
	for (p = item; p < colon; p++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-",
		    *p) == NULL) {
			snprintf(err, errlen, "a key id may use only A-Z a-z 0-9 . _ -");
			goto out;
		}
	if (b64url_decode(colon + 1, strlen(colon + 1), &secret, &len) != 0) {
		snprintf(err, errlen, "the secret of key '%.*s' is not base64url",
		    (int)kidlen, item);
		goto out;
	}
	if (len < JWT_SECRET_MIN || len > JWT_SECRET_MAX) {
		snprintf(err, errlen, "the secret of key '%.*s' must be %d to %d random bytes",
		    (int)kidlen, item, JWT_SECRET_MIN, JWT_SECRET_MAX);
		goto out;
	}
	memcpy(key->kid, item, kidlen);
	memcpy(key->secret, secret, len);
	key->secret_len = len;
	rc = 0;
out:
	if (secret != NULL) {
		util_wipe(secret, len);
		free(secret);
	}
	return rc;
}

void
jwt_key_clear(struct jwt_key *key)
{
	util_wipe(key, sizeof(*key));
}

static void
hmac(const struct jwt_key *key, const char *data, size_t len, unsigned char mac[32])
{
	unsigned int maclen = 0;

	if (HMAC(EVP_sha256(), key->secret, (int)key->secret_len,
	    (const unsigned char *)data, len, mac, &maclen) == NULL || maclen != 32)
		abort();
}

static char *
b64_json(json_object *o)
{
	const char *s = json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

	return b64url_encode(s, strlen(s));
}

char *
jwt_sign(const struct jwt_key *key, const char *iss, const char *aud,
    const struct jwt_claims *c)
{
	json_object *h = json_object_new_object(), *p = json_object_new_object();
	char *hs, *ps, *input, *sig, *tok;
	unsigned char mac[32];

	json_object_object_add(h, "alg", json_object_new_string("HS256"));
	json_object_object_add(h, "typ", json_object_new_string("JWT"));
	json_object_object_add(h, "kid", json_object_new_string(key->kid));
	json_object_object_add(p, "iss", json_object_new_string(iss));
	json_object_object_add(p, "aud", json_object_new_string(aud));
	json_object_object_add(p, "sub", json_object_new_string(c->sub));
	json_object_object_add(p, "sid", json_object_new_string(c->sid));
	json_object_object_add(p, "jti", json_object_new_string(c->jti));
	json_object_object_add(p, "iat", json_object_new_int64(c->iat));
	json_object_object_add(p, "exp", json_object_new_int64(c->exp));
	json_object_object_add(p, "typ", json_object_new_string("access"));
	hs = b64_json(h);
	ps = b64_json(p);
	json_object_put(h);
	json_object_put(p);
	input = xasprintf("%s.%s", hs, ps);
	hmac(key, input, strlen(input), mac);
	sig = b64url_encode(mac, sizeof(mac));
	tok = xasprintf("%s.%s", input, sig);
	util_wipe(mac, sizeof(mac));
	free(hs);
	free(ps);
	free(input);
	free(sig);
	return tok;
}

/* The members of every object in v (json-c folds duplicate keys away). */
static size_t
members(json_object *v)
{
	size_t i, n = 0;

	if (json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, key, val) {
			(void)key;
			n += 1 + (val != NULL ? members(val) : 0);
		}
	} else if (json_object_is_type(v, json_type_array))
		for (i = 0; i < json_object_array_length(v); i++)
			n += members(json_object_array_get_idx(v, i));
	return n;
}

/* Decodes one base64url part as a JSON object; NULL if it is not one, or
 * if it repeats a key: which of two "exp" counts would depend on the
 * parser, so neither does. */
static json_object *
part_json(const char *s, size_t len)
{
	unsigned char *raw;
	size_t rawlen;
	json_tokener *tok;
	json_object *o;

	if (b64url_decode(s, len, &raw, &rawlen) != 0)
		return NULL;
	tok = json_tokener_new_ex(8);
	if (tok == NULL)
		abort();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, (const char *)raw, (int)rawlen);
	if (o != NULL && (json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != rawlen || strlen((char *)raw) != rawlen ||
	    !json_object_is_type(o, json_type_object) ||
	    members(o) != util_json_members((const char *)raw, rawlen))) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	free(raw);
	return o;
}

static const char *
get_str(json_object *o, const char *key, bool *bad)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	if (!json_object_is_type(v, json_type_string)) {
		*bad = true;
		return NULL;
	}
	return json_object_get_string(v);
}

/* The header: alg HS256, typ JWT if present, no crit or embedded keys.
 * Returns the key its kid names, or NULL with *err set. */
static const struct jwt_key *
check_header(json_object *h, const struct jwt_key *keys, size_t nkeys, enum jwt_err *err)
{
	static const char *const banned[] = { "crit", "jwk", "jku", "x5u", "x5c", "x5t",
		"x5t#S256" };
	const char *alg, *typ, *kid;
	bool bad = false;
	size_t i;

	*err = JWT_BAD_HEADER;
	alg = get_str(h, "alg", &bad);
	typ = get_str(h, "typ", &bad);
	kid = get_str(h, "kid", &bad);
	if (bad || alg == NULL || strcmp(alg, "HS256") != 0 ||
	    (json_object_object_get_ex(h, "typ", NULL) && (typ == NULL || strcmp(typ, "JWT") != 0)))
		return NULL;
	for (i = 0; i < sizeof(banned) / sizeof(banned[0]); i++)
		if (json_object_object_get_ex(h, banned[i], NULL))
			return NULL;
	*err = JWT_UNKNOWN_KID;
	for (i = 0; kid != NULL && i < nkeys; i++)
		if (strcmp(keys[i].kid, kid) == 0)
			return &keys[i];
	return NULL;
}

static bool
get_int(json_object *o, const char *key, int64_t *out, bool required)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return !required;
	if (!json_object_is_type(v, json_type_int))
		return false;
	/* json-c saturates what does not fit (2^64 reads as INT64_MAX), so
	 * the two limits themselves stand for "too large" and are refused:
	 * no real time is near them. */
	*out = json_object_get_int64(v);
	return *out != INT64_MAX && *out != INT64_MIN;
}

static bool
copy_id(json_object *p, const char *key, char dst[JWT_ID_MAX])
{
	bool bad = false;
	const char *s = get_str(p, key, &bad);

	if (bad || s == NULL || *s == '\0' || strlen(s) >= JWT_ID_MAX)
		return false;
	memcpy(dst, s, strlen(s) + 1);
	return true;
}

static bool
aud_ok(json_object *p, const char *aud)
{
	json_object *v, *e;
	size_t i;

	if (!json_object_object_get_ex(p, "aud", &v))
		return false;
	if (json_object_is_type(v, json_type_string))
		return strcmp(json_object_get_string(v), aud) == 0;
	if (!json_object_is_type(v, json_type_array))
		return false;
	for (i = 0; i < json_object_array_length(v); i++) {
		e = json_object_array_get_idx(v, i);
		if (json_object_is_type(e, json_type_string) &&
		    strcmp(json_object_get_string(e), aud) == 0)
			return true;
	}
	return false;
}

static enum jwt_err
check_claims(json_object *p, const char *iss, const char *aud, int64_t leeway,
    time_t now, struct jwt_claims *out)
{
	const char *s, *typ;
	bool bad = false;

	out->nbf = INT64_MIN;
	s = get_str(p, "iss", &bad);
	typ = get_str(p, "typ", &bad);
	if (bad || s == NULL || strcmp(s, iss) != 0 || !aud_ok(p, aud) || typ == NULL ||
	    strcmp(typ, "access") != 0 || !copy_id(p, "sub", out->sub) ||
	    !copy_id(p, "sid", out->sid) || !copy_id(p, "jti", out->jti) ||
	    !get_int(p, "iat", &out->iat, true) || !get_int(p, "exp", &out->exp, true) ||
	    !get_int(p, "nbf", &out->nbf, false))
		return JWT_BAD_CLAIMS;
	return jwt_check_times(out, leeway, now);
}

enum jwt_err
jwt_check_times(const struct jwt_claims *c, int64_t leeway, time_t now)
{
	if (c->iat > (int64_t)now + leeway ||
	    (c->nbf != INT64_MIN && c->nbf > (int64_t)now + leeway))
		return JWT_NOT_YET_VALID;
	if (c->exp <= (int64_t)now - leeway)
		return JWT_EXPIRED;
	return JWT_OK;
}

enum jwt_err
jwt_verify(const char *token, const struct jwt_key *keys, size_t nkeys, const char *iss,
    const char *aud, int64_t leeway, time_t now, struct jwt_claims *out)
{
	const char *d1, *d2;
	json_object *h = NULL, *p = NULL;
	const struct jwt_key *key;
	unsigned char mac[32], *sig = NULL;
	size_t siglen = 0, len;
	enum jwt_err err = JWT_MALFORMED;

	memset(out, 0, sizeof(*out));
	if (token == NULL || (len = strnlen(token, JWT_MAX_TOKEN + 1)) > JWT_MAX_TOKEN ||
	    (d1 = strchr(token, '.')) == NULL || (d2 = strchr(d1 + 1, '.')) == NULL ||
	    strchr(d2 + 1, '.') != NULL)
		goto out;
	if ((h = part_json(token, (size_t)(d1 - token))) == NULL)
		goto out;
	if ((key = check_header(h, keys, nkeys, &err)) == NULL)
		goto out;
	err = JWT_MALFORMED;
	if (b64url_decode(d2 + 1, len - (size_t)(d2 + 1 - token), &sig, &siglen) != 0)
		goto out;
	err = JWT_BAD_SIGNATURE;
	hmac(key, token, (size_t)(d2 - token), mac);
	if (siglen != sizeof(mac) || !util_ct_equal(mac, sig, sizeof(mac)))
		goto out;
	err = JWT_MALFORMED;
	if ((p = part_json(d1 + 1, (size_t)(d2 - d1 - 1))) == NULL)
		goto out;
	err = check_claims(p, iss, aud, leeway, now, out);
out:
	if (err != JWT_OK && err != JWT_EXPIRED)
		memset(out, 0, sizeof(*out));
	free(sig);
	json_object_put(h);
	json_object_put(p);
	return err;
}
