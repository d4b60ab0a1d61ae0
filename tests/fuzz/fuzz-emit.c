// SPDX-License-Identifier: MIT
/*
 * Fuzzes the emitter with a round trip: any valid UTF-8 string, used as a
 * key and as a value, must read back as exactly that string, in a map of
 * exactly one key. Invalid UTF-8 must be refused.
 */
#include <stdint.h>

#include "emit.h"
#include "log.h"
#include "node.h"
#include "util.h"
#include "yaml-parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_round_trip(const char *s, size_t len)
{
	struct node *doc = node_new_map();
	struct strbuf out = STRBUF_INIT;
	struct yaml_error err = {0};
	struct node *back = NULL;
	_cleanup_free_ char *key = xstrndup(s, len);
	int r;

	node_map_set(doc, "k", value_string_len(s, len));
	if (len > 0 && !memchr(s, '\0', len) && !streq(key, "k"))
		node_map_set(doc, key, value_string("v"));

	r = emit_document(doc, "#cloud-config", &out);
	if (!utf8_valid(s, len)) {
		if (r >= 0)
			__builtin_trap();
		goto done;
	}
	if (r < 0)
		__builtin_trap();

	if (yaml_parse_string(out.buf, out.len, "fuzz", true, &back, &err) < 0 || !back)
		__builtin_trap();
	if (back->kind != NODE_MAP || back->n != doc->n)
		__builtin_trap();
	if (node_map_get(back, "k")->value_len != len ||
	    memcmp(node_map_get(back, "k")->value, s, len) != 0)
		__builtin_trap();
	if (doc->n == 2 && !node_map_get(back, key))
		__builtin_trap();
done:
	node_free(back);
	node_free(doc);
	strbuf_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet;

	if (!quiet) {
		log_set_level(LOG_ERROR);
		quiet = 1;
	}
	if (size > 4096)
		return 0;
	check_round_trip((const char *)data, size);
	return 0;
}
