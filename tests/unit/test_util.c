/*
 * test_util: the text checks and the terminal escaper of util (L1: a
 * client's text must never drive the operator's terminal).
 */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "util.h"

static void
check_escape(const char *in, const char *want)
{
	char *got = util_escape_text(in);

	TU_ASSERT_STR_EQ(got, want);
	free(got);
}

static void
test_the_escaper_turns_every_control_and_bad_byte_into_hex(void)
{
	check_escape("plain text 123", "plain text 123");
	check_escape("", "");
	check_escape(NULL, "");
	/* The audit's forged block: ESC, BEL, CR, LF. */
	check_escape("bye\x1b[2J\x1b]0;owned\x07\r\nLOGOUT EVENT",
	    "bye\\x1b[2J\\x1b]0;owned\\x07\\x0d\\x0aLOGOUT EVENT");
	check_escape("tab\there\x7f", "tab\\x09here\\x7f");
	/* C1 as UTF-8 (U+009B is CSI, U+0085 NEL). */
	check_escape("a\xc2\x9b"
	             "31mred\xc2\x85z",
	    "a\\xc2\\x9b31mred\\xc2\\x85z");
	/* Printable non-ASCII stays readable: U+00E9, U+20AC, U+1F600. */
	check_escape("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	check_escape("\xc2\xa0nbsp", "\xc2\xa0nbsp");
	/* Bytes that are not UTF-8, and a sequence cut short. */
	check_escape("\xff\xfe ok \xc3", "\\xff\\xfe ok \\xc3");
	check_escape("\xe2\x82", "\\xe2\\x82");
	/* A backslash is doubled: an escape shown is never the client's. */
	check_escape("\\x1b", "\\\\x1b");
}

static void
test_text_for_people_has_no_c0_del_or_c1_control(void)
{
	CU_ASSERT_TRUE(util_text_ok("Signed out after 30 minutes", 100));
	CU_ASSERT_TRUE(util_text_ok("caf\xc3\xa9 \xc2\xa0", 100));
	CU_ASSERT_FALSE(util_text_ok("a\x1b[2J", 100));
	CU_ASSERT_FALSE(util_text_ok("line\nline", 100));
	CU_ASSERT_FALSE(util_text_ok("del\x7f", 100));
	CU_ASSERT_FALSE(util_text_ok("csi\xc2\x9b"
	                             "2J",
	    100));
	CU_ASSERT_FALSE(util_text_ok("nel\xc2\x85", 100));
	CU_ASSERT_FALSE(util_text_ok("bad\xff", 100));
	CU_ASSERT_FALSE(util_text_ok("toolong", 3));
}

static const struct tu_test tests[] = {
	{ "the escaper turns every control and bad byte into hex",
	    test_the_escaper_turns_every_control_and_bad_byte_into_hex },
	{ "text for people has no C0, DEL or C1 control",
	    test_text_for_people_has_no_c0_del_or_c1_control },
	{ NULL, NULL }
};

int
main(void)
{
	tu_begin();
	tu_suite("util", NULL, NULL, tests);
	return tu_end("test_util");
}
