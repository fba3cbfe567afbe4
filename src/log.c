/*
 * log: one line per event on stderr, written with a single write(2) so
 * lines from several worker processes sharing the web server's error log
 * never interleave. CR and LF in a message are replaced, so a value that
 * reaches a log line cannot forge another one.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static enum log_level threshold = TLOG_INFO;
static const char *const names[TLOG__MAX] = { "error", "warn", "info", "debug" };

void
log_set_level(enum log_level level)
{
	threshold = level;
}

int
log_level_parse(const char *s, enum log_level *out)
{
	int i;

	for (i = 0; s != NULL && i < TLOG__MAX; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	return -1;
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n, m;
	size_t i, len;

	if (level > threshold || level >= TLOG__MAX)
		return;
	n = snprintf(line, sizeof(line), "tether[%ld]: %s: ", (long)getpid(), names[level]);
	if (n < 0)
		return;
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	len = strlen(line);
	for (i = (size_t)n; i < len; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	line[len++] = '\n';
	(void)!write(STDERR_FILENO, line, len);
}
