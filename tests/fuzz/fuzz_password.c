/* fuzz_password: password_verify against any stored hash string.
 * Input: "password\nstored". The scrypt cost of a well-formed string is
 * bounded here (n * r * p at most 2^12) so that an input is milliseconds,
 * not seconds: the parser, not scrypt, is under test. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "password.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct scrypt_params cur = {16, 1, 1};
	char *pw = fuzz_str(data, size), *stored = fuzz_cut(pw);
	unsigned ln = 0, r = 0, p = 0;
	bool rehash = true;
	int rc;

	/* The same prefix as password.c's parser reads. */
	if (sscanf(stored, "$scrypt$ln=%2u,r=%4u,p=%4u$", &ln, &r, &p) == 3 &&
	    (ln > 12 || (unsigned long long)r * p > (1ULL << 12) >> ln))
		goto out;
	rc = password_verify(pw, strlen(pw), stored, &cur, &rehash);
	if (rc < -1 || rc > 1 || (rc != 1 && rehash))
		abort();
out:
	free(pw);
	return 0;
}
