/* Logging: one line per event, key=value, with a level. Never pass personal data (names,
 * bodies, emails, phone numbers, tokens, passwords) to these functions. */
#ifndef PARLEY_LOG_H
#define PARLEY_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level level);
/* Returns -1 for an unknown name. */
int log_level_parse(const char *name);
/* fmt is the key=value part: log_msg(LOG_INFO, "http", "listen=%s threads=%d", …) prints
 * `ts=… level=info module=http listen=… threads=…` to stderr in one write. */
void log_msg(enum log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
