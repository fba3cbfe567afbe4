/* fuzz_netaddr: the CIDR allow list (metrics_allow and the like) against
 * an address. Input: "allow list\naddress". */
#include <stdlib.h>

#include "fuzz_util.h"
#include "netaddr.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *list = fuzz_str(data, size), *addr = fuzz_cut(list);

	(void)netaddr_allowed(list, addr);
	(void)netaddr_allowed(list, list);
	free(list);
	return 0;
}
