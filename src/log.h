/*
 * log: one line per notable event on stderr, which the web server sends to
 * its error log. Never pass a password, a token or a hash to these.
 */
#ifndef TETHER_LOG_H
#define TETHER_LOG_H

enum log_level { TLOG_ERROR = 0, TLOG_WARN, TLOG_INFO, TLOG_DEBUG, TLOG__MAX };

/* Sets the lowest level written; the default is TLOG_INFO. */
void log_set_level(enum log_level level);
/* Parses "error", "warn", "info", "debug": 0 on success, -1 otherwise. */
int log_level_parse(const char *s, enum log_level *out);
/* Writes "tether[pid]: LEVEL: message" to stderr if level is enabled. */
void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(TLOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(TLOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(TLOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(TLOG_DEBUG, __VA_ARGS__)

#endif
