/* fuzz_router: the real route table against any method and path.
 * Input: "METHOD\npath". */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "handlers.h"
#include "router.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *method = fuzz_str(data, size), *path = fuzz_cut(method);
	char param[ROUTE_PARAM_MAX], allow[128];
	const struct route *table, *found = NULL;
	enum route_match m;
	size_t n = 0;

	table = handlers_routes(&n);
	m = router_match(table, n, method, path, &found, param, sizeof(param), allow,
	    sizeof(allow));
	/* Whatever the input, the outputs are terminated and consistent. */
	if (m == ROUTE_FOUND && (found == NULL || strlen(param) >= sizeof(param)))
		abort();
	if (m == ROUTE_BAD_METHOD && strlen(allow) >= sizeof(allow))
		abort();
	free(method);
	return 0;
}
