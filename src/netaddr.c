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
#include <stdio.h>
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

/* An entry is well formed exactly when its own address lies in it: the
 * network part must parse and the prefix be digits in range, which is
 * what in_cidr checks before it compares a single bit. */
static bool
entry_valid(const char *entry, size_t len)
{
	char text[CIDR_TEXT_MAX];
	char *slash;

	if (len >= sizeof(text))
		return false;
	memcpy(text, entry, len);
	text[len] = '\0';
	if ((slash = strchr(text, '/')) != NULL)
		*slash = '\0';
	return in_cidr(entry, len, text);
}

size_t
netaddr_list_invalid(const char *list)
{
	const char *p = list, *end;
	size_t n = 0;

	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == ',')
			p++;
		end = p + strcspn(p, ", ");
		if (end > p) {
			n++;
			if (!entry_valid(p, (size_t)(end - p)))
				return n;
		}
		p = end;
	}
	return 0;
}

/* Reads the hop of xff that ends at end (exclusive) into out in canonical
 * form; *start is where it begins (its comma or xff). False if the hop is
 * not one bare IPv4 or IPv6 address. */
static bool
hop_before(const char *xff, const char *end, const char **start, char *out, size_t outlen)
{
	unsigned char bin[sizeof(struct in6_addr)];
	char text[CIDR_TEXT_MAX];
	const char *b = end;
	size_t len;
	int fam;

	while (b > xff && b[-1] != ',')
		b--;
	*start = b;
	while (b < end && (*b == ' ' || *b == '\t'))
		b++;
	while (end > b && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	len = (size_t)(end - b);
	if (len == 0 || len >= sizeof(text))
		return false;
	memcpy(text, b, len);
	text[len] = '\0';
	fam = strchr(text, ':') ? AF_INET6 : AF_INET;
	return inet_pton(fam, text, bin) == 1 &&
	    inet_ntop(fam, bin, out, (socklen_t)outlen) != NULL;
}

void
netaddr_client(const char *trusted, const char *peer, const char *xff,
    char *out, size_t outlen)
{
	char hop[NETADDR_TEXT_MAX];
	const char *end, *start;
	int n;

	snprintf(out, outlen, "%s", peer != NULL ? peer : "");
	if (xff == NULL || trusted == NULL || !netaddr_allowed(trusted, out))
		return;
	/* Right to left: each trusted proxy appended the address it saw, so
	 * the first hop that is not one of ours is the client; everything to
	 * its left is whatever the client wrote. A hop that does not parse
	 * leaves the last trusted address: failing towards the proxy shares
	 * its throttle bucket, it never lets a client pick an address. */
	end = xff + strlen(xff);
	for (n = 0; n < NETADDR_MAX_HOPS && end > xff; n++, end = start - (start > xff)) {
		if (!hop_before(xff, end, &start, hop, sizeof(hop)))
			return;
		snprintf(out, outlen, "%s", hop);
		if (!netaddr_allowed(trusted, hop))
			return;
	}
}
