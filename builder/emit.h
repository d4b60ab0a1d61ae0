/* SPDX-License-Identifier: MIT */
/*
 * YAML out: the one emitter of faasd-image. It turns a struct node tree
 * (node.h) into YAML text through libyaml's event API, never by pasting
 * text, so that a value a user wrote reads back as exactly the same string
 * and can never add a key, end a document or change type. A string is
 * written plain only when it is a safe word, as a literal block when it is
 * multi-line text that a block keeps byte for byte, and double-quoted with
 * escapes otherwise. A plain scalar of the profile's free-form parts
 * (node->plain) keeps its YAML meaning: `true` stays a bool. Lines are never
 * folded. Text that is not valid UTF-8 is refused, not emitted.
 */
#ifndef FAASD_IMAGE_EMIT_H
#define FAASD_IMAGE_EMIT_H

#include <stdbool.h>
#include <stddef.h>

#include "node.h"
#include "util.h"

/*
 * Appends root as one YAML document to out. When header is not NULL it is
 * written first, as is, followed by a newline ("#cloud-config"). Returns 0,
 * or -EILSEQ when a key or value is not valid UTF-8 and -EINVAL when
 * libyaml refuses the tree; the error is logged once, naming the path of
 * the offending node ("write_files[2].content"). out may then hold a
 * partial document: callers write files only on success.
 */
int emit_document(const struct node *root, const char *header, struct strbuf *out);

/* True when s[0..len) is valid UTF-8: no overlong form, surrogate or code point past U+10FFFF. */
bool utf8_valid(const char *s, size_t len);

/* True when s is written plain because it cannot be read back as anything but that string. */
bool emit_is_safe_word(const char *s, size_t len);

/* Typed values for building trees: a string (never re-typed), a bool, an unsigned number. */
struct node *value_string(const char *s);
struct node *value_string_len(const char *s, size_t len);
struct node *value_bool(bool b);
struct node *value_uint(unsigned long long v);

/* A sequence of strings from a NULL-terminated vector (NULL gives an empty sequence). */
struct node *value_strv(char *const *v);

#endif
