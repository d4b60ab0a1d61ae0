// SPDX-License-Identifier: MIT
/*
 * Fuzzes the lock parser, and checks that whatever it accepts survives a
 * save and a second parse unchanged: what we write, we must read back.
 */
#include <stdint.h>

#include "lock.h"
#include "log.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lock *l = NULL, *again = NULL;
	char path[64];

	log_set_level(LOG_ERROR);
	if (lock_parse("fuzz", (const char *)data, size, &l) < 0)
		return 0;

	snprintf(path, sizeof(path), "/tmp/fuzz-lock-%ld", (long)getpid());
	if (lock_save(l, path) == 0) {
		_cleanup_free_ char *text = NULL;
		size_t len = 0;

		if (read_file(path, LOCK_MAX_SIZE, &text, &len) < 0)
			__builtin_trap();
		if (lock_parse("saved", text, len, &again) < 0)
			__builtin_trap();
		if (again->n_artifacts != l->n_artifacts || again->n_images != l->n_images)
			__builtin_trap();
		lock_free(again);
		unlink(path);
	}
	lock_free(l);
	return 0;
}
