/* SPDX-License-Identifier: MIT */
/*
 * The bootstrap base: a Debian root tree made by mmdebstrap from the plan's
 * suite, architecture, components, variant and package list, cleaned of
 * everything per-instance (SSH host keys, machine id, logs, apt lists, the
 * build host's hostname and resolv.conf) by customize hooks. The finished
 * tree is cached as a tarball under CACHE/bootstrap/, keyed by a hash of
 * everything that shapes it, so that a rebuild with a warm cache unpacks it
 * in seconds instead of bootstrapping again (docs/bake.md: "cache key").
 * For a foreign architecture it runs under qemu-user through binfmt_misc
 * and uses a short initramfs module list built once, at the end.
 */
#ifndef FAASD_IMAGE_BASE_BOOTSTRAP_H
#define FAASD_IMAGE_BASE_BOOTSTRAP_H

#include <stdbool.h>
#include <stdint.h>

#include "manifest.h"
#include "plan.h"

struct bootstrap_result {
	char *root;      /* the tree; a registered temporary the caller removes */
	bool cached;     /* unpacked from the cache, mmdebstrap did not run */
	char *cache_key; /* 64 hex digits */
	char *cache_path;
	struct package_list packages; /* what dpkg says is installed */
};

/*
 * The cache key of the plan's base: sha256 of a text naming the suite,
 * architecture, variant, components, mirror, the sorted package list, the
 * hooks' text and mmdebstrap_version. Caller frees.
 */
char *bootstrap_cache_key(const struct plan *plan, const char *mmdebstrap_version);

/*
 * Makes the base tree at root (which must not exist; it is registered as a
 * temporary here): unpacked from the cache, or made by mmdebstrap and then
 * stored in the cache. Fills ret (release with bootstrap_result_release).
 * Returns 0 or a negative errno (logged); -EINTR when interrupted.
 */
int bootstrap_base(const struct plan *plan, const char *root, struct bootstrap_result *ret);

/*
 * The packages installed in the tree at root, from its dpkg database
 * (dpkg-query --admindir), sorted by name. Returns 0 or a negative errno
 * (logged).
 */
int bootstrap_list_packages(const char *root, struct package_list *ret);

void bootstrap_result_release(struct bootstrap_result *r);

#endif
