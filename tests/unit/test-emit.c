// SPDX-License-Identifier: MIT
/*
 * The YAML emitter against hostile strings: each is emitted as a value and
 * as a key, read back with libyaml's parser, and must come back as the same
 * bytes, as a string (quoted, or a plain word no resolver re-types), in a
 * mapping with exactly one key. Invalid UTF-8 must be refused. With
 * "--dump DIR" the binary writes the same table as one document plus the
 * expected strings in hex, for tests/integration/t10-render-roundtrip.sh to
 * read back with PyYAML.
 */
#include <errno.h>
#include <yaml.h>

#include "emit.h"
#include "unit.h"
#include "util.h"

struct value {
	const char *s;
	size_t len;
};

#define V(lit) {lit, sizeof(lit) - 1}

static const struct value fixed[] = {
	V(""), V(" "), V("  "), V("\t"), V("\n"), V("\n\n"), V("a\n"), V("a\n\n"), V("\na"),
	V(" a"), V("a "), V(" a "), V("a\tb"), V("\ta"), V("a\t"),
	/* YAML 1.1 bools and nulls in any case */
	V("y"), V("Y"), V("n"), V("N"), V("yes"), V("Yes"), V("YES"), V("yEs"), V("no"), V("No"),
	V("NO"), V("on"), V("On"), V("ON"), V("off"), V("Off"), V("OFF"), V("true"), V("True"),
	V("TRUE"), V("tRuE"), V("false"), V("False"), V("FALSE"), V("~"), V("null"), V("Null"),
	V("NULL"), V("nULL"),
	/* numbers, timestamps and their look-alikes */
	V("0644"), V("0"), V("1"), V("-1"), V("+1"), V("1e3"), V("1E3"), V("0x10"), V("0o17"),
	V("0b101"), V(".inf"), V("-.inf"), V(".Inf"), V(".NaN"), V(".nan"), V("1.0"), V("1_000"),
	V("1:30"), V("190:20:30"), V("2001-12-14"), V("2001-12-14t21:59:43.10-05:00"), V("0."),
	V("nan"), V("inf"), V("=") , V("<<"),
	/* indicators */
	V("a: b"), V("a:b"), V("a #b"), V("#a"), V("- a"), V("-"), V("--"), V("---"), V("..."),
	V("--- a"), V("{}"), V("[]"), V("{a: b}"), V("[a, b]"), V("&a"), V("*a"), V("!a"),
	V("!!str"), V("!!binary"), V("|"), V("|-"), V(">"), V("> a"), V("%YAML 1.1"), V("@a"),
	V("`a"), V("'"), V("\""), V("'a'"), V("\"a\""), V("a'b"), V("a\"b"), V("\\"), V("\\n"),
	V("?"), V("? a"), V(":"), V(": a"), V("a:"), V(","), V("a,b"), V("{"), V("}"), V("["),
	V("]"), V("a: b\nc: d"), V("key: value\nother: x\n"), V("- a\n- b\n"), V("---\n...\n"),
	V("a\n---\nb"), V("x\n...\ny"), V("#!/bin/sh\necho 'hi' # comment\nexit 0\n"),
	/* NUL and control characters */
	V("\0"), V("a\0b"), V("\0\0"), V("a\n\0"), V("\x01"), V("\x7f"), V("\x1b[31mred\x1b[0m"),
	V("\r"), V("a\r\nb"), V("\r\n"), V("a\rb"), V("\b\f\v"),
	/* Unicode line breaks, BOM and friends */
	V("\u2028"), V("a\u2028b"), V("\u2029"), V("a\u2029b\n"), V("\xc2\x85"),
	V("a\xc2\x85" "b"), V("\ufeff"), V("\ufeffa"), V("\u00e9t\u00e9"), V("\u65e5\u672c\u8a9e"),
	V("emoji \U0001F600"), V("\U0001F600\n\U0001F600"), V("\u00a0"), V("a\u00a0"),
	V("\xef\xbf\xbd"), V("\xc2\x80"), V("\xc2\x9f"),
	/* multi-line text */
	V("line1\n  indented\nline3"), V("a\n\n\nb\n"), V("a\n "), V("trailing \nline"),
	V(" leading\nline"), V("\n\nleading breaks"), V("tab\tin\nblock\n"), V("x\n#y\n"),
	V("a\n  - b\n"), V("a\n|\n>\n"), V("end without break\nlast"),
	V("it's a \"quote\"\nand 'another'\n"),
	/* paths and words that are safe plain */
	V("/usr/local/bin/faasd"), V("faasd"), V("net.ipv4.conf.all.forwarding"), V("C.UTF-8"),
	V("Europe/Berlin"), V("admin"), V("_x"), V("yes-no"), V("nullable"), V("trueish"),
};

static char *repeat(const char *unit, size_t times, size_t *len)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < times; i++)
		strbuf_adds(&sb, unit);
	return strbuf_detach(&sb, len);
}

/* The table: the fixed list, long strings, and every fixed value wrapped in spaces and breaks. */
static struct value *build_table(size_t *ret_n)
{
	static const char *const wraps[][2] = {{" ", ""}, {"", "\n"}, {"x: ", " #"}, {"'", "\"\n"}};
	size_t n_fixed = ARRAY_SIZE(fixed), n = 0;
	struct value *t = xcalloc(n_fixed * (1 + ARRAY_SIZE(wraps)) + 8, sizeof(*t));

	for (size_t i = 0; i < n_fixed; i++) {
		t[n].s = xstrndup(fixed[i].s, fixed[i].len);
		t[n++].len = fixed[i].len;
	}
	for (size_t w = 0; w < ARRAY_SIZE(wraps); w++) {
		for (size_t i = 0; i < n_fixed; i += 3) {
			struct strbuf sb = STRBUF_INIT;

			strbuf_adds(&sb, wraps[w][0]);
			strbuf_add(&sb, fixed[i].s, fixed[i].len);
			strbuf_adds(&sb, wraps[w][1]);
			t[n].s = strbuf_detach(&sb, &t[n].len);
			n++;
		}
	}
	t[n].s = repeat("a", 5000, &t[n].len), n++;
	t[n].s = repeat("word ", 3000, &t[n].len), n++;
	t[n].s = repeat("a long line of text with: colons # and hashes\n", 400, &t[n].len), n++;
	t[n].s = repeat("\"'\\", 2000, &t[n].len), n++;
	t[n].s = repeat("\u00e9\u2028 ", 1000, &t[n].len), n++;
	*ret_n = n;
	return t;
}

static void free_table(struct value *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((char *)t[i].s);
	free(t);
}

/* An independent check of a plain scalar: a word no YAML resolver turns into anything else. */
static bool plain_reads_as_string(const char *s, size_t len)
{
	static const char *const special[] = {"y", "n", "yes", "no", "on", "off", "true",
					      "false", "null", "nan", "inf"};

	if (len == 0 || !strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_/", s[0]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-",
			    s[i]) || s[i] == '\0')
			return false;
	for (size_t i = 0; i < ARRAY_SIZE(special); i++)
		if (strlen(special[i]) == len && strncasecmp(special[i], s, len) == 0)
			return false;
	return true;
}

/* The scalars of a one-level document, in order, as (bytes, style). */
struct scalar {
	char *s;
	size_t len;
	yaml_scalar_style_t style;
};

static int parse_flat_map(const char *text, size_t len, struct scalar *out, size_t max,
			  size_t *n, int *mapping_depth_max)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	int depth = 0, r = 0;
	bool done = false;

	*n = 0;
	*mapping_depth_max = 0;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			r = -EINVAL;
			break;
		}
		switch (ev.type) {
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT:
			depth++;
			if (depth > *mapping_depth_max)
				*mapping_depth_max = depth;
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			depth--;
			break;
		case YAML_SCALAR_EVENT:
			if (*n < max) {
				out[*n].s = xstrndup((char *)ev.data.scalar.value,
						     ev.data.scalar.length);
				out[*n].len = ev.data.scalar.length;
				out[*n].style = ev.data.scalar.style;
			}
			(*n)++;
			break;
		case YAML_ALIAS_EVENT:
			r = -EINVAL;
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	return r;
}

static bool same_string(const struct scalar *sc, const struct value *v)
{
	if (sc->len != v->len || memcmp(sc->s, v->s, v->len) != 0)
		return false;
	if (sc->style == YAML_PLAIN_SCALAR_STYLE)
		return plain_reads_as_string(sc->s, sc->len);
	return true;
}

static void check_one(const struct value *v, bool as_key)
{
	struct strbuf out = STRBUF_INIT;
	struct node *map = node_new_map();
	struct scalar sc[4] = {0};
	size_t n = 0;
	int depth = 0, r;

	if (as_key)
		node_map_set(map, v->s, value_string("v"));
	else
		node_map_set(map, "k", value_string_len(v->s, v->len));

	r = emit_document(map, "#cloud-config", &out);
	CHECK(r == 0);
	CHECK(out.len >= 14 && memcmp(out.buf, "#cloud-config\n", 14) == 0);
	if (r == 0) {
		r = parse_flat_map(out.buf, out.len, sc, ARRAY_SIZE(sc), &n, &depth);
		CHECK(r == 0);
		CHECK(n == 2);
		CHECK(depth == 1);
		if (n == 2) {
			const struct scalar *got = as_key ? &sc[0] : &sc[1];
			bool ok = same_string(got, v);

			CHECK(ok);
			if (!ok)
				fprintf(stderr, "  emitted (%s): %s\n", as_key ? "key" : "value",
					out.buf);
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(sc); i++)
		free(sc[i].s);
	node_free(map);
	strbuf_release(&out);
}

static void check_invalid_utf8(void)
{
	static const struct value bad[] = {
		V("\xff"), V("a\xc0\xaf"), V("\xed\xa0\x80"), V("\xf4\x90\x80\x80"), V("\xe2\x82"),
		V("\x80"), V("ok\xfe"),
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct strbuf out = STRBUF_INIT;
		struct node *map = node_new_map();

		node_map_set(map, "k", value_string_len(bad[i].s, bad[i].len));
		CHECK(emit_document(map, NULL, &out) == -EILSEQ);
		node_free(map);
		strbuf_release(&out);

		map = node_new_map();
		node_map_set(map, bad[i].s, value_string("v"));
		CHECK(emit_document(map, NULL, &out) == -EILSEQ);
		node_free(map);
		strbuf_release(&out);
	}
}

static void check_plain_and_types(void)
{
	struct strbuf out = STRBUF_INIT;
	struct node *map = node_new_map();
	struct node *seq = node_new_seq();

	node_map_set(map, "bool", value_bool(true));
	node_map_set(map, "num", value_uint(420));
	node_map_set(map, "plain_true", node_new_scalar("true", 4, true));
	node_map_set(map, "plain_octal", node_new_scalar("0644", 4, true));
	node_map_set(map, "str_true", value_string("true"));
	node_map_set(map, "empty_map", node_new_map());
	node_seq_append(seq, value_string("a"));
	node_seq_append(seq, value_string("- b"));
	node_map_set(map, "list", seq);
	CHECK(emit_document(map, "#cloud-config", &out) == 0);
	CHECK_STREQ(out.buf, "#cloud-config\n"
			     "bool: true\n"
			     "num: 420\n"
			     "plain_true: true\n"
			     "plain_octal: 0644\n"
			     "str_true: \"true\"\n"
			     "empty_map: {}\n"
			     "list:\n"
			     "- a\n"
			     "- \"- b\"\n");
	node_free(map);
	strbuf_release(&out);

	/* A multi-line script stays a readable literal block. */
	map = node_new_map();
	node_map_set(map, "content", value_string("#!/bin/sh\nset -eu\necho hi\n"));
	CHECK(emit_document(map, NULL, &out) == 0);
	CHECK_STREQ(out.buf, "content: |\n  #!/bin/sh\n  set -eu\n  echo hi\n");
	node_free(map);
	strbuf_release(&out);
}

static void hex(FILE *f, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		fprintf(f, "%02x", (unsigned char)s[i]);
	fputc('\n', f);
}

/* doc.yaml: {values: [v...], keys: [{v: i}...]}; expected.hex: each value in hex. */
static int dump(const char *dir, const struct value *t, size_t n)
{
	_cleanup_free_ char *doc_path = path_join(dir, "doc.yaml");
	_cleanup_free_ char *hex_path = path_join(dir, "expected.hex");
	struct node *root = node_new_map(), *values = node_new_seq(), *keys = node_new_seq();
	struct strbuf out = STRBUF_INIT;
	FILE *f;
	int r;

	for (size_t i = 0; i < n; i++) {
		struct node *m = node_new_map();

		node_seq_append(values, value_string_len(t[i].s, t[i].len));
		if (!memchr(t[i].s, '\0', t[i].len))
			node_map_set(m, t[i].s, value_uint(i));
		node_seq_append(keys, m);
	}
	node_map_set(root, "values", values);
	node_map_set(root, "keys", keys);
	r = emit_document(root, "#cloud-config", &out);
	node_free(root);
	if (r < 0)
		return r;
	r = write_file_atomic(doc_path, out.buf, out.len, 0644);
	strbuf_release(&out);
	if (r < 0)
		return r;
	f = fopen(hex_path, "w");
	if (!f)
		return -errno;
	for (size_t i = 0; i < n; i++)
		hex(f, t[i].s, t[i].len);
	return fclose(f) == 0 ? 0 : -EIO;
}

int main(int argc, char **argv)
{
	size_t n;
	struct value *t = build_table(&n);

	if (argc == 3 && streq(argv[1], "--dump")) {
		int r = dump(argv[2], t, n);

		free_table(t, n);
		return r < 0 ? 1 : 0;
	}

	CHECK(n >= 100);
	for (size_t i = 0; i < n; i++) {
		check_one(&t[i], false);
		if (!memchr(t[i].s, '\0', t[i].len))
			check_one(&t[i], true);
	}
	check_invalid_utf8();
	check_plain_and_types();
	free_table(t, n);
	printf("test-emit: %zu hostile values\n", n);
	return unit_done("test-emit");
}
