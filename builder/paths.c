// SPDX-License-Identifier: MIT
/*
 * Locating shipped data and the cache. Nothing here creates directories:
 * the stage that writes into one creates it.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <pwd.h>

#include "paths.h"
#include "util.h"

#ifndef DATADIR
#define DATADIR "/usr/local/share/faasd-image"
#endif

static char *data_dir_cached;
static char *cache_dir_cached;

static char *self_dir(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	char *slash;

	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	return xstrdup(buf);
}

const char *data_dir(void)
{
	const char *env = getenv("FAASD_IMAGE_DATADIR");
	_cleanup_free_ char *self = NULL;

	if (data_dir_cached)
		return data_dir_cached;
	if (!str_empty(env))
		return data_dir_cached = xstrdup(env);

	self = self_dir();
	if (self) {
		_cleanup_free_ char *probe = path_join(self, "profiles/qemu.yaml");
		_cleanup_free_ char *installed = path_join(self, "../share/faasd-image");
		_cleanup_free_ char *installed_probe = path_join(installed, "profiles/qemu.yaml");

		/* Run from the source tree. */
		if (file_exists(probe))
			return data_dir_cached = TAKE_PTR(self);
		/* Installed as PREFIX/bin/faasd-image: PREFIX/share/faasd-image, wherever
		 * PREFIX (and DESTDIR) put it. */
		if (file_exists(installed_probe))
			return data_dir_cached = TAKE_PTR(installed);
	}
	return data_dir_cached = xstrdup(DATADIR);
}

char *data_path(const char *rel)
{
	return path_join(data_dir(), rel);
}

void cache_dir_set(const char *dir)
{
	free(cache_dir_cached);
	cache_dir_cached = xstrdup(dir);
}

const char *cache_dir(void)
{
	const char *env = getenv("FAASD_IMAGE_CACHE");
	const char *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");

	if (cache_dir_cached)
		return cache_dir_cached;
	if (!str_empty(env))
		return cache_dir_cached = xstrdup(env);
	if (!str_empty(xdg))
		return cache_dir_cached = path_join(xdg, "faasd-image");
	if (str_empty(home)) {
		struct passwd *pw = getpwuid(getuid());

		home = pw ? pw->pw_dir : "/";
	}
	return cache_dir_cached = xasprintf("%s/.cache/faasd-image", home);
}
