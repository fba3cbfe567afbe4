/* fuzz_http: the request as the web server hands it over. Input: one
 * environment entry per line ("HTTP_COOKIE=...", "REQUEST_URI=...",
 * "HTTP_AUTHORIZATION=...", ...); the first line alone is also parsed as a
 * Cookie header. Then what the handlers read from it: cookies, headers,
 * Content-Length, the tokens of each transport. */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz_util.h"
#include "http.h"
#include "transport.h"

#define MAX_ENV 64

/* The most pairs a header can hold: one per '='. */
static size_t
nc_max(const char *hdr)
{
	size_t n = 0;

	for (; *hdr != '\0'; hdr++)
		n += *hdr == '=';
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config cfg[3];
	static int ready;
	char *copy = fuzz_str(data, size), *line = copy, *next, *env[MAX_ENV + 1];
	struct cookie *cookies = NULL;
	enum token_source src;
	struct req req;
	int64_t len;
	size_t i, n = 0, nc;

	if (!ready) {
		for (i = 0; i < 3; i++) {
			config_init(&cfg[i]);
			cfg[i].token_transport = (enum token_transport)i;
		}
		ready = 1;
	}
	/* The first line as a Cookie header on its own. */
	next = strchr(copy, '\n');
	nc = next != NULL ? (size_t)(next - copy) : size;
	{
		char *hdr = fuzz_str(data, nc);

		nc = http_parse_cookies(hdr, &cookies);
		/* Every pair has a name and a '=' in the header. */
		if (nc > nc_max(hdr) || (nc > 0 && cookies == NULL))
			abort();
		http_free_cookies(cookies, nc);
		free(hdr);
	}
	while (n < MAX_ENV && *line != '\0') {
		next = fuzz_cut(line);
		env[n++] = line;
		line = next;
	}
	env[n] = NULL;
	(void)req_init(&req, env, "/api", 0);
	(void)req_cookie(&req, "tether_access");
	(void)req_header(&req, "X-Token-Transport");
	(void)req_content_length(&req, &len);
	for (i = 0; i < 3; i++) {
		(void)transport_access_token(&cfg[i], &req, &src);
		(void)transport_refresh_token(&cfg[i], &req, NULL, &src);
		(void)transport_csrf_ok(&cfg[i], &req, src);
		(void)transport_unforged(&cfg[i], &req, NULL, src);
		(void)transport_credential(&cfg[i], &req, NULL);
		(void)transport_cookies_problem(&cfg[i], &req);
		(void)transport_body_tokens(&cfg[i], &req);
	}
	req_clear(&req);
	free(copy);
	return 0;
}
