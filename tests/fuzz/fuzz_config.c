/* fuzz_config: a whole configuration file through config_load (its line
 * reader, every key's value parser, the checks and the signing keys),
 * then one "key = value" through config_set as the environment gives it.
 * The file is an in-memory file (memfd) reached through /proc/self/fd/.
 * Inputs naming a *_file key are skipped: those read another file, and a
 * random path (a FIFO, a terminal) could block the run. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "fuzz_util.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *noenv[] = {NULL};
	char path[64], err[512], *text = fuzz_str(data, size), *eq;
	struct config cfg;
	int fd;

	if (strstr(text, "_file") != NULL)
		goto out;
	if ((fd = memfd_create("tether-fuzz-conf", 0)) < 0)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	config_init(&cfg);
	(void)config_load(&cfg, path, noenv, err, sizeof(err));
	config_clear(&cfg);
	close(fd);

	if ((eq = strchr(text, '=')) != NULL) {
		*eq = '\0';
		config_init(&cfg);
		(void)config_set(&cfg, text, eq + 1, err, sizeof(err));
		config_clear(&cfg);
	}
out:
	free(text);
	return 0;
}
