// SPDX-License-Identifier: MIT
/*
 * libyaml's event parser turned into a struct node tree. The events arrive
 * in document order; a small stack of open collections says where the next
 * node goes. Everything a profile has no use for (anchors, aliases, custom
 * tags, several documents) is refused with its position instead of being
 * half-supported. Nothing here logs; errors fill a struct yaml_error.
 */
#include <errno.h>
#include <stdarg.h>
#include <yaml.h>

#include "util.h"
#include "yaml-parse.h"

#define STD_TAG_PREFIX "tag:yaml.org,2002:"

struct origin_entry {
	struct origin_entry *next;
	char name[];
};

static struct origin_entry *origins;

const char *yaml_intern_origin(const char *origin)
{
	struct origin_entry *e;
	size_t len = strlen(origin);

	for (e = origins; e; e = e->next)
		if (streq(e->name, origin))
			return e->name;

	e = xmalloc(sizeof(*e) + len + 1);
	memcpy(e->name, origin, len + 1);
	e->next = origins;
	origins = e;
	return e->name;
}

/* An open collection: the node and, for a map, the key waiting for its value. */
struct frame {
	struct node *node;
	char *key;
	unsigned key_line;
	unsigned key_column;
	unsigned *key_lines; /* line of each key already in the map */
};

struct builder {
	const char *file;
	const char *text;
	size_t len;
	bool keep_position;
	struct frame stack[YAML_MAX_DEPTH + 1];
	size_t depth;
	struct node *root;
	unsigned documents;
	struct yaml_error *err;
};

static int fail(struct builder *b, unsigned line, unsigned column, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct builder *b, unsigned line, unsigned column, const char *fmt, ...)
{
	va_list ap;

	b->err->file = b->file;
	b->err->line = b->keep_position ? line : 0;
	b->err->column = b->keep_position ? column : 0;
	va_start(ap, fmt);
	vsnprintf(b->err->message, sizeof(b->err->message), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* The byte at a 0-based line and column (in characters), or -1. */
static int byte_at(const struct builder *b, size_t line, size_t column)
{
	size_t i = 0;

	for (; line > 0 && i < b->len; i++)
		if (b->text[i] == '\n')
			line--;
	for (; column > 0 && i < b->len; column--) {
		i++;
		while (i < b->len && ((unsigned char)b->text[i] & 0xc0) == 0x80)
			i++;
	}
	return i < b->len ? (unsigned char)b->text[i] : -1;
}

/* 1-based line and column of a byte offset. */
static void position_of_offset(const struct builder *b, size_t offset, unsigned *line,
			       unsigned *column)
{
	*line = 1;
	*column = 1;
	for (size_t i = 0; i < offset && i < b->len; i++) {
		if (b->text[i] == '\n') {
			(*line)++;
			*column = 1;
		} else if (((unsigned char)b->text[i] & 0xc0) != 0x80) {
			(*column)++;
		}
	}
}

static int fail_parser(struct builder *b, const yaml_parser_t *parser)
{
	const yaml_mark_t *m = &parser->problem_mark;
	const char *problem = parser->problem ? parser->problem : "unknown error";
	unsigned line, column;

	if (parser->error == YAML_READER_ERROR) {
		const char *hint = b->keep_position ? "; the file must be UTF-8 text" : "";

		position_of_offset(b, parser->problem_offset, &line, &column);
		if (parser->problem_value != -1)
			return fail(b, line, column, "%s (#%X)%s", problem,
				    (unsigned)parser->problem_value, hint);
		return fail(b, line, column, "%s%s", problem, hint);
	}

	if (byte_at(b, m->line, m->column) == '\t')
		return fail(b, (unsigned)m->line + 1, (unsigned)m->column + 1,
			    "tab character: YAML indents with spaces only");
	if (parser->context && b->keep_position)
		return fail(b, (unsigned)m->line + 1, (unsigned)m->column + 1,
			    "invalid YAML: %s %s started on line %u", problem, parser->context,
			    (unsigned)parser->context_mark.line + 1);
	if (parser->context)
		return fail(b, 0, 0, "invalid YAML: %s %s", problem, parser->context);
	return fail(b, (unsigned)m->line + 1, (unsigned)m->column + 1, "invalid YAML: %s",
		    problem);
}

/* Standard tags only ("!!str", "!!int", ...); returns whether it is !!str. */
static int check_tag(struct builder *b, const yaml_event_t *ev, const yaml_char_t *anchor,
		     const yaml_char_t *tag, bool *is_str)
{
	static const char *const allowed[] = {"str", "int", "bool", "float", "null", "map", "seq"};
	unsigned line = (unsigned)ev->start_mark.line + 1;
	unsigned column = (unsigned)ev->start_mark.column + 1;
	const char *t = (const char *)tag;

	*is_str = false;
	if (anchor)
		return fail(b, line, column,
			    "anchors ('&%s') are not supported; write the value out",
			    (const char *)anchor);
	if (!t)
		return 0;
	if (str_starts_with(t, STD_TAG_PREFIX)) {
		for (size_t i = 0; i < ARRAY_SIZE(allowed); i++) {
			if (streq(t + strlen(STD_TAG_PREFIX), allowed[i])) {
				*is_str = streq(allowed[i], "str");
				return 0;
			}
		}
		return fail(b, line, column, "tag '!!%s' is not supported",
			    t + strlen(STD_TAG_PREFIX));
	}
	return fail(b, line, column, "tag '%s' is not supported; only standard tags such as !!str",
		    t);
}

static int add_key(struct builder *b, struct frame *f, struct node *key)
{
	struct node *map = f->node;

	if (key->kind != NODE_SCALAR)
		return fail(b, key->line, key->column, "a mapping key must be a plain string, "
			    "not a %s", key->kind == NODE_MAP ? "mapping" : "list");
	if (strlen(key->value) != key->value_len)
		return fail(b, key->line, key->column, "a mapping key must not contain NUL");
	for (size_t i = 0; i < map->n; i++) {
		if (!streq(map->keys[i], key->value))
			continue;
		if (!b->keep_position)
			return fail(b, 0, 0, "duplicate key '%s'", key->value);
		return fail(b, key->line, key->column, "duplicate key '%s' (lines %u and %u)",
			    key->value, f->key_lines[i], key->line);
	}

	f->key = xstrdup(key->value);
	f->key_line = key->line;
	f->key_column = key->column;
	return 0;
}

/* Puts a finished or newly opened node where it belongs; takes ownership. */
static int attach(struct builder *b, struct node *n)
{
	struct frame *f;
	int r;

	if (b->depth == 0) {
		b->root = n;
		return 0;
	}

	f = &b->stack[b->depth - 1];
	if (f->node->kind == NODE_SEQ) {
		node_seq_append(f->node, n);
		return 0;
	}

	if (!f->key) {
		r = add_key(b, f, n);
		node_free(n);
		return r;
	}
	/* A collection under a key is placed at its key: errors about it point there. */
	if (n->kind != NODE_SCALAR && b->keep_position) {
		n->line = f->key_line;
		n->column = f->key_column;
	}
	f->key_lines = xrealloc(f->key_lines, (f->node->n + 1) * sizeof(unsigned));
	f->key_lines[f->node->n] = f->key_line;
	node_map_set(f->node, f->key, n);
	free(f->key);
	f->key = NULL;
	return 0;
}

static void place(struct builder *b, struct node *n, const yaml_event_t *ev)
{
	n->file = b->file;
	n->line = b->keep_position ? (unsigned)ev->start_mark.line + 1 : 0;
	n->column = b->keep_position ? (unsigned)ev->start_mark.column + 1 : 0;
}

static int on_scalar(struct builder *b, const yaml_event_t *ev)
{
	const char *value = (const char *)ev->data.scalar.value;
	bool is_str, plain;
	struct node *n;
	int r;

	r = check_tag(b, ev, ev->data.scalar.anchor, ev->data.scalar.tag, &is_str);
	if (r < 0)
		return r;

	plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !is_str;
	n = node_new_scalar(value, ev->data.scalar.length, plain);
	place(b, n, ev);
	return attach(b, n);
}

static int on_collection_start(struct builder *b, const yaml_event_t *ev)
{
	bool mapping = ev->type == YAML_MAPPING_START_EVENT;
	const yaml_char_t *anchor = mapping ? ev->data.mapping_start.anchor
					    : ev->data.sequence_start.anchor;
	const yaml_char_t *tag = mapping ? ev->data.mapping_start.tag : ev->data.sequence_start.tag;
	struct node *n;
	bool is_str;
	int r;

	r = check_tag(b, ev, anchor, tag, &is_str);
	if (r < 0)
		return r;
	if (is_str)
		return fail(b, (unsigned)ev->start_mark.line + 1,
			    (unsigned)ev->start_mark.column + 1, "tag '!!str' on a collection");
	if (b->depth >= YAML_MAX_DEPTH)
		return fail(b, (unsigned)ev->start_mark.line + 1,
			    (unsigned)ev->start_mark.column + 1, "nested deeper than %d levels",
			    YAML_MAX_DEPTH);

	n = mapping ? node_new_map() : node_new_seq();
	place(b, n, ev);
	r = attach(b, n);
	if (r < 0)
		return r;

	b->stack[b->depth++] = (struct frame){.node = n};
	return 0;
}

static void on_collection_end(struct builder *b)
{
	struct frame *f = &b->stack[--b->depth];

	free(f->key);
	free(f->key_lines);
	*f = (struct frame){0};
}

static int on_event(struct builder *b, const yaml_event_t *ev)
{
	unsigned line = (unsigned)ev->start_mark.line + 1;
	unsigned column = (unsigned)ev->start_mark.column + 1;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++b->documents > 1)
			return fail(b, line, column,
				    "a second YAML document; a profile is exactly one document");
		return 0;
	case YAML_ALIAS_EVENT:
		return fail(b, line, column,
			    "aliases ('*%s') are not supported; write the value out",
			    (const char *)ev->data.alias.anchor);
	case YAML_SCALAR_EVENT:
		return on_scalar(b, ev);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		return on_collection_start(b, ev);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		on_collection_end(b);
		return 0;
	default:
		return 0;
	}
}

static void builder_release(struct builder *b)
{
	while (b->depth > 0)
		on_collection_end(b);
	node_free(b->root);
	b->root = NULL;
}

int yaml_parse_string(const char *text, size_t len, const char *origin, bool keep_position,
		      struct node **ret, struct yaml_error *err)
{
	struct builder b = {
		.file = yaml_intern_origin(origin),
		.text = text,
		.len = len,
		.keep_position = keep_position,
		.err = err,
	};
	yaml_parser_t parser;
	yaml_event_t ev;
	bool done = false;
	int r = 0;

	*err = (struct yaml_error){.file = b.file};
	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);

	while (r == 0 && !done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			r = fail_parser(&b, &parser);
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		r = on_event(&b, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);

	if (r < 0) {
		builder_release(&b);
		return r;
	}

	/* An empty document ("---" alone) is a null scalar: the same as no document. */
	if (b.root && b.root->kind == NODE_SCALAR && b.root->plain && b.root->value_len == 0) {
		node_free(b.root);
		b.root = NULL;
	}
	*ret = b.root;
	return 0;
}

int yaml_parse_file(const char *path, struct node **ret, struct yaml_error *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r;

	*err = (struct yaml_error){.file = yaml_intern_origin(path)};
	r = read_file(path, YAML_MAX_FILE_SIZE, &text, &len);
	if (r == -EFBIG) {
		snprintf(err->message, sizeof(err->message), "file is larger than 1 MiB");
		return r;
	}
	if (r < 0) {
		snprintf(err->message, sizeof(err->message), "cannot read: %s", strerror(-r));
		return r;
	}

	return yaml_parse_string(text, len, path, true, ret, err);
}
