/*
 * netaddr: whether a client's address lies in an allow list of networks
 * ("127.0.0.1/32,::1/128, 10.0.0.0/8"), as metrics_allow gives it.
 */
#ifndef TETHER_NETADDR_H
#define TETHER_NETADDR_H

#include <stdbool.h>
#include <stddef.h>

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

#endif
