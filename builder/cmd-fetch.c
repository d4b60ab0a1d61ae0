// SPDX-License-Identifier: MIT
/*
 * faasd-image fetch: makes every upstream artifact a profile needs present
 * and verified in the download cache, printing one line per artifact on
 * stdout. The downloading itself is fetch.c's; this file only chooses what
 * to fetch (fetch_select) and reports.
 */
#include <errno.h>
#include <inttypes.h>
#include <sys/stat.h>

#include "cli-profile.h"
#include "cli.h"
#include "commands.h"
#include "fetch.h"
#include "lock.h"
#include "log.h"
#include "paths.h"
#include "util.h"

static const struct cli_option options[] = {
	CLI_PROFILE_OPTIONS,
	{"cache", 0, "DIR", "download cache (default: $XDG_CACHE_HOME/faasd-image)", OPT_CACHE,
	 "dir"},
	{"offline", 0, NULL, "use only the cache; fail on anything missing", OPT_OFFLINE, NULL},
	{"mirror", 0, "URL|DIR", "fetch artifacts from a mirror laid out like upstream", OPT_MIRROR,
	 NULL},
	{"allow-http", 0, NULL, "allow plain-HTTP URLs (a local mirror)", OPT_ALLOW_HTTP, NULL},
	{"lock", 0, "FILE", "artifacts lock to use (default: the shipped one)",
	 OPT_LOCK, "file"},
	{"all", 0, NULL, "fetch every entry of the lock instead of what a profile needs", OPT_ALL,
	 NULL},
	CLI_OPTIONS_END,
};

struct fetch_args {
	struct profile_args profile;
	const char *cache;
	const char *mirror;
	const char *lock;
	bool offline;
	bool all;
	bool allow_http;
	bool profile_given;
};

static int handle(int id, const char *arg, void *userdata)
{
	struct fetch_args *args = userdata;

	if (profile_args_option(&args->profile, id, arg)) {
		args->profile_given = true;
		return 0;
	}
	switch (id) {
	case OPT_CACHE:
		args->cache = arg;
		return 0;
	case OPT_OFFLINE:
		args->offline = true;
		return 0;
	case OPT_MIRROR:
		args->mirror = arg;
		return 0;
	case OPT_ALLOW_HTTP:
		args->allow_http = true;
		return 0;
	case OPT_LOCK:
		args->lock = arg;
		return 0;
	case OPT_ALL:
		args->all = true;
		return 0;
	default:
		return -1;
	}
}

static void print_line(const struct fetch_item *it, const char *path, bool cached)
{
	char size[16];
	struct stat st;

	format_size(stat(path, &st) == 0 ? (uint64_t)st.st_size : 0, size, sizeof(size));
	if (it->artifact)
		printf("%-18s %-10s %-6s %10s  %s\n", it->artifact->component,
		       it->artifact->version, it->artifact->arch, size,
		       cached ? "cached" : "downloaded");
	else
		printf("%-29s %-6s %10s  %s\n", it->image->name, it->image->arch, size,
		       cached ? "cached" : "downloaded");
	fflush(stdout);
}

/*
 * The image entry with the profile's base.url, base.checksums,
 * base.signature and base.keyring put over the lock's (a local copy of
 * the release, say); the sha256 stays the lock's. Points into both.
 */
static struct lock_image image_with_overrides(const struct lock_image *img,
					      const struct profile *p)
{
	struct lock_image out = *img;

	if (!p)
		return out;
	if (p->base.url)
		out.url = p->base.url;
	if (p->base.checksums)
		out.checksums_url = p->base.checksums;
	if (p->base.signature)
		out.signature_url = p->base.signature;
	if (p->base.keyring)
		out.keyring = p->base.keyring;
	return out;
}

/* Fetches each item; in offline mode goes on past a failure to name every missing one. */
static int fetch_items(const struct fetch_item *items, size_t n, const struct profile *p,
		       const struct fetch_opts *o)
{
	int failed = 0;

	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *path = NULL;
		bool cached = false;
		int r;

		if (items[i].artifact) {
			r = fetch_artifact(items[i].artifact, o, &path, &cached);
		} else {
			struct lock_image img = image_with_overrides(items[i].image, p);

			r = fetch_image(&img, o, &path, &cached);
		}
		if (r == -EINTR)
			return r;
		if (r < 0) {
			failed = r;
			if (!o->offline)
				return r;
			continue;
		}
		print_line(&items[i], path, cached);
	}
	return failed;
}

static int run(const struct cli_command *self, int argc, char **argv)
{
	struct fetch_args args = {.profile = PROFILE_ARGS_INIT};
	struct profile *p = NULL;
	struct lock *l = NULL;
	_cleanup_free_ struct fetch_item *items = NULL;
	struct fetch_opts o = {0};
	size_t n = 0;
	int first, r, ret = EXIT_OK;

	first = cli_parse(self, argc, argv, handle, &args);
	if (first < 0) {
		profile_args_release(&args.profile);
		return first == -1 ? EXIT_OK : EXIT_USAGE;
	}
	log_set_stage("fetch");
	if (first < argc) {
		log_error("unexpected argument '%s'; see 'faasd-image fetch --help'", argv[first]);
		ret = EXIT_USAGE;
		goto out;
	}
	if (args.all && args.profile_given) {
		log_error("--all and --profile exclude each other");
		ret = EXIT_USAGE;
		goto out;
	}
	if (args.cache)
		cache_dir_set(args.cache);

	if (!args.all && profile_args_load(&args.profile, &p) < 0) {
		ret = EXIT_PROFILE;
		goto out;
	}
	r = args.lock ? lock_load(args.lock, &l) : lock_load_default(&l);
	if (r < 0) {
		ret = EXIT_ARTIFACT;
		goto out;
	}
	if (fetch_select(p, l, &items, &n) < 0) {
		ret = EXIT_ARTIFACT;
		goto out;
	}

	o.offline = args.offline;
	o.mirror = args.mirror ? args.mirror : p ? p->artifacts_mirror : NULL;
	o.allow_http = args.allow_http || (p && p->allow_http);
	r = fetch_items(items, n, p, &o);
	if (r < 0)
		ret = r == -EINTR ? EXIT_INTERRUPTED : EXIT_ARTIFACT;

out:
	lock_free(l);
	profile_free(p);
	profile_args_release(&args.profile);
	return ret;
}

const struct cli_command command_fetch = {
	.name = "fetch",
	.args = NULL,
	.summary = "Download and verify every artifact a profile needs into the cache.",
	.description = "Prints one line per artifact: name, version, arch, size, and whether it "
		       "was cached or downloaded.\nTLS is always verified; $FAASD_IMAGE_CA_FILE "
		       "names an extra CA bundle (a test mirror). See docs/artifacts.md.",
	.options = options,
	.run = run,
};
