// SPDX-License-Identifier: MIT
/*
 * Fuzzes the checksum-file parser: any input gives a hash of 64 lower-case
 * hex digits, "not listed" or "malformed", nothing else.
 */
#include <errno.h>
#include <stdint.h>

#include "verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {
		"faasd",
		"runc.amd64",
		"noble-server-cloudimg-amd64.img",
	};
	char hex[SHA256_HEX_LEN + 1];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *why = NULL;
		int r = checksum_find((const char *)data, size, names[i], hex, &why);

		if (r == 0 && !sha256_hex_valid(hex))
			__builtin_trap();
		if (r < 0 && r != -ENOENT && r != -EBADMSG)
			__builtin_trap();
	}
	return 0;
}
