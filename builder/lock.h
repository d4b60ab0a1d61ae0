/* SPDX-License-Identifier: MIT */
/*
 * The artifacts lock (profiles/artifacts.lock): every artifact faasd-image
 * may download, pinned by version, architecture, URL and sha256. Profiles
 * name versions; the lock supplies the hashes. The same pinned set feeds
 * the baked images and the install-at-first-boot user-data. The format is
 * documented in docs/artifacts.md.
 */
#ifndef FAASD_IMAGE_LOCK_H
#define FAASD_IMAGE_LOCK_H

#include <stddef.h>
#include <stdint.h>

#include "profile.h"

/* Component names used in the lock. */
#define COMPONENT_CONTAINERD "containerd"
#define COMPONENT_RUNC "runc"
#define COMPONENT_CNI "cni-plugins"
#define COMPONENT_FAASD "faasd"
#define COMPONENT_FAAS_CLI "faas-cli"
/* faasd's docker-compose.yaml, prometheus.yml and resolv.conf, per faasd tag. */
#define COMPONENT_FAASD_COMPOSE "faasd-compose"
#define COMPONENT_FAASD_PROMETHEUS "faasd-prometheus"
#define COMPONENT_FAASD_RESOLV "faasd-resolv"

struct lock_artifact {
	char *component;
	char *version;
	char *arch;         /* "amd64", "arm64" or "all" */
	char *url;          /* upstream URL */
	char *sha256;       /* 64 lower-case hex digits, or NULL when not yet locked */
	uint64_t size;      /* 0: unknown */
	char *checksum_url; /* the checksum file upstream publishes beside it */
};

struct lock_image {
	char *name;          /* "ubuntu-24.04-server-cloudimg" */
	char *arch;
	char *url;
	char *sha256;
	uint64_t size;
	char *checksums_url; /* SHA256SUMS */
	char *signature_url; /* SHA256SUMS.gpg */
	char *keyring;       /* relative to the data directory, or absolute */
};

struct lock {
	char *path;
	uint64_t source_date_epoch;
	struct lock_artifact *artifacts;
	size_t n_artifacts;
	struct lock_image *images;
	size_t n_images;
};

/* Reads and validates a lock file. Logs one line naming file and line on error. */
int lock_load(const char *path, struct lock **ret);
/* The shipped lock: data_dir()/profiles/artifacts.lock, or $FAASD_IMAGE_LOCK. */
int lock_load_default(struct lock **ret);
void lock_free(struct lock *l);

/* Writes the lock atomically, entries in a stable order. */
int lock_save(const struct lock *l, const char *path);

/*
 * Parses a lock held in memory; name is used in error messages only. Pure:
 * no I/O, so that it can be fuzzed. Same contract as lock_load.
 */
int lock_parse(const char *name, const char *buf, size_t len, struct lock **ret);

/* The path lock_load_default reads: $FAASD_IMAGE_LOCK or the shipped one. Caller frees. */
char *lock_default_path(void);

/* "containerd 1.7.27 amd64", for messages. Caller frees. */
char *lock_artifact_label(const struct lock_artifact *a);
char *lock_image_label(const struct lock_image *img);

/* Largest lock file and longest line lock_load accepts. */
#define LOCK_MAX_SIZE (1u << 20)
#define LOCK_MAX_LINE 4096

/* Looks an artifact up; arch "all" entries match any arch. NULL if absent. */
const struct lock_artifact *lock_find(const struct lock *l, const char *component,
				      const char *version, const char *arch);
const struct lock_image *lock_find_image(const struct lock *l, const char *name,
					 const char *arch);

#endif
