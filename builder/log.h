/* SPDX-License-Identifier: MIT */
/*
 * The one logger of faasd-image. Every message goes to stderr as
 * "faasd-image: STAGE: message", lower case, no full stop, no trailing
 * newline in the format: the logger adds it. Primary output (user-data on
 * --stdout, JSON) goes to stdout and never through here.
 */
#ifndef FAASD_IMAGE_LOG_H
#define FAASD_IMAGE_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_ERROR = 0,
	LOG_WARN = 1,
	LOG_INFO = 2,
	LOG_DEBUG = 3,
};

/* Messages above this level are dropped. -q lowers it, -v raises it. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/*
 * The stage names the part of the pipeline speaking ("profile", "fetch",
 * "bake", ...). It is a static string; NULL means no stage prefix.
 */
void log_set_stage(const char *stage);
const char *log_get_stage(void);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* Logs at error level and returns err, for "return log_error_errno(-EINVAL, ...)". */
int log_error_errno(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
