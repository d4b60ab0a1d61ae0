/* SPDX-License-Identifier: MIT */
/*
 * The download cache: a content-addressed store under cache_dir() (see
 * paths.h; --cache sets it). A verified file lives at sha256/HEX and is
 * found by its hash alone, without any network. Downloads in progress live
 * at partial/HEX.part, registered as temporaries, and move into sha256/
 * only after their hash is checked. Nothing else is kept.
 */
#ifndef FAASD_IMAGE_CACHE_H
#define FAASD_IMAGE_CACHE_H

#include <stdint.h>

/* Creates the cache's directories. Logs and returns a negative errno on failure. */
int cache_prepare(void);

/* cache_dir()/sha256/HEX; the file may not exist. Caller frees. */
char *cache_entry_path(const char *hex);

/* cache_dir()/partial/HEX.part, where a download of that hash is written. Caller frees. */
char *cache_partial_path(const char *hex);

/*
 * Looks up the entry for hex and checks that its contents still hash to
 * hex. Returns 0 with *ret_path (caller frees) when it does; -ENOENT when
 * there is no entry; a corrupt entry is removed with a warning and
 * -ENOENT returned, so that the caller fetches it again. Never touches the
 * network.
 */
int cache_lookup(const char *hex, char **ret_path);

/*
 * Moves tmp_path, whose contents the caller has verified to hash to hex,
 * into the cache: fsyncs it, renames it to sha256/HEX and fsyncs the
 * directory. On success tmp_path no longer exists and is unregistered as
 * a temporary; *ret_path (optional, caller frees) names the entry. Logs
 * on failure.
 */
int cache_commit(const char *tmp_path, const char *hex, char **ret_path);

#endif
