/* SPDX-License-Identifier: MIT */
/*
 * The record of a build: OUT/PROFILE/manifest.json (the profile's merged
 * settings, the tool's version, the timestamp, every input artifact, every
 * package in the image and every output with its size and sha256) and
 * OUT/PROFILE/SHA256SUMS for all outputs. Both are written last, to
 * temporaries renamed into place, and are deterministic: keys sorted, no
 * time but source_date_epoch. Also the small JSON writer the build's other
 * JSON (dry-run plan, summary) goes through.
 */
#ifndef FAASD_IMAGE_MANIFEST_H
#define FAASD_IMAGE_MANIFEST_H

#include <stdbool.h>
#include <stdint.h>

#include "node.h"
#include "util.h"

struct plan;

/* A package of the image, as dpkg-query reports it. */
struct package {
	char *name;
	char *version;
	char *arch;
};

struct package_list {
	struct package *items;
	size_t n;
};

void package_list_release(struct package_list *l);

/* An output written by the build: its name in the output directory, size, sha256. */
struct manifest_output {
	char *name;
	char *path;
	uint64_t size;
	char sha256[65];
};

/*
 * Writes manifest.json and then SHA256SUMS into plan->out_dir. outputs are
 * the finished outputs (already in place); the manifest hashes nothing
 * itself. Returns 0 or a negative errno (logged).
 */
int manifest_write(const struct plan *plan, const struct package_list *packages,
		   const struct manifest_output *outputs, size_t n_outputs);

/*
 * JSON from a node tree: maps with their keys sorted, sequences in order,
 * a plain scalar that reads as a JSON number, true, false or null as it
 * is, every other scalar as a string. Appends to out without a newline.
 */
void json_write(const struct node *n, struct strbuf *out);

/* Tree builders for json_write. */
struct node *json_string(const char *s); /* NULL gives "" */
struct node *json_number(uint64_t v);
struct node *json_boolean(bool b);
struct node *json_null(void);
struct node *json_strv(char *const *v);

#endif
