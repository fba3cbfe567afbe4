/*
 * test_netaddr: the CIDR allow list of /metrics.
 */
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

static const struct tu_test tests[] = {
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
