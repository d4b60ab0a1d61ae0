// SPDX-License-Identifier: MIT
/*
 * Fuzzes the profile loader end to end (YAML, schema, validation, extends):
 * any input gives a profile or a one-line error, never a crash or a leak.
 * The input goes through a file, as a user's profile does.
 */
#include <fcntl.h>
#include <stdint.h>

#include "log.h"
#include "profile.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	struct profile *p = NULL;
	int fd;

	if (!path[0]) {
		snprintf(path, sizeof(path), "/tmp/fuzz-profile-%ld.yaml", (long)getpid());
		log_set_level(LOG_ERROR);
	}

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	close(fd);

	if (profile_load(path, NULL, &p) == 0)
		profile_free(p);
	return 0;
}
