/*
 * util: allocation that aborts on failure, randomness, hashing, constant-time
 * comparison, wiping secrets, and duration parsing. The only OpenSSL user
 * besides jwt.c and password.c.
 */
#ifndef TETHER_UTIL_H
#define TETHER_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Allocation failure aborts the process: callers never check for NULL. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
/* Returns a copy the caller frees. xstrdup(NULL) returns NULL. */
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a new string the caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Milliseconds on the monotonic clock (for intervals, not dates). */
int64_t util_mono_ms(void);
/* Sleeps ms milliseconds, again after a signal cut it short. */
void util_sleep_ms(int64_t ms);

/* Fills buf with cryptographically strong random bytes; aborts on failure
 * (a worker without randomness must not issue tokens). */
void util_random(void *buf, size_t len);
/* Bytes of a SHA-256 digest. */
#define UTIL_SHA256_LEN 32
/* SHA-256 of data into out. */
void util_sha256(const void *data, size_t len, unsigned char out[UTIL_SHA256_LEN]);
/* HMAC-SHA256 of data under key; aborts on failure, like util_sha256. */
void util_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
    unsigned char out[UTIL_SHA256_LEN]);
/* FNV-1a of len bytes: picks a slot in a small table. Not for secrets:
 * anyone can make it collide. */
uint32_t util_hash32(const void *data, size_t len);
/* Constant-time equality of two buffers of the same length: true if equal.
 * Why: comparing secrets with memcmp leaks the length of the common prefix. */
bool util_ct_equal(const void *a, const void *b, size_t len);
/* Overwrites len bytes at p in a way the compiler cannot elide. */
void util_wipe(void *p, size_t len);
/* Wipes a NUL-terminated string, then frees it. NULL does nothing. */
void util_free_secret(char *s);

/*
 * The default path of a shared map file: $TMPDIR/<name>-<uid>-<8 hex
 * digits of SHA-256(deployment)>, so two deployments of one user on a
 * host never share one. Allocated; the caller frees it.
 */
char *util_shared_path(const char *name, const char *deployment);
/*
 * Maps size bytes of the file at path MAP_SHARED, for state every worker of
 * a host shares (created 0600 with O_EXCL when absent, grown with zeros if
 * shorter). path "" or NULL picks util_shared_path(name, deployment). The
 * file must be ours, private, a regular file and have one link: another
 * account must not feed us its state nor have us write into its file.
 * Returns the mapping (munmap(p, size) releases it) or NULL, which the
 * callers take as "no sharing" (fail closed).
 */
void *util_map_shared(const char *path, const char *name, const char *deployment,
    size_t size);

/*
 * Parses a duration: a non-negative integer with an optional unit
 * s, m, h or d ("30s", "15m", "12h", "20d"; a bare number means seconds).
 * Returns 0 and sets *out (seconds) or -1 on anything else.
 */
int util_parse_duration(const char *s, int64_t *out);
/* Parses a decimal integer in [min, max]; 0 on success, -1 otherwise. */
int util_parse_int(const char *s, int64_t min, int64_t max, int64_t *out);
/* Parses true/false/yes/no/on/off/1/0; 0 on success, -1 otherwise. */
int util_parse_bool(const char *s, bool *out);
/* True if s (len bytes) is valid UTF-8 without NUL bytes or surrogates. */
bool util_utf8_valid(const char *s, size_t len);
/* Number of code points in valid UTF-8. */
size_t util_utf8_length(const char *s, size_t len);
/* Text for people: valid UTF-8 of at most max_chars code points, without
 * control characters (C0, DEL or C1). */
bool util_text_ok(const char *s, size_t max_chars);
/*
 * s made safe for a terminal (vis(3)-style): every control byte (C0, DEL,
 * C1 as UTF-8) and every byte that is not valid UTF-8 becomes "\xNN", a
 * backslash "\\"; printable text, non-ASCII included, is kept. NULL is
 * "". Returns an allocated string the caller frees.
 */
char *util_escape_text(const char *s);
/*
 * Copies len bytes of s into dst (size bytes, size >= 4) as valid UTF-8:
 * each invalid or cut sequence and each NUL becomes U+FFFD, and the copy
 * stops at a code point boundary so that it fits with its terminator.
 * Returns the length written. For header values that reach text columns:
 * PostgreSQL refuses invalid UTF-8 (a 503, a lost audit row).
 */
size_t util_utf8_clean(char *dst, size_t size, const char *s, size_t len);
/*
 * The number of object members in len bytes of JSON text that a parser
 * has accepted: the ':' outside strings. A parsed tree holding fewer had
 * a duplicate key folded away.
 */
size_t util_json_members(const char *s, size_t len);

#endif
