/* SPDX-License-Identifier: MIT */
/*
 * YAML in: reads one YAML document with libyaml into a struct node tree
 * (node.h) that remembers the file, line and column (from 1) of every node.
 * It accepts the plain subset profiles need and refuses, with a position,
 * what would make a profile mean something other than it seems: anchors and
 * aliases, non-standard tags, duplicate keys, non-scalar keys, a second
 * document, nesting deeper than 64 levels, files over 1 MiB. This is the only
 * module that includes <yaml.h> to read; it never logs: errors come back in
 * a struct yaml_error for the caller to report once.
 */
#ifndef FAASD_IMAGE_YAML_PARSE_H
#define FAASD_IMAGE_YAML_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "node.h"

#define YAML_MAX_FILE_SIZE (1024 * 1024)
#define YAML_MAX_DEPTH 64

struct yaml_error {
	const char *file; /* interned origin, as passed in; never freed by the caller */
	unsigned line;    /* from 1; 0 when the error has no position */
	unsigned column;  /* from 1; 0 when the error has no position */
	char message[256];
};

/*
 * Returns a copy of origin that lives as long as the program: nodes point at
 * it (node->file is shared, not owned). Equal strings give the same pointer.
 */
const char *yaml_intern_origin(const char *origin);

/*
 * Parses the file at path. On success returns 0 and *ret is the document's
 * root (caller frees with node_free), or NULL for an empty file (no
 * document, or only comments). node->file is path, interned. On failure
 * returns -ENOENT (no such file), -EFBIG (over 1 MiB), -EINVAL (not
 * acceptable YAML) or another negative errno of open/read; err says where
 * and why, and nothing is logged.
 */
int yaml_parse_file(const char *path, struct node **ret, struct yaml_error *err);

/*
 * Like yaml_parse_file, for len bytes of text in memory; origin names the
 * text in node->file and in errors ("--set hostname=x"). When
 * keep_position is false, every node gets line and column 0, for text that
 * has no lines of its own (a command-line value).
 */
int yaml_parse_string(const char *text, size_t len, const char *origin, bool keep_position,
		      struct node **ret, struct yaml_error *err);

#endif
