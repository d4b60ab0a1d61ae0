// SPDX-License-Identifier: MIT
/*
 * The bootstrap base with mmdebstrap (--mode=root), and its cache. The
 * hooks handed to mmdebstrap are shell snippets that mmdebstrap itself
 * runs with the tree's path as $1; they are fixed text with no value of
 * the profile in them, and they are part of the cache key, so changing a
 * hook rebuilds the base. The tree is stored with GNU tar (numeric owners,
 * extended attributes such as file capabilities) and unpacked the same way.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "base-bootstrap.h"
#include "log.h"
#include "paths.h"
#include "run.h"
#include "util.h"
#include "verify.h"

#define BOOTSTRAP_TIMEOUT_SEC (3 * 3600)
#define TAR_TIMEOUT_SEC 1800
#define DPKG_STATUS_MAX (64u << 20)
#define CACHE_FORMAT "faasd-image bootstrap cache 1"

/* Per-instance state out, build-time traces out (TESTBED.md, REFERENCE.md). */
static const char customize_clean[] =
	"set -e; r=\"$1\"; "
	"rm -f \"$r\"/etc/ssh/ssh_host_*; "
	": > \"$r\"/etc/machine-id; "
	"mkdir -p \"$r\"/var/lib/dbus; rm -f \"$r\"/var/lib/dbus/machine-id; "
	"ln -s /etc/machine-id \"$r\"/var/lib/dbus/machine-id; "
	"rm -f \"$r\"/var/lib/systemd/random-seed; "
	"echo localhost > \"$r\"/etc/hostname; "
	"rm -f \"$r\"/etc/resolv.conf; "
	"ln -s ../run/systemd/resolve/stub-resolv.conf \"$r\"/etc/resolv.conf; "
	"rm -rf \"$r\"/var/lib/apt/lists/* \"$r\"/var/cache/apt/*.bin "
	"\"$r\"/var/cache/apt/archives/*.deb \"$r\"/var/lib/cloud; "
	"find \"$r\"/var/log -type f \\( -name '*.gz' -o -name '*.xz' -o -name '*.[0-9]' \\) "
	"-delete; "
	"find \"$r\"/var/log -type f -exec truncate -s 0 {} +; "
	"rm -f \"$r\"/root/.bash_history \"$r\"/root/.lesshst";

/* The kernel's postinst makes these unless told otherwise; the disk stage needs them. */
static const char customize_kernel_links[] =
	"set -e; r=\"$1\"; cd \"$r\"; "
	"k=$(ls boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1); "
	"i=$(ls boot/initrd.img-* 2>/dev/null | sort -V | tail -n 1); "
	"[ -n \"$k\" ] && [ -n \"$i\" ] || { echo 'no kernel or initrd in /boot' >&2; exit 1; }; "
	"[ -e vmlinuz ] || ln -s \"$k\" vmlinuz; "
	"[ -e initrd.img ] || ln -s \"$i\" initrd.img";

/*
 * Foreign architectures: mkinitramfs under qemu-user is slow, so it runs
 * once, at the end, with a short module list (TESTBED.md, arm64).
 */
static const char essential_initramfs[] =
	"set -e; r=\"$1\"; mkdir -p \"$r\"/etc/initramfs-tools/conf.d; "
	"printf 'MODULES=list\\nFSTYPE=ext4\\n' "
	"> \"$r\"/etc/initramfs-tools/conf.d/faasd-image.conf; "
	"printf '%s\\n' virtio_pci virtio_mmio virtio_blk mmc_block mmc_core bcm2835 sdhci-iproc "
	"fixed gpio-regulator ext4 crc32c_generic vfat nls_cp437 nls_ascii "
	"> \"$r\"/etc/initramfs-tools/modules; "
	"chroot \"$r\" dpkg-divert --quiet --local --rename --add /usr/sbin/update-initramfs; "
	"printf '#!/bin/sh\\nexit 0\\n' > \"$r\"/usr/sbin/update-initramfs; "
	"chmod 0755 \"$r\"/usr/sbin/update-initramfs";

static const char customize_initramfs[] =
	"set -e; r=\"$1\"; rm -f \"$r\"/usr/sbin/update-initramfs; "
	"chroot \"$r\" dpkg-divert --quiet --local --rename --remove /usr/sbin/update-initramfs; "
	"chroot \"$r\" update-initramfs -c -k all";

static bool foreign_arch(const struct plan *plan)
{
	struct utsname u;

	if (uname(&u) < 0)
		return false;
	return !streq(u.machine, arch_uname(plan->profile->arch));
}

/* The hooks for this plan, in order, as "--OPTION=TEXT" arguments. */
static char **bootstrap_hooks(const struct plan *plan)
{
	char **hooks = NULL;

	if (foreign_arch(plan)) {
		_cleanup_free_ char *e = xasprintf("--essential-hook=%s", essential_initramfs);
		_cleanup_free_ char *c = xasprintf("--customize-hook=%s", customize_initramfs);

		strv_push(&hooks, e);
		strv_push(&hooks, c);
	}
	{
		_cleanup_free_ char *k = xasprintf("--customize-hook=%s", customize_kernel_links);
		_cleanup_free_ char *c = xasprintf("--customize-hook=%s", customize_clean);

		strv_push(&hooks, k);
		strv_push(&hooks, c);
	}
	return hooks;
}

char *bootstrap_cache_key(const struct plan *plan, const char *mmdebstrap_version)
{
	_cleanup_strv_free_ char **hooks = bootstrap_hooks(plan);
	struct strbuf sb = STRBUF_INIT;
	char hex[SHA256_HEX_LEN + 1];

	strbuf_addf(&sb, "%s\nsuite %s\narch %s\nvariant %s\nmirror %s\ncomponents", CACHE_FORMAT,
		    plan->base.suite, plan->base.arch, plan->base.variant,
		    plan->base.mirror ? plan->base.mirror : "-");
	for (char **c = plan->base.components; c && *c; c++)
		strbuf_addf(&sb, " %s", *c);
	strbuf_adds(&sb, "\npackages");
	for (char **p = plan->base.packages; p && *p; p++)
		strbuf_addf(&sb, " %s", *p);
	strbuf_addf(&sb, "\nsource_date_epoch %llu\n",
		    (unsigned long long)plan->source_date_epoch);
	for (char **h = hooks; h && *h; h++)
		strbuf_addf(&sb, "hook %s\n", *h);
	strbuf_addf(&sb, "mmdebstrap %s\n", mmdebstrap_version);

	sha256_buffer(sb.buf, sb.len, hex);
	strbuf_release(&sb);
	return xstrdup(hex);
}

static int mmdebstrap_version(char **ret)
{
	char *argv[] = {"mmdebstrap", "--version", NULL};
	_cleanup_free_ char *out = NULL;
	int r;

	r = run_argv(argv, NULL, &out);
	if (r < 0)
		return r;
	out[strcspn(out, "\n")] = '\0';
	*ret = TAKE_PTR(out);
	return 0;
}

/* binfmt_misc mounted and qemu-user registered for a foreign architecture. */
static int binfmt_ready(const struct plan *plan)
{
	_cleanup_free_ char *entry = xasprintf("/proc/sys/fs/binfmt_misc/qemu-%s",
					       arch_uname(plan->profile->arch));
	int r;

	if (!file_exists("/proc/sys/fs/binfmt_misc/status")) {
		char *argv[] = {"mount", "-t", "binfmt_misc", "binfmt_misc",
				"/proc/sys/fs/binfmt_misc", NULL};

		r = run_argv(argv, NULL, NULL);
		if (r < 0)
			return log_error_errno(r, "cannot mount binfmt_misc for a %s bootstrap",
					       plan->base.arch);
	}
	if (!file_exists(entry)) {
		_cleanup_free_ char *name = xasprintf("qemu-%s", arch_uname(plan->profile->arch));
		char *argv[] = {"update-binfmts", "--enable", name, NULL};

		r = run_argv(argv, NULL, NULL);
		if (r < 0 || !file_exists(entry))
			return log_error_errno(-ENOEXEC, "no binfmt_misc entry for %s: install "
					       "qemu-user-static (ci/install-deps.sh)", name);
	}
	return 0;
}

static char *join(char *const *v, const char *sep)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; v && v[i]; i++)
		strbuf_addf(&sb, "%s%s", i ? sep : "", v[i]);
	return strbuf_detach(&sb, NULL);
}

static int run_mmdebstrap(const struct plan *plan, const char *root)
{
	_cleanup_strv_free_ char **argv = NULL, **hooks = bootstrap_hooks(plan);
	_cleanup_free_ char *variant = xasprintf("--variant=%s", plan->base.variant);
	_cleanup_free_ char *arch = xasprintf("--architectures=%s", plan->base.arch);
	_cleanup_free_ char *components = NULL, *include = NULL, *packages = NULL;
	_cleanup_free_ char *epoch = xasprintf("SOURCE_DATE_EPOCH=%llu",
					       (unsigned long long)plan->source_date_epoch);
	char *env[] = {epoch, NULL};
	struct run_opts opts = {.env = env, .timeout_sec = BOOTSTRAP_TIMEOUT_SEC};

	components = join(plan->base.components, ",");
	packages = join(plan->base.packages, ",");
	include = xasprintf("--include=%s", packages);

	strv_push(&argv, "mmdebstrap");
	strv_push(&argv, "--mode=root");
	strv_push(&argv, variant);
	strv_push(&argv, arch);
	{
		_cleanup_free_ char *c = xasprintf("--components=%s", components);

		strv_push(&argv, c);
	}
	strv_push(&argv, include);
	for (char **h = hooks; h && *h; h++)
		strv_push(&argv, *h);
	strv_push(&argv, plan->base.suite);
	strv_push(&argv, root);
	if (plan->base.mirror)
		strv_push(&argv, plan->base.mirror);

	log_info("bootstrapping %s %s with mmdebstrap (%zu packages asked for; a few minutes, "
		 "longer for a foreign architecture)", plan->base.suite, plan->base.arch,
		 strv_length(plan->base.packages));
	return run_argv(argv, &opts, NULL);
}

static int tar_create(const char *root, const char *tarball)
{
	char *argv[] = {"tar", "--create", "--file", (char *)tarball, "--directory", (char *)root,
			"--numeric-owner", "--xattrs", "--xattrs-include=*", "--acls",
			"--sort=name", ".", NULL};
	struct run_opts opts = {.timeout_sec = TAR_TIMEOUT_SEC};

	return run_argv(argv, &opts, NULL);
}

static int tar_extract(const char *tarball, const char *root)
{
	char *argv[] = {"tar", "--extract", "--file", (char *)tarball, "--directory", (char *)root,
			"--numeric-owner", "--xattrs", "--xattrs-include=*", "--acls",
			"--preserve-permissions", "--same-owner", NULL};
	struct run_opts opts = {.timeout_sec = TAR_TIMEOUT_SEC};

	return run_argv(argv, &opts, NULL);
}

/* Stores the tree in the cache: a temporary beside the entry, renamed when complete. */
static int cache_store(const char *root, const char *cache_path)
{
	_cleanup_free_ char *dir = xstrdup(cache_path), *tmp = temp_name_for(cache_path);
	int r;

	*strrchr(dir, '/') = '\0';
	r = mkdir_p(dir, 0755);
	if (r < 0)
		return log_error_errno(r, "cannot make '%s': %s", dir, strerror(-r));

	remove_stale_temporaries(dir);
	temp_register(tmp);
	r = tar_create(root, tmp);
	if (r == 0 && rename(tmp, cache_path) < 0) {
		r = -errno;
		log_error("cannot rename '%s': %s", tmp, strerror(-r));
	}
	if (r < 0)
		unlink(tmp);
	temp_unregister(tmp);
	return r;
}

int bootstrap_base(const struct plan *plan, const char *root, struct bootstrap_result *ret)
{
	_cleanup_free_ char *version = NULL, *key = NULL, *cache_path = NULL;
	int r;

	memset(ret, 0, sizeof(*ret));
	r = mmdebstrap_version(&version);
	if (r < 0)
		return r;
	key = bootstrap_cache_key(plan, version);
	cache_path = xasprintf("%s/bootstrap/%s.tar", cache_dir(), key);

	temp_register(root);
	if (file_exists(cache_path)) {
		log_info("base from the cache: '%s'", cache_path);
		r = mkdir_p(root, 0755);
		if (r < 0)
			return log_error_errno(r, "cannot make '%s': %s", root, strerror(-r));
		r = tar_extract(cache_path, root);
		ret->cached = true;
	} else {
		if (foreign_arch(plan)) {
			r = binfmt_ready(plan);
			if (r < 0)
				return r;
		}
		r = run_mmdebstrap(plan, root);
		if (r == 0 && !interrupted())
			r = cache_store(root, cache_path);
	}
	if (r == 0 && interrupted())
		r = -EINTR;
	if (r < 0)
		return r;

	r = bootstrap_list_packages(root, &ret->packages);
	if (r < 0)
		return r;
	ret->root = xstrdup(root);
	ret->cache_key = TAKE_PTR(key);
	ret->cache_path = TAKE_PTR(cache_path);
	return 0;
}

static int compare_packages(const void *a, const void *b)
{
	return strcmp(((const struct package *)a)->name, ((const struct package *)b)->name);
}

static void parse_packages(char *text, struct package_list *ret)
{
	char *save = NULL;

	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *tab1 = strchr(line, '\t'), *tab2 = tab1 ? strchr(tab1 + 1, '\t') : NULL;
		struct package *p;

		if (!tab2)
			continue;
		*tab1 = *tab2 = '\0';
		ret->items = xrealloc(ret->items, (ret->n + 1) * sizeof(*ret->items));
		p = &ret->items[ret->n++];
		p->name = xstrdup(line);
		p->version = xstrdup(tab1 + 1);
		p->arch = xstrdup(tab2 + 1);
	}
	qsort(ret->items, ret->n, sizeof(*ret->items), compare_packages);
}

int bootstrap_list_packages(const char *root, struct package_list *ret)
{
	_cleanup_free_ char *admindir = xasprintf("--admindir=%s/var/lib/dpkg", root);
	_cleanup_free_ char *out_path = NULL, *text = NULL;
	char *argv[] = {"dpkg-query", admindir, "--show", "--showformat",
			"${db:Status-Abbrev}\t${Package}\t${Version}\t${Architecture}\n", NULL};
	struct strbuf installed = STRBUF_INIT;
	struct run_opts opts = {0};
	int r;

	out_path = xasprintf("%s.packages", root);
	opts.stdout_path = out_path;
	r = run_argv(argv, &opts, NULL);
	if (r == 0)
		r = read_file(out_path, DPKG_STATUS_MAX, &text, NULL);
	unlink(out_path);
	if (r < 0)
		return log_error_errno(r, "cannot list the packages of '%s'", root);

	/* Keep the installed ones ("ii "), without the status column. */
	memset(ret, 0, sizeof(*ret));
	for (char *line = text; *line;) {
		size_t n = strcspn(line, "\n");

		if (str_starts_with(line, "ii ") && memchr(line, '\t', n)) {
			char *tab = memchr(line, '\t', n);

			strbuf_add(&installed, tab + 1, (size_t)(line + n - tab - 1));
			strbuf_addc(&installed, '\n');
		}
		line += n + (line[n] == '\n');
	}
	parse_packages(installed.buf ? installed.buf : (char[]){""}, ret);
	strbuf_release(&installed);
	return 0;
}

void bootstrap_result_release(struct bootstrap_result *r)
{
	free(r->root);
	free(r->cache_key);
	free(r->cache_path);
	package_list_release(&r->packages);
	memset(r, 0, sizeof(*r));
}
