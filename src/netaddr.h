/*
 * netaddr: whether a client's address lies in an allow list of networks
 * ("127.0.0.1/32,::1/128, 10.0.0.0/8"), as metrics_allow gives it, and
 * who the client is behind the proxies that trusted_proxies names.
 */
#ifndef TETHER_NETADDR_H
#define TETHER_NETADDR_H

#include <stdbool.h>
#include <stddef.h>

/* Room for any address netaddr_client writes (INET6_ADDRSTRLEN is 46). */
#define NETADDR_TEXT_MAX 64
/* The most X-Forwarded-For hops read, right to left: more proxies than
 * this in a row is a header built to make the walk long. */
#define NETADDR_MAX_HOPS 16

/*
 * True if addr (IPv4 or IPv6 text, as the web server reports it) lies in
 * one of the CIDRs of allow_list, separated by commas and/or spaces; an
 * entry without "/n" is one host. An address or network that does not
 * parse matches nothing. Both strings are borrowed; NULL allow_list or
 * "" allows nothing.
 */
bool netaddr_allowed(const char *allow_list, const char *addr);

/*
 * Checks every entry of allow_list with the parser netaddr_allowed uses: 0
 * if all parse, else the 1-based position of the first that does not (a
 * prefix must be digits 0..32 or 0..128; "10.0.0.0/" is not /0).
 */
size_t netaddr_list_check(const char *allow_list);

/*
 * The client's address of a request that reached us from peer (REMOTE_ADDR)
 * with the X-Forwarded-For header xff (NULL when absent), written to out
 * (outlen at least NETADDR_TEXT_MAX). If peer is not in trusted (a list of
 * networks as above; "" trusts nobody), that is peer and xff is ignored:
 * a client never chooses its own address. If peer is trusted, it is the
 * right-most hop of xff that is not itself trusted, in canonical text
 * (inet_ntop: one spelling per IPv6 address); when every hop is trusted,
 * the left-most; when a hop is not a bare address (garbage, a port,
 * brackets), the trusted address to its right. All strings borrowed.
 */
void netaddr_client(const char *trusted, const char *peer, const char *xff,
    char *out, size_t outlen);

#endif
