/* SPDX-License-Identifier: MIT */
/*
 * Downloads with libcurl: every artifact of the lock lands verified in the
 * content-addressed cache (cache.h), or the call fails and leaves nothing
 * behind. TLS is always verified; only https is spoken (plain http only
 * when allowed), at most 5 redirects, never to file:; transient failures
 * (timeouts, resets, 408, 429, 5xx) are retried with exponential backoff
 * and Retry-After, nothing else is; a partial download left by a killed
 * run is resumed with a Range request. This is the only module that links
 * libcurl. Behaviour, knobs and the mirror layout: docs/artifacts.md.
 *
 * The bake stage calls fetch_artifact() / fetch_image() for each artifact
 * of its plan and uses the returned cache path; it never downloads itself.
 */
#ifndef FAASD_IMAGE_FETCH_H
#define FAASD_IMAGE_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lock.h"
#include "verify.h"

struct fetch_opts {
	bool offline;        /* use only the cache; a missing artifact is an error */
	const char *mirror;  /* http(s) URL or directory laid out like upstream; NULL: upstream */
	bool allow_http;     /* plain http allowed (profile artifacts.allow_http, --allow-http) */
	const char *ca_file; /* CA bundle; NULL: $FAASD_IMAGE_CA_FILE, else the system's */
};

/*
 * Makes the artifact a present and verified in the cache. Returns 0 and
 * *ret_path (the cache entry, caller frees); *ret_cached (optional) tells
 * whether it was there already. Fails (logging one line, naming the
 * artifact) when the lock pins no sha256 (-ENOKEY), when offline and it is
 * not cached (-ENOENT), on a download error, or when the download does not
 * match the pinned size or sha256 (-EBADMSG). Nothing is left in the cache
 * on failure; -EINTR when interrupted.
 */
int fetch_artifact(const struct lock_artifact *a, const struct fetch_opts *o, char **ret_path,
		   bool *ret_cached);

/*
 * The same for a cloud image, and before downloading it checks the image
 * entry's SHA256SUMS against its detached signature with gpgv and the
 * entry's keyring (relative to data_dir() unless absolute), and that the
 * signed SHA256SUMS lists the pinned sha256 for the image's file name.
 */
int fetch_image(const struct lock_image *img, const struct fetch_opts *o, char **ret_path,
		bool *ret_cached);

/*
 * The URL (or, for a directory mirror, the path) an upstream URL maps to
 * on mirror: for github.com/OWNER/REPO/PATH it is MIRROR/REPO/PATH; for
 * raw.githubusercontent.com/OWNER/REPO/TAG/FILE it is MIRROR/REPO/raw/TAG/FILE;
 * for any other host, MIRROR/HOST/PATH. Caller frees.
 */
char *fetch_mirror_location(const char *mirror, const char *upstream_url);

/*
 * Small downloads for 'lock --update': a whole resource into memory (at
 * most max bytes, -EFBIG beyond), honouring the mirror. Logs on failure.
 */
int fetch_to_memory(const char *upstream_url, const struct fetch_opts *o, size_t max,
		    char **ret, size_t *ret_len);

/*
 * Downloads upstream_url (through the mirror) into the cache without a
 * known hash: for 'lock --update' of files upstream publishes no checksum
 * for. The hash is computed from what arrived (over verified TLS) and
 * returned in hex with the size. Logs on failure.
 */
int fetch_unpinned(const char *upstream_url, const struct fetch_opts *o, const char *label,
		   char hex[SHA256_HEX_LEN + 1], uint64_t *ret_size);

/* The size of the resource (HEAD, or stat for a directory mirror); 0 when unknown. */
int fetch_remote_size(const char *upstream_url, const struct fetch_opts *o, uint64_t *ret);

/*
 * Downloads the SHA256SUMS and its signature of an image entry, checks the
 * signature and returns the hash SHA256SUMS gives for the image's file.
 */
int fetch_image_checksum(const struct lock_image *img, const struct fetch_opts *o,
			 char hex[SHA256_HEX_LEN + 1]);

/* One thing a profile needs from the lock: an artifact or an image. */
struct fetch_item {
	const struct lock_artifact *artifact; /* exactly one of the two is set */
	const struct lock_image *image;
};

/*
 * The lock entries profile p needs, for its arch: each component whose
 * source is upstream (containerd, runc, cni-plugins, faas-cli), faasd
 * itself when delivery is baked, faasd's compose files whenever faasd is
 * used, and the cloud image when the base is one. With p NULL, every entry
 * of the lock. Logs one line and returns -ENOENT when the lock has no entry
 * for something the profile needs. *ret points into l; caller frees it.
 */
int fetch_select(const struct profile *p, const struct lock *l, struct fetch_item **ret,
		 size_t *ret_n);

#endif
