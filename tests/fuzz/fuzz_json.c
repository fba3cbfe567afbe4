/* fuzz_json: a request body through json.c's reader and the body parsers
 * built on it: registration, logout report, the field readers. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "json.h"
#include "login.h"
#include "report.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = {"email", "password", "display_name",
	    "type", "message", "refresh_token", "current_password", "remember_me"};
	struct registration reg;
	struct logout_event ev;
	enum logout_type type;
	json_object *o;
	const char *s;
	size_t i, len;
	double d;
	bool b;

	char *body = fuzz_str(data, size); /* NUL-terminated, as the server's */

	if ((o = json_parse_object(body, size)) == NULL) {
		free(body);
		return 0;
	}
	memset(&reg, 0, sizeof(reg));
	(void)login_parse_registration(o, &reg);
	memset(&ev, 0, sizeof(ev));
	(void)report_parse(o, &ev, &type);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (json_get_string(o, keys[i], &s, &len) == 0 && s != NULL &&
		    strlen(s) > len)
			abort();
		(void)json_get_text(o, keys[i], 64, &s);
		(void)json_get_bool(o, keys[i], &b);
		(void)json_get_number(o, keys[i], &d);
	}
	json_object_put(o);
	free(body);
	return 0;
}
