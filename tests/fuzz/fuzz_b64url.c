/* fuzz_b64url: decoding any text, and encode/decode round trips. The
 * decoder is canonical (no padding, zero left-over bits), so a decoded
 * input must encode back to itself. */
#include <stdlib.h>
#include <string.h>

#include "b64url.h"
#include "fuzz_util.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *out = NULL, *back = NULL;
	size_t outlen = 0, backlen = 0;
	char *enc;

	if (b64url_decode((const char *)data, size, &out, &outlen) == 0) {
		enc = b64url_encode(out, outlen);
		if (strlen(enc) != size || memcmp(enc, data, size) != 0)
			abort(); /* two encodings of one value */
		free(enc);
		free(out);
	} else if (out != NULL) {
		abort(); /* a failure must leave nothing allocated */
	}
	enc = b64url_encode(data, size);
	if (b64url_decode(enc, strlen(enc), &back, &backlen) != 0 || backlen != size ||
	    (size > 0 && memcmp(back, data, size) != 0))
		abort();
	free(back);
	free(enc);
	return 0;
}
