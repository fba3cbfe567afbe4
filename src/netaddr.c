/*
 * netaddr: CIDR matching for the allow list of /metrics. It owns only the
 * text-to-bits comparison: no name is resolved (a lookup per scrape could
 * hang a worker, and a name proves nothing about who connects), and the
 * list is parsed at each call, because it is short and read once per
 * scrape, and checked with the same parser at start (config), so a
 * value that would match nothing stops the worker instead. The family of
 * an entry is IPv6 if it has a ':', so an IPv4 network never matches an
 * IPv6 address or the reverse.
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

/* One parsed entry of the list. */
struct cidr {
	int fam;
	unsigned char net[sizeof(struct in6_addr)];
	int64_t bits;
};

/* Parses "a.b.c.d/n", "x::y/n" or a bare address (all its bits) of len
 * bytes. A prefix must be digits only and in range: read leniently, "/abc"
 * or "/" would be /0 and allow every address, so /0 is only ever what was
 * spelled out. Returns false if the entry does not parse. */
static bool
parse_cidr(const char *entry, size_t len, struct cidr *c)
{
	char text[CIDR_TEXT_MAX];
	char *slash;
	const char *d;
	int64_t maxbits;

	if (len >= sizeof(text))
		return false;
	memcpy(text, entry, len);
	text[len] = '\0';
	slash = strchr(text, '/');
	c->fam = strchr(text, ':') ? AF_INET6 : AF_INET;
	maxbits = c->fam == AF_INET6 ? 128 : 32;
	c->bits = maxbits;
	if (slash != NULL) {
		if (slash[1] == '\0')
			return false;
		for (d = slash + 1; *d != '\0'; d++)
			if (*d < '0' || *d > '9')
				return false;
		if (util_parse_int(slash + 1, 0, maxbits, &c->bits) != 0)
			return false;
		*slash = '\0';
	}
	return inet_pton(c->fam, text, c->net) == 1;
}

static bool
in_cidr(const struct cidr *c, const char *addr)
{
	unsigned char ip[sizeof(struct in6_addr)];
	int64_t i;

	if (inet_pton(c->fam, addr, ip) != 1)
		return false;
	for (i = 0; i < c->bits; i++)
		if (((c->net[i / 8] ^ ip[i / 8]) >> (7 - i % 8)) & 1)
			return false;
	return true;
}

/* Calls fn for each entry of list (separated by commas and/or spaces)
 * until it returns true; returns whether one did. */
static bool
each_entry(const char *list, bool (*fn)(const char *, size_t, void *), void *arg)
{
	const char *p = list, *end;

	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == ',')
			p++;
		end = p + strcspn(p, ", ");
		if (end > p && fn(p, (size_t)(end - p), arg))
			return true;
		p = end;
	}
	return false;
}

static bool
entry_matches(const char *entry, size_t len, void *addr)
{
	struct cidr c;

	return parse_cidr(entry, len, &c) && in_cidr(&c, addr);
}

bool
netaddr_allowed(const char *allow_list, const char *addr)
{
	return each_entry(allow_list, entry_matches, (void *)addr);
}

static bool
entry_bad(const char *entry, size_t len, void *count)
{
	struct cidr c;

	++*(size_t *)count;
	return !parse_cidr(entry, len, &c);
}

size_t
netaddr_list_check(const char *allow_list)
{
	size_t n = 0;

	return each_entry(allow_list, entry_bad, &n) ? n : 0;
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
	if (end <= b || (size_t)(end - b) >= sizeof(text))
		return false; /* an empty hop, or too long for an address */
	len = (size_t)(end - b);
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
