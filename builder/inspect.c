// SPDX-License-Identifier: MIT
/*
 * faasd-image inspect: an image opened read-only with libguestfs (one
 * launch), what it holds read from files only, and the secrets check of
 * hygiene.c run on the trees where per-instance state lives, copied out
 * with guestfs_tar_out and unpacked with libarchive into a private
 * directory (regular files, directories and symlinks only; no owners, no
 * devices, nothing through a symlink or outside the directory). The
 * canary scan reads the raw bytes of the whole disk. Nothing of the image
 * is executed, and the image is never written.
 */
#define _GNU_SOURCE
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "base-image.h"
#include "extract.h"
#include "guestfs-util.h"
#include "inspect.h"
#include "log.h"
#include "run.h"
#include "util.h"

#define DPKG_STATUS_MAX (64u << 20)
#define SMALL_FILE_MAX (1u << 20)
#define SCAN_CHUNK (4u << 20)
#define QEMU_IMG_TIMEOUT_SEC 1800

/* Where per-instance state and secrets can live; /usr outside /usr/local is the distro's. */
static const char *const checked_trees[] = {
	"/etc", "/root", "/home", "/var", "/opt", "/usr/local", "/srv", "/tmp",
};

static const char *const packages[] = {
	"containerd", "containerd.io", "runc", "containernetworking-plugins", "cloud-init",
	"openssh-server", "systemd",
};

static const struct {
	const char *name, *path;
} upstream_binaries[] = {
	{"containerd", "/usr/local/bin/containerd"},
	{"runc", "/usr/local/sbin/runc"},
	{"cni-plugins", "/opt/cni/bin/bridge"},
	{"faas-cli", "/usr/local/bin/faas-cli"},
	{"faasd", "/usr/local/bin/faasd"},
};

static char *private_tmpdir(void)
{
	const char *dir = getenv("TMPDIR");
	char *path = xasprintf("%s/faasd-image-inspect.XXXXXX", str_empty(dir) ? "/var/tmp" : dir);

	if (!mkdtemp(path)) {
		free(path);
		return NULL;
	}
	temp_register(path);
	return path;
}

static void private_tmpdir_remove(char *path)
{
	if (!path)
		return;
	remove_tree(path);
	temp_unregister(path);
	free(path);
}

/* Only directories, regular files and symlinks; a hard link is kept only inside the tree. */
static bool entry_wanted(struct archive_entry *e)
{
	mode_t type = archive_entry_filetype(e);

	return type == AE_IFDIR || type == AE_IFREG || type == AE_IFLNK;
}

/* Unpacks the tar stream of one tree into dest (which is that tree's place in the copy). */
static int unpack_tree(const char *tarball, const char *dest)
{
	struct archive *in = archive_read_new(), *out = archive_write_disk_new();
	struct archive_entry *e;
	int flags = ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
		    ARCHIVE_EXTRACT_NO_OVERWRITE;
	int r = 0, ar;

	archive_read_support_format_tar(in);
	archive_write_disk_set_options(out, flags);
	if (archive_read_open_filename(in, tarball, 1 << 16) != ARCHIVE_OK) {
		r = log_error_errno(-EIO, "cannot read the copy of the image's files: %s",
				    archive_error_string(in));
		goto out;
	}
	while ((ar = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
		_cleanup_free_ char *name = xstrdup(archive_entry_pathname(e) ?: "");
		const char *rel = name, *link = archive_entry_hardlink(e);
		_cleanup_free_ char *target = NULL, *linkpath = NULL;

		while (str_starts_with(rel, "./"))
			rel += 2;
		if (str_empty(rel) || streq(rel, ".") || !entry_wanted(e))
			continue;
		/* Names are joined to dest here, so they must be relative and stay below it. */
		if (rel[0] == '/' || !archive_path_safe(rel))
			continue;
		target = path_join(dest, rel);
		archive_entry_set_pathname(e, target);
		if (link) {
			while (str_starts_with(link, "./"))
				link += 2;
			if (link[0] == '/' || !archive_path_safe(link))
				continue;
			linkpath = path_join(dest, link);
			archive_entry_set_hardlink(e, linkpath);
		}
		archive_entry_set_perm(e, archive_entry_filetype(e) == AE_IFDIR ? 0700 : 0600);
		if (archive_write_header(out, e) != ARCHIVE_OK) {
			log_debug("skipped '%s' of the image: %s", rel, archive_error_string(out));
			continue;
		}
		if (archive_entry_size(e) > 0) {
			const void *buf;
			size_t len;
			la_int64_t off;

			while ((ar = archive_read_data_block(in, &buf, &len, &off)) == ARCHIVE_OK)
				if (archive_write_data_block(out, buf, len, off) != ARCHIVE_OK)
					break;
		}
		archive_write_finish_entry(out);
	}
	if (ar != ARCHIVE_EOF && r == 0)
		r = log_error_errno(-EIO, "cannot read the copy of the image's files: %s",
				    archive_error_string(in));
out:
	archive_read_free(in);
	archive_write_free(out);
	return r;
}

/* Copies one tree of the guest into root + tree, through a tar file beside it. */
static int copy_out_tree(guestfs_h *g, const char *tree, const char *root)
{
	_cleanup_free_ char *real = guestfs_realpath(g, tree);
	_cleanup_free_ char *tarball = xasprintf("%s/.tree.tar", root);
	_cleanup_free_ char *dest = path_join(root, tree);
	struct guestfs_statns *st;
	bool dir;
	int r;

	if (!real)
		return 0;
	/* A tree that is a symlink elsewhere is checked where it points, under its own name. */
	st = guestfs_lstatns(g, real);
	dir = st && S_ISDIR(st->st_mode);
	guestfs_free_statns(st);
	if (!dir)
		return 0;

	r = mkdir_p(dest, 0700);
	if (r < 0)
		return log_error_errno(r, "cannot make '%s': %s", dest, strerror(-r));
	if (guestfs_tar_out_opts(g, real, tarball, GUESTFS_TAR_OUT_OPTS_NUMERICOWNER, 1, -1) < 0)
		return gfs_error(g, "cannot copy files out of the image");
	r = unpack_tree(tarball, dest);
	unlink(tarball);
	return r;
}

int inspect_check_mounted(guestfs_h *g, const struct hygiene_opts *opts,
			  struct hygiene_report *report)
{
	char *root = private_tmpdir();
	uint64_t start = now_ms();
	int r = 0;

	memset(report, 0, sizeof(*report));
	if (!root)
		return log_error_errno(-errno, "cannot make a temporary directory: %s",
				       strerror(errno));

	for (size_t i = 0; i < ARRAY_SIZE(checked_trees) && r == 0; i++)
		r = copy_out_tree(g, checked_trees[i], root);
	if (r == 0) {
		r = hygiene_check_dir(root, opts, report);
		if (r < 0)
			log_error("cannot check the copy of the image's files: %s", strerror(-r));
	}
	log_debug("secrets check took %.1f s", (double)(now_ms() - start) / 1000.0);
	private_tmpdir_remove(root);
	return r;
}

/* Holes are skipped; the needle may straddle two reads, so each read keeps the last bytes. */
static int scan_file(const char *path, const char *needle)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *buf = NULL;
	size_t nlen = strlen(needle), keep = 0;
	off_t pos = 0;

	if (fd < 0)
		return log_error_errno(-errno, "cannot open '%s': %s", path, strerror(errno));
	buf = xmalloc(SCAN_CHUNK + nlen);

	for (;;) {
		off_t data = lseek(fd, pos, SEEK_DATA);
		size_t total;
		ssize_t n;

		if (data < 0)
			return errno == ENXIO ? 0 : log_error_errno(-errno, "cannot read '%s': %s",
								    path, strerror(errno));
		if (data != pos)
			keep = 0; /* a hole of zeros lies between */
		pos = data;
		n = pread(fd, buf + keep, SCAN_CHUNK, pos);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return log_error_errno(-errno, "cannot read '%s': %s", path,
					       strerror(errno));
		if (n == 0)
			return 0;
		if (memmem(buf, keep + (size_t)n, needle, nlen))
			return 1;
		pos += n;
		if (interrupted())
			return -EINTR;
		total = keep + (size_t)n;
		keep = nlen - 1 < total ? nlen - 1 : total;
		memmove(buf, buf + total - keep, keep);
	}
}

int inspect_scan_bytes(const char *path, const char *format, const char *needle)
{
	_cleanup_free_ char *dir = NULL, *raw = NULL;
	int r;

	if (str_empty(needle))
		return -EINVAL;
	if (streq(format, "raw"))
		return scan_file(path, needle);

	dir = private_tmpdir();
	if (!dir)
		return log_error_errno(-errno, "cannot make a temporary directory: %s",
				       strerror(errno));
	raw = path_join(dir, "disk.raw");
	{
		char *argv[] = {"qemu-img", "convert", "-q", "-U", "-f", (char *)format,
				"-O", "raw", (char *)path, raw, NULL};
		const struct run_opts opts = {.timeout_sec = QEMU_IMG_TIMEOUT_SEC};

		r = run_argv(argv, &opts, NULL);
	}
	if (r == 0)
		r = scan_file(raw, needle);
	else
		log_error("cannot expand '%s' to raw bytes", path);
	private_tmpdir_remove(TAKE_PTR(dir));
	return r;
}

/* Names in a directory of the guest, resolved in the guest; NULL when it is missing. */
static char **guest_ls(guestfs_h *g, const char *dir)
{
	_cleanup_free_ char *real = guestfs_realpath(g, dir);

	return real ? guestfs_ls(g, real) : NULL;
}

/* The value of "Field: value" in one dpkg status paragraph [p, end). */
static char *dpkg_field(const char *p, const char *end, const char *field)
{
	size_t flen = strlen(field);

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));

		if (!eol)
			eol = end;
		if ((size_t)(eol - p) > flen + 1 && strncmp(p, field, flen) == 0 &&
		    p[flen] == ':') {
			const char *v = p + flen + 1;

			while (v < eol && *v == ' ')
				v++;
			return xstrndup(v, (size_t)(eol - v));
		}
		p = eol + 1;
	}
	return NULL;
}

static void add_component(struct inspect_report *r, const char *name, const char *source,
			  const char *version, const char *path, const char *sha256)
{
	struct inspect_component *c;

	r->components = xrealloc(r->components, (r->n_components + 1) * sizeof(*r->components));
	c = &r->components[r->n_components++];
	c->name = xstrdup(name);
	c->source = xstrdup(source);
	c->version = version ? xstrdup(version) : NULL;
	c->path = path ? xstrdup(path) : NULL;
	c->sha256 = sha256 ? xstrdup(sha256) : NULL;
}

/* Installed packages of interest, from /var/lib/dpkg/status. */
static void read_packages(struct rootfs *fs, struct inspect_report *r)
{
	_cleanup_free_ char *status = NULL;
	const char *p, *end;
	size_t len;

	if (rootfs_read_file(fs, "/var/lib/dpkg/status", DPKG_STATUS_MAX, &status, &len) < 0)
		return;
	for (p = status, end = status + len; p < end;) {
		const char *para_end = strstr(p, "\n\n");
		_cleanup_free_ char *name = NULL, *state = NULL, *version = NULL;

		if (!para_end)
			para_end = end;
		name = dpkg_field(p, para_end, "Package");
		state = dpkg_field(p, para_end, "Status");
		version = dpkg_field(p, para_end, "Version");
		for (size_t i = 0; i < ARRAY_SIZE(packages); i++)
			if (streq(name, packages[i]) && state && str_ends_with(state, " installed"))
				add_component(r, name, "distro", version, NULL, NULL);
		if (para_end == end)
			break;
		p = para_end + 2;
	}
}

/* The value of KEY= in a file of shell assignments, unquoted. */
static char *env_value(const char *text, const char *key)
{
	size_t klen = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
			const char *v = p + klen + 1;
			size_t n = strcspn(v, "\n");

			if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
				v++;
				n -= 2;
			}
			return xstrndup(v, n);
		}
	}
	return NULL;
}

static void read_upstream(guestfs_h *g, struct rootfs *fs, struct inspect_report *r)
{
	_cleanup_free_ char *env = NULL;
	char *faasd_version = NULL;

	if (rootfs_read_file(fs, "/etc/faasd-image/faasd.env", SMALL_FILE_MAX, &env, NULL) == 0) {
		faasd_version = env_value(env, "FAASD_VERSION");
		r->faasd_url = env_value(env, "FAASD_URL");
	}
	for (size_t i = 0; i < ARRAY_SIZE(upstream_binaries); i++) {
		_cleanup_free_ char *real = guestfs_realpath(g, upstream_binaries[i].path);
		_cleanup_free_ char *sum = NULL;
		bool is_faasd = streq(upstream_binaries[i].name, "faasd");

		if (!real || !guestfs_is_file(g, real))
			continue;
		sum = guestfs_checksum(g, "sha256", real);
		add_component(r, upstream_binaries[i].name, "upstream",
			      is_faasd ? faasd_version : NULL, upstream_binaries[i].path, sum);
		if (is_faasd)
			r->faasd_sha256 = sum ? xstrdup(sum) : NULL;
	}
	if (!r->faasd_sha256 && faasd_version)
		add_component(r, "faasd", "first-boot", faasd_version, NULL, NULL);
	free(faasd_version);
}

/* Every link in the .wants and .requires directories of /etc/systemd/system. */
static void read_units(guestfs_h *g, struct inspect_report *r)
{
	_cleanup_strv_free_ char **dirs = guest_ls(g, "/etc/systemd/system");
	bool fetch = false;

	for (char **d = dirs; d && *d; d++) {
		_cleanup_free_ char *path = NULL;
		_cleanup_strv_free_ char **units = NULL;

		if (!str_ends_with(*d, ".wants") && !str_ends_with(*d, ".requires"))
			continue;
		path = xasprintf("/etc/systemd/system/%s", *d);
		units = guest_ls(g, path);
		for (char **u = units; u && *u; u++) {
			struct inspect_unit *unit;

			r->units = xrealloc(r->units, (r->n_units + 1) * sizeof(*r->units));
			unit = &r->units[r->n_units++];
			unit->target = xstrdup(*d);
			unit->unit = xstrdup(*u);
			fetch = fetch || streq(*u, "faasd-fetch.service");
		}
	}
	if (r->faasd_sha256)
		r->delivery = xstrdup("baked");
	else if (fetch)
		r->delivery = xstrdup("first-boot");
	else
		r->delivery = xstrdup("none");
}

static void read_os(guestfs_h *g, const char *root, struct inspect_report *r)
{
	_cleanup_strv_free_ char **boot = guest_ls(g, "/boot");

	r->product = guestfs_inspect_get_product_name(g, root);
	r->distro = guestfs_inspect_get_distro(g, root);
	r->version = xasprintf("%d.%d", guestfs_inspect_get_major_version(g, root),
			       guestfs_inspect_get_minor_version(g, root));
	r->arch = guestfs_inspect_get_arch(g, root);
	r->hostname = guestfs_inspect_get_hostname(g, root);
	for (char **b = boot; b && *b; b++)
		if (str_starts_with(*b, "vmlinuz") || str_starts_with(*b, "vmlinux") ||
		    str_starts_with(*b, "Image") || str_starts_with(*b, "kernel"))
			strv_push(&r->kernels, *b);
}

/* os-release's PRETTY_NAME says more than libguestfs's product name for Debian ("12.8"). */
static void read_pretty_name(struct rootfs *fs, struct inspect_report *r)
{
	_cleanup_free_ char *text = NULL;
	char *pretty;

	if (rootfs_read_file(fs, "/etc/os-release", SMALL_FILE_MAX, &text, NULL) < 0)
		return;
	pretty = env_value(text, "PRETTY_NAME");
	if (str_empty(pretty)) {
		free(pretty);
		return;
	}
	free(r->product);
	r->product = pretty;
}

/* One launch: inspection, the files read, the secrets check. */
static int inspect_guest(const char *path, struct inspect_report *r)
{
	_cleanup_guestfs_ guestfs_h *g = NULL;
	_cleanup_strv_free_ char **roots = NULL;
	struct rootfs *fs = NULL;
	uint64_t start;
	int n;

	n = gfs_handle_new(&g);
	if (n < 0)
		return n;
	if (guestfs_add_drive_opts(g, path, GUESTFS_ADD_DRIVE_OPTS_FORMAT, r->format,
				   GUESTFS_ADD_DRIVE_OPTS_READONLY, 1, -1) < 0)
		return gfs_error(g, "cannot attach the image");
	n = gfs_launch(g);
	if (n < 0)
		return n;
	start = now_ms();
	roots = guestfs_inspect_os(g);
	if (!roots)
		return gfs_error(g, "cannot inspect the image");
	if (!roots[0])
		return log_error_errno(-EMEDIUMTYPE, "no operating system found in '%s'", path);
	if (roots[1])
		log_warn("'%s' holds %zu operating systems; showing the first", path,
			 strv_length(roots));

	log_debug("operating system found after %.1f s", (double)(now_ms() - start) / 1000.0);

	n = gfs_mount_root(g, roots[0], true, NULL);
	if (n < 0)
		return n;
	read_os(g, roots[0], r);
	rootfs_guestfs_open(g, path, &fs);
	read_pretty_name(fs, r);
	read_packages(fs, r);
	read_upstream(g, fs, r);
	rootfs_free(fs);
	read_units(g, r);
	log_debug("contents read after %.1f s", (double)(now_ms() - start) / 1000.0);

	n = inspect_check_mounted(g, NULL, &r->findings);
	if (n < 0)
		return n;
	guestfs_umount_all(g);
	guestfs_shutdown(g);
	return 0;
}

int inspect_image(const char *path, const struct inspect_opts *opts, struct inspect_report *ret)
{
	struct base_image_info info;
	int r;

	memset(ret, 0, sizeof(*ret));
	r = base_image_check(path, "image", &info);
	if (r < 0)
		return r;
	ret->image = xstrdup(path);
	ret->format = xstrdup(info.format);
	ret->virtual_size = info.virtual_size;

	r = inspect_guest(path, ret);
	if (r < 0)
		return r;

	if (opts && !str_empty(opts->canary)) {
		r = inspect_scan_bytes(path, info.format, opts->canary);
		if (r < 0)
			return r;
		ret->canary_checked = true;
		ret->canary_found = r == 1;
	}
	return 0;
}

static const char *or_unknown(const char *s)
{
	return str_empty(s) ? "unknown" : s;
}

void inspect_format_text(const struct inspect_report *r, struct strbuf *out)
{
	char size[16];

	strbuf_addf(out, "image:      %s (%s, %s)\n", r->image, r->format,
		    format_size(r->virtual_size, size, sizeof(size)));
	strbuf_addf(out, "os:         %s (%s %s, %s)\n", or_unknown(r->product),
		    or_unknown(r->distro), or_unknown(r->version), or_unknown(r->arch));
	strbuf_addf(out, "hostname:   %s\n", or_unknown(r->hostname));
	strbuf_adds(out, "kernels:   ");
	for (char **k = r->kernels; k && *k; k++)
		strbuf_addf(out, " %s", *k);
	strbuf_adds(out, r->kernels ? "\n" : " none\n");

	strbuf_adds(out, "components:\n");
	for (size_t i = 0; i < r->n_components; i++) {
		const struct inspect_component *c = &r->components[i];

		strbuf_addf(out, "  %-28s %-10s %s", c->name, c->source, or_unknown(c->version));
		if (c->path)
			strbuf_addf(out, " %s sha256 %s", c->path, or_unknown(c->sha256));
		strbuf_addc(out, '\n');
	}

	strbuf_addf(out, "faasd:      %s", r->delivery);
	if (r->faasd_sha256)
		strbuf_addf(out, " (sha256 %s)", r->faasd_sha256);
	else if (r->faasd_url)
		strbuf_addf(out, " (from %s)", r->faasd_url);
	strbuf_adds(out, "\nunits:\n");
	for (size_t i = 0; i < r->n_units; i++)
		strbuf_addf(out, "  %s/%s\n", r->units[i].target, r->units[i].unit);

	strbuf_addf(out, "findings:   %zu\n", r->findings.n + (r->canary_found ? 1 : 0));
	for (size_t i = 0; i < r->findings.n; i++)
		strbuf_addf(out, "  %s: %s\n", r->findings.findings[i].path,
			    r->findings.findings[i].reason);
	if (r->canary_found)
		strbuf_adds(out, "  disk bytes: the canary string is present\n");
	else if (r->canary_checked)
		strbuf_adds(out, "canary:     not found in the disk's bytes\n");
}

static void json_key(struct strbuf *out, const char *key, const char *value, bool comma)
{
	json_escape(out, key);
	strbuf_adds(out, ": ");
	if (value)
		json_escape(out, value);
	else
		strbuf_adds(out, "null");
	if (comma)
		strbuf_adds(out, ", ");
}

void inspect_format_json(const struct inspect_report *r, struct strbuf *out)
{
	strbuf_adds(out, "{");
	json_key(out, "image", r->image, true);
	json_key(out, "format", r->format, true);
	strbuf_addf(out, "\"virtual_size\": %llu, ", (unsigned long long)r->virtual_size);
	strbuf_adds(out, "\"os\": {");
	json_key(out, "product", r->product, true);
	json_key(out, "distro", r->distro, true);
	json_key(out, "version", r->version, true);
	json_key(out, "arch", r->arch, true);
	json_key(out, "hostname", r->hostname, false);
	strbuf_adds(out, "}, \"kernels\": [");
	for (char **k = r->kernels; k && *k; k++) {
		json_escape(out, *k);
		if (k[1])
			strbuf_adds(out, ", ");
	}
	strbuf_adds(out, "], \"components\": [");
	for (size_t i = 0; i < r->n_components; i++) {
		const struct inspect_component *c = &r->components[i];

		strbuf_adds(out, i ? ", {" : "{");
		json_key(out, "name", c->name, true);
		json_key(out, "source", c->source, true);
		json_key(out, "version", c->version, true);
		json_key(out, "path", c->path, true);
		json_key(out, "sha256", c->sha256, false);
		strbuf_adds(out, "}");
	}
	strbuf_adds(out, "], \"faasd\": {");
	json_key(out, "delivery", r->delivery, true);
	json_key(out, "sha256", r->faasd_sha256, true);
	json_key(out, "url", r->faasd_url, false);
	strbuf_adds(out, "}, \"units\": [");
	for (size_t i = 0; i < r->n_units; i++) {
		strbuf_adds(out, i ? ", {" : "{");
		json_key(out, "target", r->units[i].target, true);
		json_key(out, "unit", r->units[i].unit, false);
		strbuf_adds(out, "}");
	}
	strbuf_adds(out, "], \"findings\": [");
	for (size_t i = 0; i < r->findings.n; i++) {
		strbuf_adds(out, i ? ", {" : "{");
		json_key(out, "path", r->findings.findings[i].path, true);
		json_key(out, "reason", r->findings.findings[i].reason, false);
		strbuf_adds(out, "}");
	}
	strbuf_addf(out, "], \"canary\": %s}\n",
		    !r->canary_checked ? "null" : r->canary_found ? "\"found\"" : "\"absent\"");
}

void inspect_report_release(struct inspect_report *r)
{
	free(r->image);
	free(r->format);
	free(r->product);
	free(r->distro);
	free(r->version);
	free(r->arch);
	free(r->hostname);
	strv_free(r->kernels);
	for (size_t i = 0; i < r->n_components; i++) {
		free(r->components[i].name);
		free(r->components[i].source);
		free(r->components[i].version);
		free(r->components[i].path);
		free(r->components[i].sha256);
	}
	free(r->components);
	for (size_t i = 0; i < r->n_units; i++) {
		free(r->units[i].target);
		free(r->units[i].unit);
	}
	free(r->units);
	free(r->delivery);
	free(r->faasd_sha256);
	free(r->faasd_url);
	hygiene_report_release(&r->findings);
	memset(r, 0, sizeof(*r));
}
