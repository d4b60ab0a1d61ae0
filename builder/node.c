// SPDX-License-Identifier: MIT
/*
 * The document tree and its merge rule. yaml-parse.c builds trees from YAML
 * and emit.c writes them out; this file knows nothing of YAML or of the
 * profile schema.
 */
#include "node.h"
#include "util.h"

static struct node *node_new(enum node_kind kind)
{
	struct node *n = xcalloc(1, sizeof(*n));

	n->kind = kind;
	return n;
}

struct node *node_new_scalar(const char *value, size_t len, bool plain)
{
	struct node *n = node_new(NODE_SCALAR);

	n->value = xstrndup(value, len);
	n->value_len = len;
	n->plain = plain;
	return n;
}

struct node *node_new_map(void)
{
	return node_new(NODE_MAP);
}

struct node *node_new_seq(void)
{
	return node_new(NODE_SEQ);
}

struct node *node_copy(const struct node *src)
{
	struct node *n;

	if (!src)
		return NULL;
	n = node_new(src->kind);
	n->file = src->file;
	n->line = src->line;
	n->column = src->column;
	n->plain = src->plain;
	if (src->kind == NODE_SCALAR) {
		n->value = xstrndup(src->value, src->value_len);
		n->value_len = src->value_len;
		return n;
	}

	n->n = src->n;
	n->items = xcalloc(src->n ? src->n : 1, sizeof(struct node *));
	if (src->kind == NODE_MAP)
		n->keys = xcalloc(src->n ? src->n : 1, sizeof(char *));
	for (size_t i = 0; i < src->n; i++) {
		n->items[i] = node_copy(src->items[i]);
		if (src->kind == NODE_MAP)
			n->keys[i] = xstrdup(src->keys[i]);
	}
	return n;
}

void node_free(struct node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++) {
		node_free(n->items[i]);
		if (n->keys)
			free(n->keys[i]);
	}
	free(n->items);
	free(n->keys);
	free(n->value);
	free(n);
}

struct node *node_map_get(const struct node *map, const char *key)
{
	if (!map || map->kind != NODE_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (streq(map->keys[i], key))
			return map->items[i];
	return NULL;
}

void node_map_set(struct node *map, const char *key, struct node *value)
{
	for (size_t i = 0; i < map->n; i++) {
		if (!streq(map->keys[i], key))
			continue;
		node_free(map->items[i]);
		map->items[i] = value;
		return;
	}
	map->items = xrealloc(map->items, (map->n + 1) * sizeof(struct node *));
	map->keys = xrealloc(map->keys, (map->n + 1) * sizeof(char *));
	map->items[map->n] = value;
	map->keys[map->n] = xstrdup(key);
	map->n++;
}

void node_seq_append(struct node *seq, struct node *value)
{
	seq->items = xrealloc(seq->items, (seq->n + 1) * sizeof(struct node *));
	seq->items[seq->n++] = value;
}

struct node *node_get_path(const struct node *root, const char *path)
{
	_cleanup_free_ char *copy = xstrdup(path);
	const struct node *n = root;
	char *part, *save = NULL;

	for (part = strtok_r(copy, ".", &save); part && n; part = strtok_r(NULL, ".", &save))
		n = node_map_get(n, part);
	return (struct node *)n;
}

const char *node_str(const struct node *n)
{
	return n && n->kind == NODE_SCALAR ? n->value : NULL;
}

void node_merge(struct node *base, const struct node *top)
{
	for (size_t i = 0; i < top->n; i++) {
		struct node *old = node_map_get(base, top->keys[i]);

		if (old && old->kind == NODE_MAP && top->items[i]->kind == NODE_MAP)
			node_merge(old, top->items[i]);
		else
			node_map_set(base, top->keys[i], node_copy(top->items[i]));
	}
}
