/*
 * test_netaddr: the CIDR allow list of /metrics.
 */
#include <string.h>

#include "netaddr.h"
#include "testutil.h"

static void
test_only_allowed_addresses_may_read_metrics(void)
{
	const char *allow = "127.0.0.1/32,::1/128, 10.1.0.0/16";

	CU_ASSERT_TRUE(netaddr_allowed(allow, "127.0.0.1"));
	CU_ASSERT_TRUE(netaddr_allowed(allow, "::1"));
	CU_ASSERT_TRUE(netaddr_allowed(allow, "10.1.200.3"));
	CU_ASSERT_FALSE(netaddr_allowed(allow, "10.2.0.1"));
	CU_ASSERT_FALSE(netaddr_allowed(allow, "127.0.0.2"));
	CU_ASSERT_FALSE(netaddr_allowed(allow, "::2"));
	CU_ASSERT_FALSE(netaddr_allowed(allow, ""));
	CU_ASSERT_FALSE(netaddr_allowed(allow, "garbage"));
	CU_ASSERT_FALSE(netaddr_allowed("", "127.0.0.1"));
	CU_ASSERT_TRUE(netaddr_allowed("0.0.0.0/0", "192.0.2.1"));
	CU_ASSERT_FALSE(netaddr_allowed("10.0.0.0/99", "10.0.0.1"));
}

static void
test_a_network_never_matches_an_address_of_the_other_family(void)
{
	CU_ASSERT_FALSE(netaddr_allowed("127.0.0.1/32", "::ffff:127.0.0.1"));
	CU_ASSERT_FALSE(netaddr_allowed("::/0", "127.0.0.1"));
	CU_ASSERT_TRUE(netaddr_allowed("::/0", "::ffff:127.0.0.1"));
	CU_ASSERT_TRUE(netaddr_allowed("192.0.2.7", "192.0.2.7"));
	CU_ASSERT_FALSE(netaddr_allowed("192.0.2.7", "192.0.2.8"));
}

static void
test_a_prefix_that_is_not_a_number_in_range_matches_nothing(void)
{
	/* Read as /0 these would allow every address. */
	CU_ASSERT_FALSE(netaddr_allowed("10.0.0.0/abc", "192.0.2.1"));
	CU_ASSERT_FALSE(netaddr_allowed("10.0.0.0/", "192.0.2.1"));
	CU_ASSERT_FALSE(netaddr_allowed("10.0.0.0/-0", "192.0.2.1"));
	CU_ASSERT_FALSE(netaddr_allowed("10.0.0.0/8x", "10.0.0.1"));
	CU_ASSERT_FALSE(netaddr_allowed("10.0.0.0/+8", "10.0.0.1"));
	CU_ASSERT_TRUE(netaddr_allowed("10.0.0.0/8", "10.200.0.1"));
	CU_ASSERT_TRUE(netaddr_allowed("2001:db8::/32", "2001:db8:1::1"));
}

static void
test_the_list_check_names_the_first_entry_that_does_not_parse(void)
{
	CU_ASSERT_EQUAL(netaddr_list_check("127.0.0.1/32,::1/128"), 0);
	CU_ASSERT_EQUAL(netaddr_list_check(""), 0);
	CU_ASSERT_EQUAL(netaddr_list_check("0.0.0.0/0"), 0);
	CU_ASSERT_EQUAL(netaddr_list_check("10.0.0.0/"), 1);
	CU_ASSERT_EQUAL(netaddr_list_check("127.0.0.1/32, 10.0.0.0/x"), 2);
	CU_ASSERT_EQUAL(netaddr_list_check("127.0.0.1 ::1 localhost"), 3);
	CU_ASSERT_EQUAL(netaddr_list_check("::1/0128"), 0);
	CU_ASSERT_EQUAL(netaddr_list_check("::1/1280"), 1);
}

/* The address netaddr_client chooses (a static buffer: one at a time). */
static const char *
client(const char *trusted, const char *peer, const char *xff)
{
	static char out[NETADDR_TEXT_MAX];

	netaddr_client(trusted, peer, xff, out, sizeof(out));
	return out;
}

static void
test_an_untrusted_peer_cannot_choose_its_address(void)
{
	TU_ASSERT_STR_EQ(client("", "198.51.100.4", "203.0.113.9"), "198.51.100.4");
	TU_ASSERT_STR_EQ(client("127.0.0.1", "198.51.100.4", "127.0.0.1"), "198.51.100.4");
	TU_ASSERT_STR_EQ(client("10.0.0.0/8", "198.51.100.4", "10.0.0.1, 203.0.113.9"),
	    "198.51.100.4");
	TU_ASSERT_STR_EQ(client("127.0.0.1", "198.51.100.4", NULL), "198.51.100.4");
	TU_ASSERT_STR_EQ(client("127.0.0.1", "", "203.0.113.9"), "");
}

static void
test_a_trusted_proxy_names_the_client(void)
{
	TU_ASSERT_STR_EQ(client("127.0.0.1", "127.0.0.1", "203.0.113.9"), "203.0.113.9");
	TU_ASSERT_STR_EQ(client("127.0.0.1", "127.0.0.1", " 203.0.113.9 "), "203.0.113.9");
	/* No header: the proxy itself (a local scrape) is the client. */
	TU_ASSERT_STR_EQ(client("127.0.0.1", "127.0.0.1", NULL), "127.0.0.1");
	TU_ASSERT_STR_EQ(client("127.0.0.1", "127.0.0.1", ""), "127.0.0.1");
}

static void
test_the_right_most_untrusted_hop_is_the_client(void)
{
	const char *t = "127.0.0.1/32, 10.0.0.0/8";

	/* What the client wrote comes first; each proxy appends what it saw. */
	TU_ASSERT_STR_EQ(client(t, "127.0.0.1", "127.0.0.1, 203.0.113.9"), "203.0.113.9");
	TU_ASSERT_STR_EQ(client(t, "127.0.0.1", "192.0.2.1, 203.0.113.9, 10.1.2.3"),
	    "203.0.113.9");
	TU_ASSERT_STR_EQ(client(t, "127.0.0.1", "10.9.9.9,10.1.2.3"), "10.9.9.9");
	TU_ASSERT_STR_EQ(client(t, "10.0.0.5", "8.8.8.8,198.51.100.7,10.0.0.9,10.0.0.8"),
	    "198.51.100.7");
}

static void
test_a_hop_that_is_not_an_address_leaves_the_trusted_one(void)
{
	const char *t = "127.0.0.1, 10.0.0.0/8";

	TU_ASSERT_STR_EQ(client(t, "127.0.0.1", "garbage"), "127.0.0.1");
	TU_ASSERT_STR_EQ(client(t, "127.0.0.1", "203.0.113.9:443"), "127.0.0.1");
	TU_ASSERT_STR_EQ(client(t, "127.0.0.1", "[2001:db8::1]"), "127.0.0.1");
	TU_ASSERT_STR_EQ(client(t, "127.0.0.1", "203.0.113.9, "), "127.0.0.1");
	TU_ASSERT_STR_EQ(client(t, "127.0.0.1", "203.0.113.9,,10.0.0.2"), "10.0.0.2");
	TU_ASSERT_STR_EQ(client(t, "127.0.0.1", "203.0.113.9, 10.0.0.2 x"), "127.0.0.1");
	TU_ASSERT_STR_EQ(client(t, "127.0.0.1", "1.2.3.4, 999.1.1.1"), "127.0.0.1");
	TU_ASSERT_STR_EQ(client(t, "127.0.0.1",
	    "203.0.113.9, 0000000000000000000000000000000000000000000000000000000000000000000001"),
	    "127.0.0.1");
}

static void
test_ipv6_hops_are_matched_and_written_canonically(void)
{
	const char *t = "::1/128, fd00::/8";

	TU_ASSERT_STR_EQ(client(t, "::1", "2001:DB8:0:0::1"), "2001:db8::1");
	TU_ASSERT_STR_EQ(client(t, "::1", "2001:db8::1, fd00::7"), "2001:db8::1");
	TU_ASSERT_STR_EQ(client(t, "::1", "192.0.2.5"), "192.0.2.5");
	TU_ASSERT_STR_EQ(client(t, "fd12::1", "2001:db8::2,fd00::1"), "2001:db8::2");
	/* An IPv4 proxy network never trusts an IPv6 peer. */
	TU_ASSERT_STR_EQ(client("0.0.0.0/0", "::1", "192.0.2.5"), "::1");
}

static void
test_a_long_chain_of_trusted_hops_stops_at_the_bound(void)
{
	char xff[2048] = "203.0.113.9";
	int i;

	for (i = 0; i < NETADDR_MAX_HOPS + 4; i++)
		strcat(xff, ", 10.0.0.1");
	/* Past the bound the walk gives up on a trusted hop, not a client's. */
	TU_ASSERT_STR_EQ(client("10.0.0.0/8", "10.0.0.2", xff), "10.0.0.1");
}

static void
test_a_proxy_list_is_checked_entry_by_entry(void)
{
	CU_ASSERT_EQUAL(netaddr_list_check(""), 0);
	CU_ASSERT_EQUAL(netaddr_list_check("127.0.0.1/32,::1/128, 10.0.0.0/8 192.0.2.7"), 0);
	CU_ASSERT_EQUAL(netaddr_list_check("10.0.0.0/8,proxy.example"), 2);
	CU_ASSERT_EQUAL(netaddr_list_check("10.0.0.0/33"), 1);
	CU_ASSERT_EQUAL(netaddr_list_check("::1/129"), 1);
	CU_ASSERT_EQUAL(netaddr_list_check("127.0.0.1, 10.0.0.0/"), 2);
	CU_ASSERT_EQUAL(netaddr_list_check("10.0.0.0/x"), 1);
}

static const struct tu_test tests[] = {
	{ "an untrusted peer cannot choose its address",
	    test_an_untrusted_peer_cannot_choose_its_address },
	{ "a trusted proxy names the client", test_a_trusted_proxy_names_the_client },
	{ "the right-most untrusted hop is the client",
	    test_the_right_most_untrusted_hop_is_the_client },
	{ "a hop that is not an address leaves the trusted one",
	    test_a_hop_that_is_not_an_address_leaves_the_trusted_one },
	{ "IPv6 hops are matched and written canonically",
	    test_ipv6_hops_are_matched_and_written_canonically },
	{ "a long chain of trusted hops stops at the bound",
	    test_a_long_chain_of_trusted_hops_stops_at_the_bound },
	{ "a proxy list is checked entry by entry",
	    test_a_proxy_list_is_checked_entry_by_entry },
	{ "only allowed addresses may read metrics",
	    test_only_allowed_addresses_may_read_metrics },
	{ "a network never matches an address of the other family",
	    test_a_network_never_matches_an_address_of_the_other_family },
	{ "a prefix that is not a number in range matches nothing",
	    test_a_prefix_that_is_not_a_number_in_range_matches_nothing },
	{ "the list check names the first entry that does not parse",
	    test_the_list_check_names_the_first_entry_that_does_not_parse },
	{ NULL, NULL }
};

int
main(void)
{
	tu_begin();
	tu_suite("netaddr", NULL, NULL, tests);
	return tu_end("test_netaddr");
}
