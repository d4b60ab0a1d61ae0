/* SPDX-License-Identifier: MIT */
/*
 * A tiny unit-test harness: CHECK() records a failure with file and line and
 * goes on; unit_done() prints the count and gives main its exit status.
 */
#ifndef FAASD_IMAGE_UNIT_H
#define FAASD_IMAGE_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_checks, unit_failures;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		unit_checks++;                                                                     \
		if (!(cond)) {                                                                     \
			unit_failures++;                                                           \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);  \
		}                                                                                  \
	} while (0)

#define CHECK_STREQ(a, b)                                                                          \
	do {                                                                                       \
		const char *a_ = (a), *b_ = (b);                                                   \
		unit_checks++;                                                                     \
		if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                           \
			unit_failures++;                                                           \
			fprintf(stderr, "%s:%d: expected \"%s\", got \"%s\"\n",              \
				__FILE__, __LINE__, b_ ? b_ : "(null)", a_ ? a_ : "(null)");       \
		}                                                                                  \
	} while (0)

static inline int unit_done(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, unit_checks, unit_failures);
	return unit_failures ? 1 : 0;
}

#endif
