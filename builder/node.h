/* SPDX-License-Identifier: MIT */
/*
 * A small document tree: what a YAML file says, with where it said it.
 * Profiles are read into this tree, merged (defaults < parent < profile <
 * environment < command line), validated against the schema and only then
 * turned into a typed struct profile. Free-form parts of a profile (extra
 * cloud-config, runcmd) stay trees and are emitted as they are.
 */
#ifndef FAASD_IMAGE_NODE_H
#define FAASD_IMAGE_NODE_H

#include <stdbool.h>
#include <stddef.h>

enum node_kind {
	NODE_SCALAR,
	NODE_MAP,
	NODE_SEQ,
};

struct node {
	enum node_kind kind;
	/* Scalar value, NUL-terminated; value_len counts embedded NULs too. */
	char *value;
	size_t value_len;
	/* A plain (unquoted) scalar may mean a bool, number or null; a quoted one is a string. */
	bool plain;
	/* Map keys (NODE_MAP) and children (NODE_MAP, NODE_SEQ), n of each. */
	char **keys;
	struct node **items;
	size_t n;
	/* Where it came from: file (shared, not owned), line and column from 1. */
	const char *file;
	unsigned line;
	unsigned column;
};

struct node *node_new_scalar(const char *value, size_t len, bool plain);
struct node *node_new_map(void);
struct node *node_new_seq(void);
/* Deep copy; the copy keeps the origin (file, line, column). */
struct node *node_copy(const struct node *n);
void node_free(struct node *n);

/* Adds or replaces key in a map; takes ownership of value. */
void node_map_set(struct node *map, const char *key, struct node *value);
void node_seq_append(struct node *seq, struct node *value);
/* The child under key, or NULL. */
struct node *node_map_get(const struct node *map, const char *key);
/* Follows a dotted path ("faasd.delivery") through maps; NULL if absent. */
struct node *node_get_path(const struct node *root, const char *path);

/* Scalar helpers: NULL when n is not a scalar. */
const char *node_str(const struct node *n);

/*
 * Overlays top onto base: maps merge key by key, recursively; anything else
 * in top replaces what base had. base is changed in place; top is not.
 */
void node_merge(struct node *base, const struct node *top);

#endif
