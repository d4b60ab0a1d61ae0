// SPDX-License-Identifier: MIT
/*
 * The content-addressed download cache. Entries are named by their sha256
 * and re-hashed whenever they are used, so a file damaged on disk is never
 * trusted: it is removed and fetched again. This module does no network
 * I/O; fetch.c fills it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "cache.h"
#include "log.h"
#include "paths.h"
#include "run.h"
#include "util.h"
#include "verify.h"

int cache_prepare(void)
{
	_cleanup_free_ char *entries = path_join(cache_dir(), "sha256");
	_cleanup_free_ char *partial = path_join(cache_dir(), "partial");
	int r;

	r = mkdir_p(entries, 0755);
	if (r == 0)
		r = mkdir_p(partial, 0755);
	if (r < 0)
		return log_error_errno(r, "cannot create the cache in '%s': %s", cache_dir(),
				       strerror(-r));
	remove_stale_temporaries(entries);
	remove_stale_temporaries(partial);
	return 0;
}

char *cache_entry_path(const char *hex)
{
	return xasprintf("%s/sha256/%s", cache_dir(), hex);
}

char *cache_partial_path(const char *hex)
{
	return xasprintf("%s/partial/%s.part", cache_dir(), hex);
}

int cache_lookup(const char *hex, char **ret_path)
{
	_cleanup_free_ char *path = cache_entry_path(hex);
	char got[SHA256_HEX_LEN + 1];
	int r;

	if (!file_exists(path))
		return -ENOENT;

	r = sha256_file(path, got, NULL);
	if (r < 0)
		return log_error_errno(r, "cannot read cache entry '%s': %s", path, strerror(-r));
	if (!streq(got, hex)) {
		log_warn("cache entry '%s' is corrupt (its sha256 is %s); removing it", path, got);
		if (unlink(path) < 0 && errno != ENOENT)
			return log_error_errno(-errno, "cannot remove '%s': %s", path,
					       strerror(errno));
		return -ENOENT;
	}

	*ret_path = TAKE_PTR(path);
	return 0;
}

static int fsync_path(const char *path, int flags)
{
	_cleanup_close_ int fd = open(path, flags | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0 && errno != EINVAL)
		return -errno;
	return 0;
}

int cache_commit(const char *tmp_path, const char *hex, char **ret_path)
{
	_cleanup_free_ char *path = cache_entry_path(hex);
	_cleanup_free_ char *dir = path_join(cache_dir(), "sha256");
	int r;

	r = fsync_path(tmp_path, O_RDONLY);
	if (r == 0 && chmod(tmp_path, 0644) < 0)
		r = -errno;
	if (r == 0 && rename(tmp_path, path) < 0)
		r = -errno;
	if (r == 0)
		r = fsync_path(dir, O_RDONLY | O_DIRECTORY);
	if (r < 0) {
		unlink(tmp_path);
		temp_unregister(tmp_path);
		return log_error_errno(r, "cannot store '%s' in the cache: %s", path, strerror(-r));
	}
	temp_unregister(tmp_path);

	if (ret_path)
		*ret_path = TAKE_PTR(path);
	return 0;
}
