/*
 * http: requests and responses as plain data, built from CGI-style
 * parameters so that tests need no FastCGI. The server glue is at the end:
 * http_fcgi_* (the only code besides main.c that sees libfcgi) and
 * http_cgi_* (stdin and stdout of a plain CGI process), one body reader and
 * one response writer for both. Header values are stripped of CR and LF:
 * nothing a client sends can split a response.
 */
#include <ctype.h>
#include <errno.h>
#include <fcgiapp.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "http.h"
#include "netaddr.h"
#include "util.h"

const char *
req_param(const struct req *req, const char *name)
{
	size_t n = strlen(name);
	char **e;

	for (e = req->env; e != NULL && *e != NULL; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

const char *
req_header(const struct req *req, const char *name)
{
	char key[128];
	size_t i, off = 5;

	if (strcasecmp(name, "Content-Type") == 0)
		return req_param(req, "CONTENT_TYPE");
	if (strcasecmp(name, "Content-Length") == 0)
		return req_param(req, "CONTENT_LENGTH");
	if (strlen(name) + off >= sizeof(key))
		return NULL;
	memcpy(key, "HTTP_", off);
	for (i = 0; name[i] != '\0'; i++)
		key[off + i] = name[i] == '-' ? '_' : (char)toupper((unsigned char)name[i]);
	key[off + i] = '\0';
	return req_param(req, key);
}

_Static_assert(sizeof(((struct req *)0)->client_addr) >= NETADDR_TEXT_MAX,
    "req.client_addr holds any address netaddr_client writes");

void
req_take_client(struct req *req, const char *trusted)
{
	netaddr_client(trusted, req->remote_addr, req_header(req, "X-Forwarded-For"),
	    req->client_addr, sizeof(req->client_addr));
	req->remote_addr = req->client_addr;
}

const char *
req_cookie(const struct req *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->ncookies; i++)
		if (strcmp(req->cookies[i].name, name) == 0)
			return req->cookies[i].value;
	return NULL;
}

size_t
req_cookie_count(const struct req *req, const char *name)
{
	size_t i, n = 0;

	for (i = 0; i < req->ncookies; i++)
		if (strcmp(req->cookies[i].name, name) == 0)
			n++;
	return n;
}

static const char *
trim(const char *s, const char *end, size_t *len)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*len = (size_t)(end - s);
	return s;
}

size_t
http_parse_cookies(const char *header, struct cookie **out)
{
	const char *p = header, *semi, *eq, *name, *value;
	size_t n = 0, cap = 0, nlen, vlen;

	*out = NULL;
	while (p != NULL && *p != '\0') {
		semi = strchr(p, ';');
		if (semi == NULL)
			semi = p + strlen(p);
		eq = memchr(p, '=', (size_t)(semi - p));
		if (eq != NULL) {
			name = trim(p, eq, &nlen);
			value = trim(eq + 1, semi, &vlen);
			if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
				value++;
				vlen -= 2;
			}
			if (nlen > 0) {
				if (n == cap) {
					cap = cap ? 2 * cap : 8;
					*out = xrealloc(*out, cap * sizeof(**out));
				}
				(*out)[n].name = xstrndup(name, nlen);
				(*out)[n].value = xstrndup(value, vlen);
				n++;
			}
		}
		p = *semi == ';' ? semi + 1 : semi;
	}
	return n;
}

void
http_free_cookies(struct cookie *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		util_free_secret(c[i].name);
		util_free_secret(c[i].value);
	}
	free(c);
}

/* Sets req->path and req->query from uri (without the mount prefix). */
static int
split_path(struct req *req, const char *uri, const char *mount)
{
	const char *q = strchr(uri, '?');
	size_t len = q ? (size_t)(q - uri) : strlen(uri), mlen = strlen(mount);

	if (q != NULL)
		req->query = xstrdup(q + 1);
	if (len < mlen || strncmp(uri, mount, mlen) != 0 ||
	    (len > mlen && uri[mlen] != '/')) {
		req->path = xstrndup(uri, len);
		return -1;
	}
	req->path = len == mlen ? xstrdup("/") : xstrndup(uri + mlen, len - mlen);
	return 0;
}

int
req_init(struct req *req, char **env, const char *mount, time_t now)
{
	const char *uri, *cookie, *ua;
	char *joined = NULL;
	int rc;

	memset(req, 0, sizeof(*req));
	req->env = env;
	req->now = now;
	req->method = req_param(req, "REQUEST_METHOD");
	if (req->method == NULL)
		req->method = "GET";
	req->remote_addr = req_param(req, "REMOTE_ADDR");
	if (req->remote_addr == NULL)
		req->remote_addr = "";
	/* Cleaned once here, so that no path can store a User-Agent that is
	 * not UTF-8 or cut inside a character: invalid bytes become U+FFFD. */
	if ((ua = req_param(req, "HTTP_USER_AGENT")) == NULL)
		ua = "";
	util_utf8_clean(req->ua, sizeof(req->ua), ua, strlen(ua));
	req->user_agent = req->ua;
	if ((cookie = req_param(req, "HTTP_COOKIE")) != NULL) {
		if (strlen(cookie) > HTTP_COOKIE_HEADER_MAX)
			req->cookies_too_long = true;
		else
			req->ncookies = http_parse_cookies(cookie, &req->cookies);
	}
	if ((uri = req_param(req, "REQUEST_URI")) == NULL) {
		const char *sn = req_param(req, "SCRIPT_NAME"), *pi = req_param(req, "PATH_INFO");

		uri = joined = xasprintf("%s%s", sn ? sn : "", pi ? pi : "");
	}
	rc = split_path(req, uri, mount);
	free(joined);
	return rc;
}

void
req_clear(struct req *req)
{
	http_free_cookies(req->cookies, req->ncookies);
	free(req->path);
	free(req->query);
	if (req->body != NULL) {
		util_wipe(req->body, req->body_len);
		free(req->body);
	}
	memset(req, 0, sizeof(*req));
}

int
req_content_length(const struct req *req, int64_t *len)
{
	const char *s = req_param(req, "CONTENT_LENGTH");
	int64_t v = 0;

	*len = 0;
	if (s == NULL)
		return 0;
	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	*len = v;
	return 0;
}

void
req_set_body(struct req *req, char *body, size_t len)
{
	free(req->body);
	req->body = body;
	req->body_len = len;
}

void
resp_init(struct resp *resp)
{
	memset(resp, 0, sizeof(*resp));
	resp->status = 200;
}

void
resp_clear(struct resp *resp)
{
	size_t i;

	for (i = 0; i < resp->nheaders; i++) {
		free(resp->headers[i].name);
		util_free_secret(resp->headers[i].value);
	}
	free(resp->headers);
	util_free_secret(resp->body);
	memset(resp, 0, sizeof(*resp));
}

static char *
clean_value(const char *v)
{
	char *s = xstrdup(v), *p;

	for (p = s; *p != '\0'; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
	return s;
}

void
resp_add_header(struct resp *resp, const char *name, const char *value)
{
	resp->headers = xrealloc(resp->headers, (resp->nheaders + 1) * sizeof(*resp->headers));
	resp->headers[resp->nheaders].name = clean_value(name);
	resp->headers[resp->nheaders].value = clean_value(value);
	resp->nheaders++;
}

void
resp_set_header(struct resp *resp, const char *name, const char *value)
{
	size_t i;

	for (i = 0; i < resp->nheaders; i++)
		if (strcasecmp(resp->headers[i].name, name) == 0) {
			free(resp->headers[i].value);
			resp->headers[i].value = clean_value(value);
			return;
		}
	resp_add_header(resp, name, value);
}

const char *
resp_header(const struct resp *resp, const char *name)
{
	size_t i;

	for (i = 0; i < resp->nheaders; i++)
		if (strcasecmp(resp->headers[i].name, name) == 0)
			return resp->headers[i].value;
	return NULL;
}

void
resp_set_body(struct resp *resp, int status, const char *content_type, char *body)
{
	util_free_secret(resp->body);
	resp->status = status;
	resp->body = body;
	resp->body_len = body ? strlen(body) : 0;
	if (content_type != NULL)
		resp_set_header(resp, "Content-Type", content_type);
}

void
resp_set_cookie(struct resp *resp, const char *name, const char *value,
    const struct cookie_opts *o)
{
	char age[64] = "";
	char *c;

	if (o->max_age > 0)
		snprintf(age, sizeof(age), "; Max-Age=%lld", (long long)o->max_age);
	else if (o->max_age == 0)
		snprintf(age, sizeof(age), "; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
	c = xasprintf("%s=%s; Path=%s%s%s%s; SameSite=%s", name, value, o->path, age,
	    o->http_only ? "; HttpOnly" : "", o->secure ? "; Secure" : "",
	    o->samesite ? o->samesite : "Lax");
	resp_add_header(resp, "Set-Cookie", c);
	util_free_secret(c);
}

/* ---- The server glue: FastCGI and plain CGI ----
 *
 * Both read the body the same way (declared length first, then exactly
 * that many bytes) and write the same response; only the stream differs:
 * libfcgi's for a FastCGI request, stdin and stdout for a CGI one. */

/* Reads at most n bytes into buf: the count, 0 at the end, -1 on an error. */
typedef ssize_t (*body_reader)(void *src, char *buf, size_t n);
/* Writes all len bytes of buf: 0 or -1. */
typedef int (*resp_writer)(void *dst, const char *buf, size_t len);

static int
read_body(struct req *req, int64_t max_bytes, body_reader rd, void *src)
{
	int64_t len;
	char *buf;
	ssize_t got;
	size_t off = 0;

	if (req_content_length(req, &len) != 0)
		return 400;
	if (len == 0)
		return 0;
	/* Decided from the declared length, before reading a byte. */
	if (len > max_bytes)
		return 413;
	buf = xmalloc((size_t)len + 1);
	while (off < (size_t)len && (got = rd(src, buf + off, (size_t)len - off)) > 0)
		off += (size_t)got;
	if (off != (size_t)len) {
		util_wipe(buf, off);
		free(buf);
		return 400;
	}
	buf[len] = '\0';
	req_set_body(req, buf, (size_t)len);
	return 0;
}

static const char *
status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 302: return "Found";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

static size_t
put(char *dst, const char *s)
{
	size_t n = strlen(s);

	memcpy(dst, s, n);
	return n;
}

/*
 * The CGI response head, "Status: 200 OK", the headers, Content-Length and
 * the blank line, in one buffer of exactly its size (it may carry cookies:
 * the caller wipes and frees it, and no copy is left behind by a realloc).
 */
static char *
response_head(const struct resp *resp, size_t *len)
{
	char status[64], length[64];
	size_t i, n;
	char *head;

	snprintf(status, sizeof(status), "Status: %d %s\r\n", resp->status,
	    status_text(resp->status));
	if (resp->no_length)
		snprintf(length, sizeof(length), "\r\n");
	else
		snprintf(length, sizeof(length), "Content-Length: %zu\r\n\r\n", resp->body_len);
	n = strlen(status) + strlen(length);
	for (i = 0; i < resp->nheaders; i++)
		n += strlen(resp->headers[i].name) + strlen(resp->headers[i].value) + 4;
	head = xmalloc(n + 1);
	*len = put(head, status);
	for (i = 0; i < resp->nheaders; i++) {
		*len += put(head + *len, resp->headers[i].name);
		*len += put(head + *len, ": ");
		*len += put(head + *len, resp->headers[i].value);
		*len += put(head + *len, "\r\n");
	}
	*len += put(head + *len, length);
	head[*len] = '\0';
	return head;
}

static int
send_resp(const struct resp *resp, resp_writer wr, void *dst)
{
	size_t len;
	char *head = response_head(resp, &len);
	int rc = wr(dst, head, len);

	util_wipe(head, len);
	free(head);
	if (rc == 0 && resp->body_len > 0)
		rc = wr(dst, resp->body, resp->body_len);
	return rc;
}

static ssize_t
fcgi_read(void *src, char *buf, size_t n)
{
	return FCGX_GetStr(buf, n > INT_MAX ? INT_MAX : (int)n, src);
}

static int
fcgi_write(void *dst, const char *buf, size_t len)
{
	return len <= INT_MAX && FCGX_PutStr(buf, (int)len, dst) == (int)len ? 0 : -1;
}

int
http_fcgi_read_body(struct FCGX_Request *fr, struct req *req, int64_t max_bytes)
{
	return read_body(req, max_bytes, fcgi_read, fr->in);
}

int
http_fcgi_send(struct FCGX_Request *fr, const struct resp *resp)
{
	return send_resp(resp, fcgi_write, fr->out);
}

static ssize_t
fd_read(void *src, char *buf, size_t n)
{
	ssize_t got;

	do
		got = read(*(int *)src, buf, n);
	while (got < 0 && errno == EINTR);
	return got;
}

static int
fd_write(void *dst, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(*(int *)dst, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int
http_cgi_read_body(int fd, struct req *req, int64_t max_bytes)
{
	return read_body(req, max_bytes, fd_read, &fd);
}

int
http_cgi_send(int fd, const struct resp *resp)
{
	return send_resp(resp, fd_write, &fd);
}
