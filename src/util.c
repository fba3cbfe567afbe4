/*
 * util: the small things every module needs. Allocation aborts on failure
 * (a worker out of memory cannot answer anything sensibly); randomness and
 * hashing come from OpenSSL; secrets are wiped with OPENSSL_cleanse, which
 * the compiler may not optimise away.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static void
oom(void)
{
	fputs("tether: out of memory\n", stderr);
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		oom();
	return q;
}

char *
xstrdup(const char *s)
{
	return s == NULL ? NULL : xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	int n;
	char *s;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom();
	s = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	(void)vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

int64_t
util_mono_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
util_sleep_ms(int64_t ms)
{
	struct timespec ts = { .tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000 };

	if (ms <= 0)
		return;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

void
util_random(void *buf, size_t len)
{
	/* Why abort: a worker that cannot get randomness must not mint tokens. */
	if (len > INT_MAX || RAND_bytes(buf, (int)len) != 1) {
		fputs("tether: no randomness available\n", stderr);
		abort();
	}
}

void
util_sha256(const void *data, size_t len, unsigned char out[UTIL_SHA256_LEN])
{
	unsigned int outlen = 0;

	if (EVP_Digest(data, len, out, &outlen, EVP_sha256(), NULL) != 1 ||
	    outlen != UTIL_SHA256_LEN)
		abort();
}

void
util_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
    unsigned char out[UTIL_SHA256_LEN])
{
	unsigned int outlen = 0;

	if (keylen > INT_MAX ||
	    HMAC(EVP_sha256(), key, (int)keylen, data, len, out, &outlen) == NULL ||
	    outlen != UTIL_SHA256_LEN)
		abort();
}

bool
util_ct_equal(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

void
util_wipe(void *p, size_t len)
{
	if (p != NULL && len > 0)
		OPENSSL_cleanse(p, len);
}

void
util_free_secret(char *s)
{
	if (s == NULL)
		return;
	util_wipe(s, strlen(s));
	free(s);
}

int
util_parse_duration(const char *s, int64_t *out)
{
	int64_t v = 0, mul = 1;
	const char *p = s;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (INT64_MAX - (*p - '0')) / 10)
			return -1;
		v = v * 10 + (*p - '0');
	}
	switch (*p) {
	case '\0':
		break;
	case 's':
		break;
	case 'm':
		mul = 60;
		break;
	case 'h':
		mul = 3600;
		break;
	case 'd':
		mul = 86400;
		break;
	default:
		return -1;
	}
	if (*p != '\0' && p[1] != '\0')
		return -1;
	if (v > INT64_MAX / mul / 1000) /* keep later arithmetic far from overflow */
		return -1;
	*out = v * mul;
	return 0;
}

int
util_parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0' || *s == ' ')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
util_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	size_t i;

	if (s == NULL)
		return -1;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

/* Length of the UTF-8 sequence at s (n bytes left), or 0 if invalid:
 * overlong forms, surrogates and code points past U+10FFFF are refused. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len, i;
	unsigned long cp;

	if (c == 0)
		return 0;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

bool
util_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < len) {
		if ((k = utf8_seq(p + i, len - i)) == 0)
			return false;
		i += k;
	}
	return true;
}

size_t
util_utf8_clean(char *dst, size_t size, const char *s, size_t len)
{
	static const char fffd[] = "\xef\xbf\xbd";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, o = 0, k;

	while (i < len) {
		if ((k = utf8_seq(p + i, len - i)) == 0) {
			/* One replacement per bad byte: simple, and never more than
			 * three output bytes per input byte. */
			if (o + 3 >= size)
				break;
			memcpy(dst + o, fffd, 3);
			o += 3;
			i++;
			continue;
		}
		if (o + k >= size)
			break;
		memcpy(dst + o, p + i, k);
		o += k;
		i += k;
	}
	dst[o] = '\0';
	return o;
}

size_t
util_json_members(const char *s, size_t len)
{
	bool in_str = false;
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if (in_str) {
			if (s[i] == '\\')
				i++; /* the escaped character, whatever it is */
			else if (s[i] == '"')
				in_str = false;
		} else if (s[i] == '"')
			in_str = true;
		else if (s[i] == ':')
			n++;
	}
	return n;
}

size_t
util_utf8_length(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			n++;
	return n;
}

char *
util_shared_path(const char *name, const char *deployment)
{
	const char *tmp = getenv("TMPDIR");
	unsigned char d[UTIL_SHA256_LEN];

	/* Four bytes of the digest tell deployments apart (one host runs a
	 * handful) and say nothing useful about a password in the URL. */
	util_sha256(deployment, strlen(deployment), d);
	return xasprintf("%s/%s-%ld-%02x%02x%02x%02x", tmp && *tmp ? tmp : "/tmp", name,
	    (long)getuid(), d[0], d[1], d[2], d[3]);
}

void *
util_map_shared(const char *path, const char *name, const char *deployment, size_t size)
{
	const int flags = O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;
	char *def = NULL;
	void *p = NULL;
	struct stat st;
	int fd = -1;

	if (path == NULL || *path == '\0')
		path = def = util_shared_path(name, deployment != NULL ? deployment : "");
	/* Created by us when it can be (O_EXCL); an existing one is opened
	 * without O_CREAT and must pass the same checks. O_NONBLOCK: a FIFO
	 * at the path must not hang the worker before fstat refuses it. */
	if ((fd = open(path, flags | O_CREAT | O_EXCL, 0600)) < 0 &&
	    (errno != EEXIST || (fd = open(path, flags)) < 0))
		goto out;
	/* Ours, private, a regular file and its only name: a hard link made
	 * by another account (fs.protected_hardlinks=0) to one of our files
	 * would otherwise be extended and written with counters. */
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    st.st_uid != getuid() || (st.st_mode & 077) != 0)
		goto out;
	/* Only grows a new file: a shorter one is extended with zeros, which
	 * every user of this reads as "nothing yet". */
	if (st.st_size < (off_t)size && ftruncate(fd, (off_t)size) != 0)
		goto out;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		p = NULL;
out:
	if (fd >= 0)
		close(fd);
	free(def);
	return p;
}

uint32_t
util_hash32(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

bool
util_text_ok(const char *s, size_t max_chars)
{
	size_t len = strlen(s);
	const unsigned char *p;

	if (!util_utf8_valid(s, len) || util_utf8_length(s, len) > max_chars)
		return false;
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		/* C0, DEL, and C1 (U+0080..U+009F, "\xc2\x80".."\xc2\x9f" in
		 * UTF-8): a terminal obeys CSI as it obeys ESC [. */
		if (*p < ' ' || *p == 0x7f ||
		    (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
			return false;
	return true;
}

char *
util_escape_text(const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	size_t n = strlen((const char *)p), i = 0, k, o = 0;
	char *out = xmalloc(4 * n + 1); /* "\xNN" is the longest a byte gets */

	while (i < n) {
		k = utf8_seq(p + i, n - i);
		if (k > 1 && !(p[i] == 0xc2 && p[i + 1] <= 0x9f)) {
			memcpy(out + o, p + i, k); /* printable non-ASCII */
			o += k;
			i += k;
			continue;
		}
		if (k == 1 && p[i] >= ' ' && p[i] != 0x7f && p[i] != '\\') {
			out[o++] = (char)p[i++];
			continue;
		}
		/* A control, an invalid byte, or the backslash itself (so that
		 * an escape in the output is never the client's text). */
		k = k > 1 ? k : 1;
		for (; k > 0; k--, i++) {
			if (p[i] == '\\') {
				out[o++] = '\\';
				out[o++] = '\\';
				continue;
			}
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[p[i] >> 4];
			out[o++] = hex[p[i] & 0xf];
		}
	}
	out[o] = '\0';
	return out;
}
