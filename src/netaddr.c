/*
 * netaddr: CIDR matching for the allow list of /metrics. It owns only the
 * text-to-bits comparison: no name is resolved (a lookup per scrape could
 * hang a worker, and a name proves nothing about who connects), and the
 * list is parsed at each call rather than at start, because it is short
 * and read once per scrape. The family of an entry is IPv6 if it has a
 * ':', so an IPv4 network never matches an IPv6 address or the reverse.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netaddr.h"
#include "util.h"

/* The longest entry considered: an IPv6 CIDR in text is at most 49
 * characters; anything longer cannot be one. */
#define CIDR_TEXT_MAX 64

/* Parses "a.b.c.d/n" or "x::y/n" and tests addr against it. */
static bool
in_cidr(const char *cidr, size_t len, const char *addr)
{
	unsigned char net[sizeof(struct in6_addr)], ip[sizeof(struct in6_addr)];
	char text[CIDR_TEXT_MAX];
	const char *slash;
	int fam, maxbits, i;
	int64_t bits;

	if (len >= sizeof(text))
		return false;
	memcpy(text, cidr, len);
	text[len] = '\0';
	slash = strchr(text, '/');
	fam = strchr(text, ':') ? AF_INET6 : AF_INET;
	maxbits = fam == AF_INET6 ? 128 : 32;
	bits = maxbits;
	/* A prefix that is not a whole number in range matches nothing: read
	 * leniently, "/abc" or "/" would be /0 and allow every address. */
	if (slash != NULL && (slash[1] < '0' || slash[1] > '9' ||
	    util_parse_int(slash + 1, 0, maxbits, &bits) != 0))
		return false;
	if (slash)
		text[slash - text] = '\0';
	if (inet_pton(fam, text, net) != 1 ||
	    inet_pton(fam, addr, ip) != 1)
		return false;
	for (i = 0; i < bits; i++)
		if (((net[i / 8] ^ ip[i / 8]) >> (7 - i % 8)) & 1)
			return false;
	return true;
}

bool
netaddr_allowed(const char *allow_list, const char *addr)
{
	const char *p = allow_list, *end;

	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == ',')
			p++;
		end = p + strcspn(p, ", ");
		if (end > p && in_cidr(p, (size_t)(end - p), addr))
			return true;
		p = end;
	}
	return false;
}
