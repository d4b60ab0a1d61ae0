/* SPDX-License-Identifier: MIT */
/*
 * The plan of a build: a validated profile and the artifacts lock turned
 * into exactly what will be done. Which base to start from, which pinned
 * artifacts to fetch, every file the stack lays into the tree and where it
 * comes from, the units to enable, the outputs and their final paths, and
 * the timestamp every output is made with. Making a plan is pure: it reads
 * nothing but the structs it is given, so `build --dry-run` shows what a
 * build would do without touching the network or the disk.
 */
#ifndef FAASD_IMAGE_PLAN_H
#define FAASD_IMAGE_PLAN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lock.h"
#include "node.h"
#include "profile.h"
#include "util.h"

/* An artifact of the lock that this build needs. */
struct plan_artifact {
	const struct lock_artifact *lock; /* points into the lock */
	bool baked;                       /* its bytes go into the image (else: only its hash) */
	char *cache_path;                 /* filled by the fetch stage; NULL before */
};

enum plan_file_kind {
	PLAN_FILE_TEXT,     /* content, generated from validated values */
	PLAN_FILE_TEMPLATE, /* a file under templates/ of the data directory */
	PLAN_FILE_ARTIFACT, /* a fetched artifact's bytes, as they are */
	PLAN_FILE_ARCHIVE,  /* listed members of a fetched tarball, flattened into a directory */
	PLAN_FILE_SYMLINK,  /* a symlink to source */
	PLAN_FILE_DIR,      /* a directory */
	PLAN_FILE_IMAGES,   /* OCI archives of the core services, from source (a directory) */
};

struct plan_file {
	enum plan_file_kind kind;
	char *path;    /* in the image */
	mode_t mode;
	char *source;  /* TEXT: the content; TEMPLATE: path under templates/; SYMLINK: target;
			* IMAGES: the directory */
	int artifact;  /* ARTIFACT, ARCHIVE: index into plan->artifacts; else -1 */
	char **members; /* ARCHIVE: the members installed, as named in the archive */
};

struct plan_output {
	enum output kind;
	char *name; /* "qemu.qcow2", "user-data" */
	char *path; /* out_dir + "/" + name */
};

struct plan {
	const struct profile *profile;
	const struct lock *lock;
	char *name;    /* the profile's name */
	char *out_dir; /* OUT/PROFILE */

	struct {
		enum base_kind kind;
		char *suite;
		char *mirror; /* NULL: mmdebstrap's default */
		char **components;
		char *variant;
		char *arch;
		char **packages; /* sorted, unique */
		const struct lock_image *image; /* cloud image base */
	} base;

	struct plan_artifact *artifacts;
	size_t n_artifacts;
	struct plan_file *files;
	size_t n_files;
	char **units; /* to enable, in order */
	struct plan_output *outputs;
	size_t n_outputs;

	/* Some output is a disk or filesystem image; false: user-data (and seed) only,
	 * rendered to install the stack at first boot on a stock cloud image. */
	bool needs_image;

	uint64_t source_date_epoch;
	const char *source_date_epoch_from; /* "profile", "environment" or "lock" */
	const struct lock_artifact *faasd;  /* the pinned faasd of the image's arch */
};

/*
 * Makes the plan of profile with lock, its outputs under out_root/NAME.
 * env_source_date_epoch is $SOURCE_DATE_EPOCH (NULL when unset). Reads no
 * file. On an inconsistency (an artifact the profile needs is not in the
 * lock, or has no sha256, an unsupported combination) logs one line and
 * returns -ENOENT (not in the lock), -ENOKEY (not pinned) or -EINVAL.
 * *ret is the caller's (plan_free); it points into profile and lock, which
 * must outlive it.
 */
int plan_make(const struct profile *profile, const struct lock *lock, const char *out_root,
	      const char *env_source_date_epoch, struct plan **ret);
void plan_free(struct plan *plan);

/* The plan as text for people (dry run). */
void plan_format_text(const struct plan *plan, struct strbuf *out);

/* The plan as one JSON document, keys sorted. */
void plan_format_json(const struct plan *plan, struct strbuf *out);

/* The artifacts as a JSON sequence (for the manifest). Caller frees (node_free). */
struct node *plan_json_artifacts(const struct plan *plan);

/* The output of that kind, or NULL. */
const struct plan_output *plan_output_find(const struct plan *plan, enum output kind);

/* The artifact of that component, or NULL. */
struct plan_artifact *plan_artifact_find(const struct plan *plan, const char *component);

#endif
