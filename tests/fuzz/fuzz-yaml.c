// SPDX-License-Identifier: MIT
/*
 * Fuzzes the YAML reader: any input must give either a tree or an error
 * with a message, never a crash, a leak or a read out of bounds.
 */
#include <stdint.h>

#include "node.h"
#include "yaml-parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct yaml_error err = {0};
	struct node *root = NULL;

	if (yaml_parse_string((const char *)data, size, "fuzz", true, &root, &err) < 0) {
		if (err.message[0] == '\0')
			__builtin_trap();
		return 0;
	}
	node_free(root);
	return 0;
}
