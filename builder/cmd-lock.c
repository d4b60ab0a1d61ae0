// SPDX-License-Identifier: MIT
/*
 * faasd-image lock: shows the artifacts lock, or refreshes its hashes and
 * sizes from the checksum files upstream publishes (signed SHA256SUMS for
 * images), reporting every change. The lock is rewritten atomically and
 * only when every entry was refreshed; a failure leaves it untouched.
 */
#include <errno.h>
#include <inttypes.h>

#include "cli-profile.h"
#include "cli.h"
#include "commands.h"
#include "fetch.h"
#include "lock.h"
#include "log.h"
#include "paths.h"
#include "util.h"
#include "verify.h"

static const struct cli_option options[] = {
	CLI_PROFILE_OPTIONS,
	{"update", 0, NULL, "refresh hashes and sizes from upstream, reporting each change",
	 OPT_UPDATE, NULL},
	{"missing", 0, NULL, "with --update: fill only entries that have no sha256 yet",
	 OPT_MISSING, NULL},
	{"mirror", 0, "URL|DIR", "read checksum files from a mirror laid out like upstream",
	 OPT_MIRROR, NULL},
	{"allow-http", 0, NULL, "allow plain-HTTP URLs (a local mirror)", OPT_ALLOW_HTTP, NULL},
	{"lock", 0, "FILE", "lock file to show or update (default: the shipped one)",
	 OPT_LOCK, "file"},
	{"cache", 0, "DIR", "download cache for files hashed during --update", OPT_CACHE, "dir"},
	{"json", 0, NULL, "print the lock as JSON", OPT_JSON, NULL},
	CLI_OPTIONS_END,
};

struct lock_args {
	struct profile_args profile;
	bool profile_given;
	bool update;
	bool missing;
	bool json;
	bool allow_http;
	const char *mirror;
	const char *lock;
	const char *cache;
};

static int handle(int id, const char *arg, void *userdata)
{
	struct lock_args *args = userdata;

	if (profile_args_option(&args->profile, id, arg)) {
		args->profile_given = true;
		return 0;
	}
	switch (id) {
	case OPT_UPDATE:
		args->update = true;
		return 0;
	case OPT_MISSING:
		args->missing = true;
		return 0;
	case OPT_JSON:
		args->json = true;
		return 0;
	case OPT_ALLOW_HTTP:
		args->allow_http = true;
		return 0;
	case OPT_MIRROR:
		args->mirror = arg;
		return 0;
	case OPT_LOCK:
		args->lock = arg;
		return 0;
	case OPT_CACHE:
		args->cache = arg;
		return 0;
	default:
		return -1;
	}
}

static void json_string(const char *s)
{
	putchar('"');
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void json_field(const char *key, const char *value, bool last)
{
	printf("\"%s\": ", key);
	if (value)
		json_string(value);
	else
		printf("null");
	printf(last ? "" : ", ");
}

static void print_json(const struct lock *l)
{
	printf("{\"source_date_epoch\": %" PRIu64 ", \"artifacts\": [", l->source_date_epoch);
	for (size_t i = 0; i < l->n_artifacts; i++) {
		const struct lock_artifact *a = &l->artifacts[i];

		printf("%s\n  {", i ? "," : "");
		json_field("component", a->component, false);
		json_field("version", a->version, false);
		json_field("arch", a->arch, false);
		json_field("url", a->url, false);
		json_field("sha256", a->sha256, false);
		printf("\"size\": %" PRIu64 ", ", a->size);
		json_field("checksum", a->checksum_url, true);
		printf("}");
	}
	printf("],\n \"images\": [");
	for (size_t i = 0; i < l->n_images; i++) {
		const struct lock_image *img = &l->images[i];

		printf("%s\n  {", i ? "," : "");
		json_field("name", img->name, false);
		json_field("arch", img->arch, false);
		json_field("url", img->url, false);
		json_field("sha256", img->sha256, false);
		printf("\"size\": %" PRIu64 ", ", img->size);
		json_field("checksums", img->checksums_url, false);
		json_field("signature", img->signature_url, false);
		json_field("keyring", img->keyring, true);
		printf("}");
	}
	printf("]}\n");
}

static void print_table(const struct lock *l)
{
	char size[16];

	printf("source-date-epoch %" PRIu64 "\n", l->source_date_epoch);
	printf("%-18s %-10s %-6s %-16s %10s\n", "COMPONENT", "VERSION", "ARCH", "SHA256", "SIZE");
	for (size_t i = 0; i < l->n_artifacts; i++) {
		const struct lock_artifact *a = &l->artifacts[i];

		printf("%-18s %-10s %-6s %-16.16s %10s\n", a->component, a->version, a->arch,
		       a->sha256 ? a->sha256 : "(not locked)",
		       a->size ? format_size(a->size, size, sizeof(size)) : "-");
	}
	for (size_t i = 0; i < l->n_images; i++) {
		const struct lock_image *img = &l->images[i];

		printf("%-29s %-6s %-16.16s %10s\n", img->name, img->arch,
		       img->sha256 ? img->sha256 : "(not locked)",
		       img->size ? format_size(img->size, size, sizeof(size)) : "-");
	}
}

/* Reports and applies a new sha256/size to one entry; returns the number of changes. */
static int apply(const char *label, char **sha256, uint64_t *size, const char *hex,
		 uint64_t new_size)
{
	int changes = 0;

	if (!streq(*sha256, hex)) {
		printf("%s: sha256 %s -> %s\n", label, *sha256 ? *sha256 : "none", hex);
		free(*sha256);
		*sha256 = xstrdup(hex);
		changes++;
	}
	if (new_size && *size != new_size) {
		printf("%s: size %" PRIu64 " -> %" PRIu64 "\n", label, *size, new_size);
		*size = new_size;
		changes++;
	}
	return changes;
}

static int update_artifact(struct lock_artifact *a, const struct fetch_opts *o)
{
	_cleanup_free_ char *label = lock_artifact_label(a), *buf = NULL, *name = NULL;
	char hex[SHA256_HEX_LEN + 1];
	uint64_t size = 0;
	const char *why = NULL;
	size_t len;
	int r;

	if (!a->checksum_url) {
		/* Upstream publishes no checksum: hash what arrives over verified TLS. */
		r = fetch_unpinned(a->url, o, label, hex, &size);
		if (r < 0)
			return r;
		return apply(label, &a->sha256, &a->size, hex, size);
	}

	r = fetch_to_memory(a->checksum_url, o, CHECKSUM_FILE_MAX, &buf, &len);
	if (r < 0)
		return r;
	name = xstrdup(strrchr(a->url, '/') + 1);
	name[strcspn(name, "?#")] = '\0';
	r = checksum_find(buf, len, name, hex, &why);
	if (r == -ENOENT)
		return log_error_errno(r, "%s: '%s' lists no '%s'", label, a->checksum_url, name);
	if (r < 0)
		return log_error_errno(r, "%s: '%s' is malformed: %s", label, a->checksum_url, why);

	if (fetch_remote_size(a->url, o, &size) < 0)
		log_warn("%s: size unknown; keeping the old one", label);
	return apply(label, &a->sha256, &a->size, hex, size);
}

static int update_image(struct lock_image *img, const struct fetch_opts *o)
{
	_cleanup_free_ char *label = lock_image_label(img);
	char hex[SHA256_HEX_LEN + 1];
	uint64_t size = 0;
	int r;

	r = fetch_image_checksum(img, o, hex);
	if (r < 0)
		return r;
	if (fetch_remote_size(img->url, o, &size) < 0)
		log_warn("%s: size unknown; keeping the old one", label);
	return apply(label, &img->sha256, &img->size, hex, size);
}

/* True when the item already has a pin, which --missing leaves alone. */
static bool item_pinned(const struct fetch_item *item)
{
	return item->artifact ? item->artifact->sha256 != NULL : item->image->sha256 != NULL;
}

static int update(struct lock *l, const char *path, const struct fetch_item *items, size_t n,
		  const struct fetch_opts *o, bool missing_only)
{
	int changes = 0;

	for (size_t i = 0; i < n; i++) {
		int r;

		if (missing_only && item_pinned(&items[i]))
			continue;
		/* The items point into l: update them in place. */
		r = items[i].artifact
				? update_artifact((struct lock_artifact *)items[i].artifact, o)
				: update_image((struct lock_image *)items[i].image, o);

		if (r < 0) {
			log_info("lock '%s' left unchanged", path);
			return r;
		}
		changes += r;
	}
	if (changes == 0) {
		printf("lock '%s' is up to date\n", path);
		return 0;
	}
	if (lock_save(l, path) < 0)
		return -EIO;
	printf("wrote '%s' (%d change%s)\n", path, changes, changes == 1 ? "" : "s");
	return 0;
}

static int run(const struct cli_command *self, int argc, char **argv)
{
	struct lock_args args = {.profile = PROFILE_ARGS_INIT};
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ struct fetch_item *items = NULL;
	struct profile *p = NULL;
	struct lock *l = NULL;
	struct fetch_opts o = {0};
	size_t n = 0;
	int first, r, ret = EXIT_OK;

	first = cli_parse(self, argc, argv, handle, &args);
	if (first < 0) {
		profile_args_release(&args.profile);
		return first == -1 ? EXIT_OK : EXIT_USAGE;
	}
	log_set_stage("lock");
	if (first < argc) {
		log_error("unexpected argument '%s'; see 'faasd-image lock --help'", argv[first]);
		ret = EXIT_USAGE;
		goto out;
	}
	if (args.cache)
		cache_dir_set(args.cache);
	path = args.lock ? xstrdup(args.lock) : lock_default_path();
	if (lock_load(path, &l) < 0) {
		ret = EXIT_ARTIFACT;
		goto out;
	}

	if (!args.update) {
		if (args.json)
			print_json(l);
		else
			print_table(l);
		goto out;
	}

	if (args.profile_given && profile_args_load(&args.profile, &p) < 0) {
		ret = EXIT_PROFILE;
		goto out;
	}
	if (fetch_select(p, l, &items, &n) < 0) {
		ret = EXIT_ARTIFACT;
		goto out;
	}
	/* A first-boot image fetches faasd itself, but its pin is baked in: lock it too. */
	if (p && p->delivery == DELIVERY_FIRST_BOOT && p->faasd.version) {
		const struct lock_artifact *a =
			lock_find(l, COMPONENT_FAASD, p->faasd.version, arch_name(p->arch));

		if (a) {
			items = xrealloc(items, (n + 1) * sizeof(*items));
			items[n++] = (struct fetch_item){.artifact = a};
		}
	}
	o.mirror = args.mirror ? args.mirror : p ? p->artifacts_mirror : NULL;
	o.allow_http = args.allow_http || (p && p->allow_http);
	r = update(l, path, items, n, &o, args.missing);
	if (r < 0)
		ret = r == -EINTR ? EXIT_INTERRUPTED : EXIT_ARTIFACT;

out:
	lock_free(l);
	profile_free(p);
	profile_args_release(&args.profile);
	return ret;
}

const struct cli_command command_lock = {
	.name = "lock",
	.args = NULL,
	.summary = "Show or refresh the artifacts lock from upstream checksum files.",
	.description = "Without --update, prints the lock as a table (or --json). With --update, "
		       "fetches each entry's checksum file (and the signed SHA256SUMS of images), "
		       "fills or refreshes sha256 and size, prints each change and rewrites the "
		       "lock atomically, only if every entry succeeded. --profile limits it to "
		       "what that profile needs; --missing leaves existing pins alone. See "
		       "docs/artifacts.md.",
	.options = options,
	.run = run,
};
