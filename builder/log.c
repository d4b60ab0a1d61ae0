// SPDX-License-Identifier: MIT
/*
 * The logger: levels, a stage prefix, stderr only. Nothing here allocates,
 * so it is safe to call on any error path, including out of memory.
 */
#include <stdio.h>
#include <string.h>

#include "log.h"

static enum log_level current_level = LOG_INFO;
static const char *current_stage;

void log_set_level(enum log_level level)
{
	if (level < LOG_ERROR)
		level = LOG_ERROR;
	if (level > LOG_DEBUG)
		level = LOG_DEBUG;
	current_level = level;
}

enum log_level log_get_level(void)
{
	return current_level;
}

void log_set_stage(const char *stage)
{
	current_stage = stage;
}

const char *log_get_stage(void)
{
	return current_stage;
}

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	static const char *const prefix[] = {
		[LOG_ERROR] = "error: ",
		[LOG_WARN] = "warning: ",
		[LOG_INFO] = "",
		[LOG_DEBUG] = "debug: ",
	};
	char line[4096];
	int n;

	if (level > current_level)
		return;

	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;

	/* One write per message, so that lines from two processes do not interleave. */
	if (current_stage)
		fprintf(stderr, "faasd-image: %s: %s%s\n", current_stage, prefix[level], line);
	else
		fprintf(stderr, "faasd-image: %s%s\n", prefix[level], line);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

int log_error_errno(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_ERROR, fmt, ap);
	va_end(ap);
	return err;
}
