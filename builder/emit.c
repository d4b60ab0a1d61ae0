// SPDX-License-Identifier: MIT
/*
 * The YAML emitter: walks a node tree and feeds libyaml's emitter one event
 * per node. The only decision made here is the style of each string; libyaml
 * does the escaping and, when a requested style cannot hold a value, falls
 * back to double quotes. Styles are chosen conservatively: plain only for
 * words that YAML 1.1 and 1.2 both read as strings, literal blocks only for
 * text whose every character a block keeps as is. Width is infinite, so no
 * line is ever folded. Nothing here reads YAML or logs more than one line.
 */
#include <errno.h>
#include <stdint.h>
#include <strings.h>
#include <yaml.h>

#include "emit.h"
#include "log.h"

struct emit_state {
	yaml_emitter_t emitter;
	struct strbuf *out;
	struct strbuf path; /* "write_files[2].content", for the one error line */
};

static int write_handler(void *data, unsigned char *buffer, size_t size)
{
	strbuf_add(data, buffer, size);
	return 1;
}

/* Decodes one UTF-8 sequence at s (n bytes left); returns its length, 0 when invalid. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len;
	uint32_t c, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xE0) == 0xC0) {
		len = 2, c = s[0] & 0x1F, min = 0x80;
	} else if ((s[0] & 0xF0) == 0xE0) {
		len = 3, c = s[0] & 0x0F, min = 0x800;
	} else if ((s[0] & 0xF8) == 0xF0) {
		len = 4, c = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return len;
}

bool utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;

	for (size_t i = 0; i < len;) {
		size_t step = utf8_decode(p + i, len - i, &cp);

		if (!step)
			return false;
		i += step;
	}
	return true;
}

/* Words that YAML 1.1 (PyYAML, cloud-init) reads as a bool, a null or a special float. */
static bool is_special_word(const char *s, size_t len)
{
	static const char *const words[] = {
		"y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf",
	};

	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (strlen(words[i]) == len && strncasecmp(words[i], s, len) == 0)
			return true;
	return false;
}

bool emit_is_safe_word(const char *s, size_t len)
{
	if (len == 0 || len > 200)
		return false;
	/* A letter, '_' or '/' first: no number, timestamp, indicator or merge key starts so. */
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_' ||
	      s[0] == '/'))
		return false;
	for (size_t i = 1; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '/' || c == '-'))
			return false;
	}
	return !is_special_word(s, len);
}

/*
 * A literal block keeps the text exactly when it has line breaks, only
 * printable characters that are not themselves line breaks in YAML's eyes
 * (U+0085, U+2028, U+2029), no tab or CR, no space before a break or at the
 * end, does not start with a space or break, and ends in at most one break.
 */
static bool literal_keeps(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	bool has_break = false;
	uint32_t cp;

	if (len == 0 || s[0] == ' ' || s[0] == '\n')
		return false;
	if (len >= 2 && s[len - 1] == '\n' && s[len - 2] == '\n')
		return false;
	if (s[len - 1] == ' ')
		return false;
	for (size_t i = 0; i < len;) {
		size_t step = utf8_decode(p + i, len - i, &cp);

		if (!step)
			return false;
		if (cp == '\n') {
			has_break = true;
			if (i > 0 && s[i - 1] == ' ')
				return false;
		} else if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) || cp == 0x2028 ||
			   cp == 0x2029 || cp == 0xFEFF || cp > 0xFFFD) {
			return false;
		}
		i += step;
	}
	return has_break;
}

static int emit_fail(struct emit_state *st, int err, const char *what)
{
	const char *where = st->path.len ? st->path.buf : "(document)";

	return log_error_errno(err, "cannot write YAML at '%s': %s", where, what);
}

static int emit_event(struct emit_state *st, yaml_event_t *ev)
{
	if (!yaml_emitter_emit(&st->emitter, ev))
		return emit_fail(st, -EINVAL, st->emitter.problem ? st->emitter.problem
								   : "libyaml emitter error");
	return 0;
}

static int emit_scalar(struct emit_state *st, const char *value, size_t len, bool plain)
{
	yaml_scalar_style_t style;
	int plain_implicit;
	yaml_event_t ev;

	if (!utf8_valid(value, len))
		return emit_fail(st, -EILSEQ, "not valid UTF-8");

	if (plain) {
		/* Keeps its YAML meaning; libyaml quotes it only if plain cannot hold it. */
		style = YAML_PLAIN_SCALAR_STYLE;
		plain_implicit = 1;
	} else if (emit_is_safe_word(value, len)) {
		style = YAML_PLAIN_SCALAR_STYLE;
		plain_implicit = 1;
	} else {
		style = literal_keeps(value, len) ? YAML_LITERAL_SCALAR_STYLE
						  : YAML_DOUBLE_QUOTED_SCALAR_STYLE;
		plain_implicit = 0;
	}

	if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)value, (int)len,
					  plain_implicit, 1, style))
		return emit_fail(st, -EILSEQ, "libyaml refused the scalar");
	return emit_event(st, &ev);
}

static int emit_node(struct emit_state *st, const struct node *n, unsigned depth);

/* Adds a key to the error path, escaped and cut short: a hostile key must not forge log lines. */
static void path_add_key(struct strbuf *path, const char *key)
{
	size_t len = strlen(key);

	if (path->len)
		strbuf_addc(path, '.');
	for (size_t i = 0; i < len && i < 40; i++) {
		unsigned char c = (unsigned char)key[i];

		if (c < 0x20 || c >= 0x7f || c == '\\' || c == '\'')
			strbuf_addf(path, "\\x%02x", c);
		else
			strbuf_addc(path, (char)c);
	}
	if (len > 40)
		strbuf_adds(path, "...");
}

static int emit_children(struct emit_state *st, const struct node *n, unsigned depth)
{
	size_t mark = st->path.len;
	int r;

	for (size_t i = 0; i < n->n; i++) {
		if (n->kind == NODE_MAP) {
			path_add_key(&st->path, n->keys[i]);
			r = emit_scalar(st, n->keys[i], strlen(n->keys[i]), false);
		} else {
			strbuf_addf(&st->path, "[%zu]", i);
			r = 0;
		}
		if (r == 0)
			r = emit_node(st, n->items[i], depth + 1);
		if (r < 0)
			return r;
		st->path.len = mark;
		if (st->path.buf)
			st->path.buf[mark] = '\0';
	}
	return 0;
}

static int emit_node(struct emit_state *st, const struct node *n, unsigned depth)
{
	yaml_event_t ev;
	int r;

	if (depth > 100)
		return emit_fail(st, -EINVAL, "nested too deeply");

	switch (n->kind) {
	case NODE_SCALAR:
		return emit_scalar(st, n->value ? n->value : "", n->value ? n->value_len : 0,
				   n->plain);
	case NODE_MAP:
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
		r = emit_event(st, &ev);
		if (r == 0)
			r = emit_children(st, n, depth);
		if (r < 0)
			return r;
		yaml_mapping_end_event_initialize(&ev);
		return emit_event(st, &ev);
	case NODE_SEQ:
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
						     YAML_BLOCK_SEQUENCE_STYLE);
		r = emit_event(st, &ev);
		if (r == 0)
			r = emit_children(st, n, depth);
		if (r < 0)
			return r;
		yaml_sequence_end_event_initialize(&ev);
		return emit_event(st, &ev);
	}
	return emit_fail(st, -EINVAL, "unknown node kind");
}

static int emit_stream(struct emit_state *st, const struct node *root)
{
	yaml_event_t ev;
	int r;

	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	r = emit_event(st, &ev);
	if (r < 0)
		return r;

	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	r = emit_event(st, &ev);
	if (r < 0)
		return r;

	r = emit_node(st, root, 0);
	if (r < 0)
		return r;

	yaml_document_end_event_initialize(&ev, 1);
	r = emit_event(st, &ev);
	if (r < 0)
		return r;

	yaml_stream_end_event_initialize(&ev);
	r = emit_event(st, &ev);
	if (r < 0)
		return r;

	if (!yaml_emitter_flush(&st->emitter))
		return emit_fail(st, -EINVAL, "libyaml could not flush its output");
	return 0;
}

int emit_document(const struct node *root, const char *header, struct strbuf *out)
{
	struct emit_state st = {.out = out, .path = STRBUF_INIT};
	int r;

	if (!yaml_emitter_initialize(&st.emitter))
		return log_error_errno(-ENOMEM, "cannot start the YAML emitter");
	yaml_emitter_set_output(&st.emitter, write_handler, out);
	yaml_emitter_set_unicode(&st.emitter, 1);
	yaml_emitter_set_width(&st.emitter, -1);
	yaml_emitter_set_indent(&st.emitter, 2);
	yaml_emitter_set_break(&st.emitter, YAML_LN_BREAK);

	if (header) {
		strbuf_adds(out, header);
		strbuf_addc(out, '\n');
	}
	r = emit_stream(&st, root);

	yaml_emitter_delete(&st.emitter);
	strbuf_release(&st.path);
	return r;
}

struct node *value_string_len(const char *s, size_t len)
{
	return node_new_scalar(s, len, false);
}

struct node *value_string(const char *s)
{
	return value_string_len(s, strlen(s));
}

struct node *value_bool(bool b)
{
	return node_new_scalar(b ? "true" : "false", b ? 4 : 5, true);
}

struct node *value_uint(unsigned long long v)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%llu", v);

	return node_new_scalar(buf, (size_t)n, true);
}

struct node *value_strv(char *const *v)
{
	struct node *seq = node_new_seq();

	for (size_t i = 0; v && v[i]; i++)
		node_seq_append(seq, value_string(v[i]));
	return seq;
}
