/*
 * http: the request and response of one call, independent of how they
 * arrive. A request is built from CGI-style parameters (what FastCGI hands
 * the worker, or a CGI process's environment) and a body; a response is a
 * status, headers and a body. Only http.c and main.c see libfcgi: the
 * server glue is the http_fcgi_* and http_cgi_* functions at the bottom.
 */
#ifndef TETHER_HTTP_H
#define TETHER_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* The longest Cookie header read: every pair in it is parsed (junk cookies
 * cannot push another out), and a longer one is refused whole rather than
 * cut (see cookies_too_long). Web servers' own limits are about 8 KiB. */
#define HTTP_COOKIE_HEADER_MAX 16384

struct cookie {
	char *name;
	char *value;
};

#define HTTP_USER_AGENT_MAX 512 /* bytes: what a session stores */

/*
 * One request. env is borrowed (libfcgi's, the process's or a test's); every
 * other pointer is owned and released by req_clear().
 */
struct req {
	char **env;
	const char *method;      /* borrowed from env; "GET" if missing */
	char *path;              /* below the mount point: "/login" */
	char *query;             /* after '?', or NULL */
	struct cookie *cookies;  /* every pair, repeats included, in order */
	size_t ncookies;
	bool cookies_too_long;   /* the Cookie header was over the bound */
	char *body;              /* NUL-terminated; NULL when there is none */
	size_t body_len;
	const char *remote_addr; /* the client: REMOTE_ADDR (borrowed from env;
	                          * "" if missing), or client_addr */
	const char *user_agent;  /* ua below; "" if missing */
	time_t now;              /* the clock of this request (tests inject it) */
	/* remote_addr's storage (req_take_client). */
	char client_addr[64];
	/* The User-Agent as valid UTF-8 of at most HTTP_USER_AGENT_MAX bytes,
	 * cut on a character boundary: it goes to text columns, which refuse
	 * anything else (and a refused audit row is a lost one). */
	char ua[HTTP_USER_AGENT_MAX + 1];
};

struct header {
	char *name;
	char *value;
};

/* One response; every pointer owned, released by resp_clear(). */
struct resp {
	int status;
	struct header *headers;
	size_t nheaders;
	char *body;
	size_t body_len;
	/* No Content-Length line: for an authorizer's grant, whose headers
	 * mod_fcgid copies into the response it lets through (a
	 * "Content-Length: 0" there would cut that response to nothing). */
	bool no_length;
};

/*
 * Fills req from the CGI parameters in env (REQUEST_METHOD, REQUEST_URI,
 * SCRIPT_NAME, PATH_INFO, HTTP_COOKIE, REMOTE_ADDR, HTTP_USER_AGENT).
 * path is REQUEST_URI without the query and without the mount prefix:
 * the URL the browser asked for, which is what mount_path (and the cookies'
 * paths built from it) must match, whatever the server mapped it to
 * (lighttpd's fastcgi.server prefix, ScriptAlias /api/auth or a rewrite to
 * /cgi-bin/tether.fcgi). Only a server that sends no REQUEST_URI (it is not
 * in RFC 3875) gets SCRIPT_NAME followed by PATH_INFO instead.
 * Returns 0, or -1 if the path does not lie under mount (req is still valid
 * and must be cleared). The body is not read here.
 */
int req_init(struct req *req, char **env, const char *mount, time_t now);
/* Frees everything req owns. */
void req_clear(struct req *req);
/* A CGI parameter ("CONTENT_TYPE") or NULL. Borrowed from env. */
const char *req_param(const struct req *req, const char *name);
/* An HTTP header by its name ("X-CSRF-Token"), or NULL. Borrowed. */
const char *req_header(const struct req *req, const char *name);
/*
 * Decides who the client is, once per request, before anything uses
 * remote_addr: behind a proxy of trusted (trusted_proxies: a list of
 * networks, "" for none) the hop that proxy saw, else REMOTE_ADDR
 * (netaddr_client). remote_addr then points at client_addr.
 */
void req_take_client(struct req *req, const char *trusted);
/* A cookie's value, or NULL. With a repeated name, the first; callers that
 * must not guess check req_cookie_count. Borrowed from req. */
const char *req_cookie(const struct req *req, const char *name);
/* How many cookies of that name the request carries. */
size_t req_cookie_count(const struct req *req, const char *name);
/*
 * Parses CONTENT_LENGTH: 0 and *len (0 when absent), or -1 when it is not a
 * decimal number.
 */
int req_content_length(const struct req *req, int64_t *len);
/* Takes ownership of body (len bytes plus a NUL terminator). */
void req_set_body(struct req *req, char *body, size_t len);

/*
 * Parses a Cookie header: name=value pairs separated by ';', every one of
 * them, in order, a repeated name as often as it comes (which of several
 * to believe is the caller's decision). Pairs without '=' or without a
 * name are skipped. Sets *out to an allocated array (NULL when none) of
 * allocated strings, all freed by http_free_cookies; returns the count.
 */
size_t http_parse_cookies(const char *header, struct cookie **out);
/* Frees what http_parse_cookies made (the values are wiped). */
void http_free_cookies(struct cookie *c, size_t n);

void resp_init(struct resp *resp);
void resp_clear(struct resp *resp);
/* Adds a header (both strings copied). Several with one name may be added. */
void resp_add_header(struct resp *resp, const char *name, const char *value);
/* Replaces any header of that name (copied). */
void resp_set_header(struct resp *resp, const char *name, const char *value);
/* The first header of that name or NULL; borrowed. */
const char *resp_header(const struct resp *resp, const char *name);
/* Sets status and takes ownership of body (a NUL-terminated string). */
void resp_set_body(struct resp *resp, int status, const char *content_type,
    char *body);

/* Cookie attributes; the value is written as is (callers pass base64url). */
struct cookie_opts {
	const char *path;
	int64_t max_age; /* < 0: a session cookie; 0: delete */
	bool http_only;
	bool secure;
	const char *samesite; /* "Lax", "Strict", "None" */
};
/* Adds a Set-Cookie header. */
void resp_set_cookie(struct resp *resp, const char *name, const char *value,
    const struct cookie_opts *opts);

/*
 * ---- The server glue (http.c only; main.c calls it) ----
 * A request arrives either from libfcgi (a persistent FastCGI worker: the
 * parameters are FCGX_Request.envp, the body its input stream) or as plain
 * CGI (one request per process: the parameters are the process
 * environment, the body is stdin, the answer goes to stdout). Both read and
 * write alike: the same Content-Length rules, the same response head
 * ("Status: 200 OK", the headers, Content-Length, a blank line).
 */
struct FCGX_Request;
/*
 * Reads the body of a FastCGI request into req, after checking the declared
 * Content-Length against max_bytes before reading anything.
 * Returns 0, 413 (too large), or 400 (bad or short length).
 */
int http_fcgi_read_body(struct FCGX_Request *fr, struct req *req, int64_t max_bytes);
/* Writes status line, headers and body to the FastCGI stream: 0 or -1. */
int http_fcgi_send(struct FCGX_Request *fr, const struct resp *resp);
/* http_fcgi_read_body for a CGI request: the body is read from fd (stdin). */
int http_cgi_read_body(int fd, struct req *req, int64_t max_bytes);
/* http_fcgi_send for a CGI request: the response is written to fd (stdout). */
int http_cgi_send(int fd, const struct resp *resp);

#endif
