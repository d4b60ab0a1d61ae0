// SPDX-License-Identifier: MIT
/*
 * The JSON writer behind manifest.json and the build's other JSON: keys
 * sorted at every level, strings escaped, numbers and booleans only from
 * plain scalars that really are JSON numbers or literals, so a quoted
 * "true" or a version "1.10" written as a string stays a string.
 */
#include "manifest.h"
#include "node.h"
#include "util.h"
#include "unit.h"

static char *render(struct node *n)
{
	struct strbuf sb = STRBUF_INIT;

	json_write(n, &sb);
	node_free(n);
	return strbuf_detach(&sb, NULL);
}

int main(void)
{
	struct node *m = node_new_map(), *inner = node_new_map();
	char *s;

	node_map_set(inner, "z", json_number(1));
	node_map_set(inner, "a", json_boolean(false));
	node_map_set(m, "zeta", inner);
	node_map_set(m, "alpha", json_string("quote \" backslash \\ newline \n tab \t bell \a"));
	node_map_set(m, "list", json_strv((char *[]){"b", "a", NULL}));
	node_map_set(m, "null", json_null());
	node_map_set(m, "plain-version", node_new_scalar("1.10", 4, true));
	node_map_set(m, "plain-word", node_new_scalar("yes", 3, true));
	node_map_set(m, "quoted-true", node_new_scalar("true", 4, false));
	node_map_set(m, "leading-zero", node_new_scalar("007", 3, true));
	s = render(m);
	CHECK_STREQ(s, "{\"alpha\":\"quote \\\" backslash \\\\ newline \\n tab \\t bell \\u0007\","
		       "\"leading-zero\":\"007\",\"list\":[\"b\",\"a\"],\"null\":null,"
		       "\"plain-version\":1.10,\"plain-word\":\"yes\",\"quoted-true\":\"true\","
		       "\"zeta\":{\"a\":false,\"z\":1}}");
	free(s);

	s = render(json_string(NULL));
	CHECK_STREQ(s, "\"\"");
	free(s);
	return unit_done("test-manifest");
}
