/*
 * fcgi_hello: ceiling A of bench/run. The least a FastCGI responder can
 * do: libfcgi's accept loop answering every request with the same 60-byte
 * JSON. tether's verify path is measured against this.
 */
#include <fcgiapp.h>
#include <string.h>

#define BODY "{\"user\":{\"id\":10,\"email\":\"bench@tether.invalid\",\"ok\":true}}\n"

int
main(void)
{
	FCGX_Request r;

	if (FCGX_Init() != 0 || FCGX_InitRequest(&r, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&r) >= 0) {
		FCGX_FPrintF(r.out, "Status: 200 OK\r\nContent-Type: application/json\r\n"
		    "Content-Length: %d\r\n\r\n%s", (int)strlen(BODY), BODY);
		FCGX_Finish_r(&r);
	}
	return 0;
}
