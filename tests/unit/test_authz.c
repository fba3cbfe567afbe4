/*
 * test_authz: the authorizer's pure decisions: the folder's rules, the
 * sign-in redirect and what counts as a page load.
 */
#include <stdlib.h>
#include <string.h>

#include "authz.h"
#include "testutil.h"

static void
test_the_folder_rules_allow_listed_users_and_a_domain(void)
{
	CU_ASSERT_TRUE(authz_rules_allow("ann@example.org", NULL, NULL));
	CU_ASSERT_TRUE(authz_rules_allow("ann@example.org", "", ""));
	CU_ASSERT_TRUE(authz_rules_allow("Ann@Example.org", "bob@x.org, ann@example.org", NULL));
	CU_ASSERT_TRUE(authz_rules_allow("ann@example.org", " ann@example.org ,bob@x.org", NULL));
	CU_ASSERT_FALSE(authz_rules_allow("ann@example.org", "bob@x.org", NULL));
	/* A list entry is a whole address, not a part of one. */
	CU_ASSERT_FALSE(authz_rules_allow("ann@example.org", "nn@example.org", NULL));
	CU_ASSERT_FALSE(authz_rules_allow("ann@example.org", "ann@example.org.evil", NULL));
	CU_ASSERT_FALSE(authz_rules_allow("ann@example.org", ",,", NULL));
	CU_ASSERT_TRUE(authz_rules_allow("ann@EXAMPLE.org", NULL, "example.org"));
	CU_ASSERT_FALSE(authz_rules_allow("ann@sub.example.org", NULL, "example.org"));
	CU_ASSERT_FALSE(authz_rules_allow("ann@example.org.evil", NULL, "example.org"));
	CU_ASSERT_FALSE(authz_rules_allow("ann@evilexample.org", NULL, "example.org"));
	/* Both rules: both must pass. */
	CU_ASSERT_FALSE(authz_rules_allow("ann@x.org", "ann@x.org", "example.org"));
}

static void
test_the_sign_in_redirect_stays_on_the_site_and_comes_back(void)
{
	char *l = authz_signin_location("/", "/protected/index.php?a=1&b=2");

	TU_ASSERT_STR_EQ(l, "/?next=/protected/index.php%3Fa%3D1%26b%3D2");
	free(l);
	l = authz_signin_location("/signin.html?x=1", "/p/");
	TU_ASSERT_STR_EQ(l, "/signin.html?x=1&next=/p/");
	free(l);
	/* Nothing of the request can end the parameter or add a header. */
	l = authz_signin_location("/", "/p/\r\nSet-Cookie: x=1 #\"<>");
	CU_ASSERT_PTR_NULL(strpbrk(l, "\r\n #\"<>&"));
	free(l);
}

static void
test_a_page_load_is_html_without_x_requested_with(void)
{
	char *html[] = { "HTTP_ACCEPT=text/html,application/xhtml+xml,*/*;q=0.8", NULL };
	char *xhr[] = { "HTTP_ACCEPT=text/html", "HTTP_X_REQUESTED_WITH=XMLHttpRequest", NULL };
	char *json[] = { "HTTP_ACCEPT=application/json", NULL };
	char *none[] = { NULL };
	struct req r;

	memset(&r, 0, sizeof(r));
	r.env = html;
	CU_ASSERT_TRUE(authz_is_page_load(&r));
	r.env = xhr;
	CU_ASSERT_FALSE(authz_is_page_load(&r));
	r.env = json;
	CU_ASSERT_FALSE(authz_is_page_load(&r));
	r.env = none;
	CU_ASSERT_FALSE(authz_is_page_load(&r));
}

static const struct tu_test tests[] = {
	{ "the folder rules allow listed users and a domain",
	    test_the_folder_rules_allow_listed_users_and_a_domain },
	{ "the sign-in redirect stays on the site and comes back",
	    test_the_sign_in_redirect_stays_on_the_site_and_comes_back },
	{ "a page load is html without X-Requested-With", test_a_page_load_is_html_without_x_requested_with },
	{ NULL, NULL }
};

int
main(void)
{
	tu_begin();
	tu_suite("authz", NULL, NULL, tests);
	return tu_end("test_authz");
}
