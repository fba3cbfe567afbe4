/*
 * rss_floor: the memory floor of bench/run. A process that links what a
 * tether worker links (libpq, libcrypto, json-c, libfcgi), starts the way
 * a worker starts (GnuTLS's implicit init skipped by the caller, OpenSSL
 * without config or error strings), and does each thing a worker does
 * once: a query over libpq, SHA-256, HMAC-SHA256, random bytes, scrypt, a
 * JSON parse and print. Prints its VmRSS in KiB: no worker can be smaller.
 * Usage: rss_floor CONNINFO
 */
#include <fcgiapp.h>
#include <json-c/json.h>
#include <libpq-fe.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long
rss_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0)
			kib = atol(line + 6);
	fclose(f);
	return kib;
}

int
main(int argc, char **argv)
{
	unsigned char buf[32], out[32];
	unsigned int outlen = sizeof(out);
	json_object *o;
	PGconn *c;
	PGresult *r;
	int ok;

	if (argc != 2 || FCGX_Init() != 0 ||
	    OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG |
	        OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS, NULL) != 1)
		return 1;
	c = PQconnectdb(argv[1]);
	r = PQexec(c, "SELECT 1");
	ok = PQresultStatus(r) == PGRES_TUPLES_OK;
	PQclear(r);
	ok = ok && EVP_Digest("x", 1, out, NULL, EVP_sha256(), NULL) == 1 &&
	    HMAC(EVP_sha256(), "key", 3, (const unsigned char *)"x", 1, out, &outlen) != NULL &&
	    RAND_bytes(buf, sizeof(buf)) == 1 &&
	    EVP_PBE_scrypt("pw", 2, buf, 16, 1024, 8, 1, 0, out, sizeof(out)) == 1;
	o = json_tokener_parse("{\"a\":[1,\"b\",true]}");
	ok = ok && o != NULL && json_object_to_json_string(o) != NULL;
	json_object_put(o);
	if (!ok) {
		fprintf(stderr, "rss_floor: %s", PQerrorMessage(c));
		PQfinish(c);
		return 1;
	}
	printf("%ld\n", rss_kib());
	PQfinish(c);
	return 0;
}
