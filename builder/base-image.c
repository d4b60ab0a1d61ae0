// SPDX-License-Identifier: MIT
/*
 * The published-cloud-image base, with qemu-img (run from an argv) for the
 * checks and the working copy and libguestfs for everything inside the
 * image. The image is trusted only as far as its signature goes: the
 * signature says who made the bytes, not that the bytes are harmless to
 * open, so the header is checked before QEMU or the appliance ever sees
 * it, the format is always given and never probed again, and a backing or
 * external data file (which would make QEMU read some other file of this
 * host) is refused. The appliance is launched once per build.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <sys/stat.h>

#include "base-image.h"
#include "guestfs-util.h"
#include "hygiene.h"
#include "inspect.h"
#include "log.h"
#include "node.h"
#include "run.h"
#include "util.h"
#include "yaml-parse.h"

#define QEMU_IMG_TIMEOUT_SEC 600
#define QEMU_IMG_INFO_MAX (1u << 20)
#define DISK_MIN_SIZE (1u << 20)

struct base_image {
	guestfs_h *g;
	struct rootfs *fs;
	char *image;     /* the source, for messages */
	char *work;      /* the working copy (a registered temporary) */
	char **mounted;  /* mountpoints, in mount order */
	bool handed_over;
};

/* The JSON of `qemu-img info`, parsed with the YAML reader (JSON is YAML's flow style). */
static int qemu_img_info(const char *path, const char *format, struct node **ret)
{
	_cleanup_free_ char *output = NULL;
	struct yaml_error err = {0};
	char *argv[] = {"qemu-img", "info", "--output=json", "-U", NULL, NULL, NULL, NULL};
	const struct run_opts opts = {.timeout_sec = QEMU_IMG_TIMEOUT_SEC};
	size_t n = 4;
	int r;

	if (format) {
		argv[n++] = "-f";
		argv[n++] = (char *)format;
	}
	argv[n] = (char *)path;

	r = run_argv_status(argv, &opts, &output);
	if (r != 0) {
		const char *why = output ? output : "";
		size_t len = strcspn(why, "\n");

		return log_error_errno(-EIO, "'%s' is not a disk image qemu-img can read: %.*s",
				       path, (int)len, why);
	}
	if (strlen(output) > QEMU_IMG_INFO_MAX ||
	    yaml_parse_string(output, strlen(output), "qemu-img info", false, ret, &err) < 0 ||
	    !*ret || (*ret)->kind != NODE_MAP) {
		node_free(*ret);
		*ret = NULL;
		return log_error_errno(-EIO, "cannot read what qemu-img says about '%s'", path);
	}
	return 0;
}

/* `qemu-img check`: 0 clean, 3 only leaked clusters (harmless); anything else is damage. */
static int qemu_img_check(const char *path, const char *what)
{
	char *argv[] = {"qemu-img", "check", "-U", "-q", "-f", "qcow2", (char *)path, NULL};
	const struct run_opts opts = {.timeout_sec = QEMU_IMG_TIMEOUT_SEC};
	_cleanup_free_ char *output = NULL;
	int r = run_argv_status(argv, &opts, &output);

	if (r == 0 || r == 3)
		return 0;
	if (r < 0)
		return log_error_errno(r, "cannot run qemu-img check on '%s': %s", path,
				       strerror(-r));
	return log_error_errno(-EBADMSG, "%s '%s' is corrupt or truncated "
					 "(qemu-img check found errors); refusing", what, path);
}

static const char *str_or(const struct node *n, const char *fallback)
{
	return node_str(n) ? node_str(n) : fallback;
}

/* Refuses what qemu-img info shows to be unsafe or unusable; fills ret otherwise. */
static int check_info(const struct node *info, const char *path, const char *what,
		      struct base_image_info *ret)
{
	const struct node *backing = node_map_get(info, "backing-filename");
	const struct node *data_file = node_get_path(info, "format-specific.data.data-file");
	const char *format = node_str(node_map_get(info, "format"));
	const char *size = node_str(node_map_get(info, "virtual-size"));
	char *end = NULL;

	if (!backing)
		backing = node_map_get(info, "full-backing-filename");
	if (backing)
		return log_error_errno(-EPERM, "%s '%s' has a backing file '%s'; refusing", what,
				       path, str_or(backing, "?"));
	if (data_file)
		return log_error_errno(-EPERM, "%s '%s' has an external data file '%s'; refusing",
				       what, path, str_or(data_file, "?"));
	if (!streq(format, "qcow2") && !streq(format, "raw"))
		return log_error_errno(-EMEDIUMTYPE, "%s '%s' is in format '%s'; only qcow2 and "
				       "raw are accepted", what, path, format ? format : "unknown");
	errno = 0;
	ret->virtual_size = size ? strtoull(size, &end, 10) : 0;
	if (ret->virtual_size == 0 || errno || !end || *end)
		return log_error_errno(-EBADMSG, "%s '%s' has no usable virtual size", what, path);
	if (ret->virtual_size < DISK_MIN_SIZE)
		return log_error_errno(-EBADMSG, "%s '%s' is %" PRIu64 " bytes, too small to "
				       "hold a partition table and a filesystem; refusing", what,
				       path, ret->virtual_size);
	if (streq(node_str(node_get_path(info, "format-specific.data.corrupt")), "true"))
		return log_error_errno(-EBADMSG, "%s '%s' is marked corrupt; refusing", what, path);
	snprintf(ret->format, sizeof(ret->format), "%s", format);
	return 0;
}

int base_image_check(const char *path, const char *what, struct base_image_info *ret)
{
	struct node *info = NULL;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (!file_exists(path))
		return log_error_errno(-ENOENT, "no %s at '%s'", what, path);

	r = qemu_img_info(path, NULL, &info);
	if (r < 0)
		return r;
	r = check_info(info, path, what, ret);
	node_free(info);
	if (r < 0)
		return r;

	if (streq(ret->format, "qcow2"))
		return qemu_img_check(path, what);
	return 0;
}

/* The working copy: a qcow2 beside work_path, registered, grown to disk_size. */
static int make_working_copy(const char *image, const struct base_image_info *info,
			     const struct base_image_opts *opts, char **ret)
{
	_cleanup_free_ char *tmp = temp_name_for(opts->work_path);
	_cleanup_free_ char *size_arg = xasprintf("%llu", (unsigned long long)opts->disk_size);
	char *convert[] = {"qemu-img", "convert", "-q", "-f", (char *)info->format, "-O", "qcow2",
			   (char *)image, tmp, NULL};
	char *resize[] = {"qemu-img", "resize", "-q", "-f", "qcow2", tmp, size_arg, NULL};
	const struct run_opts ropts = {.timeout_sec = QEMU_IMG_TIMEOUT_SEC};
	uint64_t start = now_ms();
	int r;

	temp_register(tmp);
	r = run_argv(convert, &ropts, NULL);
	if (r == 0 && opts->disk_size > info->virtual_size)
		r = run_argv(resize, &ropts, NULL);
	if (r < 0) {
		unlink(tmp);
		temp_unregister(tmp);
		return log_error_errno(r == -EINTR ? r : -EIO,
				       "cannot make a working copy of base image '%s'", image);
	}
	log_debug("working copy '%s' made in %.1f s", tmp, (double)(now_ms() - start) / 1000.0);
	*ret = TAKE_PTR(tmp);
	return 0;
}

/* Moves a GPT's backup header to the end of a grown disk; other tables are left alone. */
static int grow_partition_table(guestfs_h *g)
{
	_cleanup_free_ char *type = guestfs_part_get_parttype(g, "/dev/sda");

	if (!type || !streq(type, "gpt"))
		return 0;
	if (guestfs_part_expand_gpt(g, "/dev/sda") < 0)
		return gfs_error(g, "cannot move the GPT backup header to the end of the disk");
	return 0;
}

/* The one operating system root of the image, of the profile's architecture. */
static int find_root(struct base_image *bi, enum arch arch, char **ret)
{
	_cleanup_strv_free_ char **roots = guestfs_inspect_os(bi->g);
	_cleanup_free_ char *found = NULL;

	if (!roots)
		return gfs_error(bi->g, "cannot inspect the base image");
	if (strv_length(roots) != 1)
		return log_error_errno(-EMEDIUMTYPE, "base image '%s' has %zu operating systems; "
				       "expected exactly one", bi->image, strv_length(roots));

	found = guestfs_inspect_get_arch(bi->g, roots[0]);
	if (!found)
		return gfs_error(bi->g, "cannot tell the base image's architecture");
	if (!streq(found, arch_uname(arch)))
		return log_error_errno(-EXDEV, "base image '%s' is for '%s', the profile for '%s' "
				       "(%s); refusing", bi->image, found, arch_name(arch),
				       arch_uname(arch));
	*ret = xstrdup(roots[0]);
	return 0;
}

int base_image_open(const struct base_image_opts *opts, struct base_image **ret)
{
	_cleanup_(base_image_freep) struct base_image *bi = xcalloc(1, sizeof(*bi));
	_cleanup_free_ char *root = NULL;
	struct base_image_info info;
	int r;

	bi->image = xstrdup(opts->image);
	r = base_image_check(opts->image, "base image", &info);
	if (r < 0)
		return r;
	if (opts->disk_size && info.virtual_size > opts->disk_size) {
		char have[16], want[16];

		return log_error_errno(-EFBIG, "base image '%s' is %s, larger than the profile's "
				       "disk size %s; refusing", opts->image,
				       format_size(info.virtual_size, have, sizeof(have)),
				       format_size(opts->disk_size, want, sizeof(want)));
	}

	r = make_working_copy(opts->image, &info, opts, &bi->work);
	if (r < 0)
		return r;

	r = gfs_handle_new(&bi->g);
	if (r < 0)
		return r;
	if (guestfs_add_drive_opts(bi->g, bi->work, GUESTFS_ADD_DRIVE_OPTS_FORMAT, "qcow2",
				   GUESTFS_ADD_DRIVE_OPTS_DISCARD, "besteffort", -1) < 0)
		return gfs_error(bi->g, "cannot attach the working copy");
	r = gfs_launch(bi->g);
	if (r < 0)
		return r;

	if (opts->disk_size > info.virtual_size) {
		r = grow_partition_table(bi->g);
		if (r < 0)
			return r;
	}
	r = find_root(bi, opts->arch, &root);
	if (r < 0)
		return r;
	r = gfs_mount_root(bi->g, root, false, &bi->mounted);
	if (r < 0)
		return r;

	rootfs_guestfs_open(bi->g, opts->image, &bi->fs);
	*ret = TAKE_PTR(bi);
	return 0;
}

struct rootfs *base_image_rootfs(struct base_image *bi)
{
	return bi->fs;
}

/* Names in a directory of the guest (resolved in the guest); NULL when it is missing. */
static char **guest_ls(guestfs_h *g, const char *dir, char **ret_real)
{
	char *real = guestfs_realpath(g, dir);
	char **names;

	if (!real)
		return NULL;
	names = guestfs_ls(g, real);
	if (ret_real)
		*ret_real = real;
	else
		free(real);
	return names;
}

static const char *const history_names[] = {
	".bash_history", ".sh_history", ".zsh_history", ".ash_history",
	".python_history", ".lesshst", ".viminfo", ".mysql_history",
};

static int remove_histories(struct rootfs *fs, guestfs_h *g)
{
	_cleanup_strv_free_ char **homes = guest_ls(g, "/home", NULL);
	_cleanup_strv_free_ char **dirs = NULL;
	int r = 0;

	strv_push(&dirs, "/root");
	for (char **h = homes; h && *h; h++) {
		_cleanup_free_ char *d = xasprintf("/home/%s", *h);

		strv_push(&dirs, d);
	}
	for (char **d = dirs; *d && r == 0; d++)
		for (size_t i = 0; i < ARRAY_SIZE(history_names) && r == 0; i++) {
			_cleanup_free_ char *p = xasprintf("%s/%s", *d, history_names[i]);

			r = rootfs_remove(fs, p);
		}
	return r;
}

static bool rotated_log(const char *name)
{
	size_t n = strlen(name);

	return str_ends_with(name, ".gz") || str_ends_with(name, ".xz") ||
	       str_ends_with(name, ".zst") || str_ends_with(name, ".old") ||
	       (n > 2 && name[n - 2] == '.' && name[n - 1] >= '0' && name[n - 1] <= '9');
}

/* Rotated logs and journal files go; every other log is truncated to nothing. */
static int clean_logs(guestfs_h *g)
{
	_cleanup_free_ char *real = guestfs_realpath(g, "/var/log");
	_cleanup_strv_free_ char **all = NULL;

	if (!real)
		return 0;
	all = guestfs_find(g, real);
	if (!all)
		return gfs_error(g, "cannot list /var/log in the image");

	for (char **rel = all; *rel; rel++) {
		_cleanup_free_ char *p = xasprintf("%s/%s", real, *rel);
		struct guestfs_statns *st = guestfs_lstatns(g, p);
		const char *name = strrchr(p, '/') + 1;
		bool regular = st && S_ISREG(st->st_mode), empty = st && st->st_size == 0;
		int r = 0;

		guestfs_free_statns(st);
		if (!regular || empty)
			continue;
		if (rotated_log(name) || str_starts_with(*rel, "journal/"))
			r = guestfs_rm(g, p);
		else
			r = guestfs_truncate(g, p);
		if (r < 0)
			return gfs_error(g, "cannot clean a log of the image");
	}
	return 0;
}

/* What the vendor's build, or a boot of it, left that belongs to one machine. */
static int remove_instance_state(struct base_image *bi)
{
	struct rootfs *fs = bi->fs;
	guestfs_h *g = bi->g;
	_cleanup_strv_free_ char **ssh = guest_ls(g, "/etc/ssh", NULL);
	_cleanup_strv_free_ char **cloud = guest_ls(g, "/var/lib/cloud", NULL);
	static const char *const files[] = {
		"/var/lib/systemd/random-seed",
		"/var/lib/faasd/secrets/basic-auth-password",
		"/var/lib/dbus/machine-id",
	};
	int r = 0;

	for (char **s = ssh; s && *s && r == 0; s++)
		if (str_starts_with(*s, "ssh_host_")) {
			_cleanup_free_ char *p = xasprintf("/etc/ssh/%s", *s);

			r = rootfs_remove(fs, p);
		}
	/* As `cloud-init clean` does: everything but the seed. */
	for (char **c = cloud; c && *c && r == 0; c++)
		if (!streq(*c, "seed")) {
			_cleanup_free_ char *p = xasprintf("/var/lib/cloud/%s", *c);

			r = rootfs_remove(fs, p);
		}
	for (size_t i = 0; i < ARRAY_SIZE(files) && r == 0; i++)
		r = rootfs_remove(fs, files[i]);
	if (r == 0 && rootfs_exists(fs, "/etc/machine-id", false) == 1)
		r = rootfs_write_file(fs, "/etc/machine-id", "", 0, 0444, 0, 0);
	if (r == 0 && rootfs_exists(fs, "/var/lib/dbus", true) == 1)
		r = rootfs_symlink(fs, "/etc/machine-id", "/var/lib/dbus/machine-id");
	if (r == 0)
		r = remove_histories(fs, g);
	if (r < 0)
		return log_error_errno(r, "cannot remove per-instance state from '%s': %s",
				       bi->image, strerror(-r));
	return clean_logs(g);
}

/*
 * Overwrites the free blocks of every mounted filesystem with zeros, so that
 * the contents of deleted files (the vendor's, or ours) do not survive in
 * the disk, then discards them, so that the qcow2 does not keep the zeros.
 * zero_free_space writes one file the size of the free space through the
 * appliance: about as long as writing that much to the disk.
 */
static int wipe_free_space(struct base_image *bi)
{
	uint64_t start = now_ms();

	for (char **mp = bi->mounted; mp && *mp; mp++) {
		if (guestfs_zero_free_space(bi->g, *mp) < 0)
			return gfs_error(bi->g, "cannot zero the free space of the image");
		if (guestfs_fstrim(bi->g, *mp, -1) < 0)
			log_debug("cannot trim '%s' in the image: %s", *mp,
				  guestfs_last_error(bi->g));
	}
	log_info("free space zeroed and trimmed in %.1f s", (double)(now_ms() - start) / 1000.0);
	return 0;
}

int base_image_finish(struct base_image *bi, const struct hygiene_opts *hygiene,
		      char **ret_path)
{
	struct hygiene_report report = {0};
	int r;

	r = remove_instance_state(bi);
	if (r < 0)
		return r;

	r = inspect_check_mounted(bi->g, hygiene, &report);
	if (r > 0) {
		hygiene_log(&report);
		r = log_error_errno(-EBADMSG, "the customized image still holds %zu secret(s) or "
				    "per-instance file(s); refusing", report.n);
	}
	hygiene_report_release(&report);
	if (r < 0)
		return r;

	r = wipe_free_space(bi);
	if (r < 0)
		return r;
	rootfs_free(bi->fs);
	bi->fs = NULL;
	if (guestfs_umount_all(bi->g) < 0)
		return gfs_error(bi->g, "cannot unmount the image's filesystems");
	if (guestfs_shutdown(bi->g) < 0)
		return gfs_error(bi->g, "the libguestfs appliance did not shut down cleanly");
	guestfs_close(bi->g);
	bi->g = NULL;

	*ret_path = xstrdup(bi->work);
	bi->handed_over = true;
	return 0;
}

void base_image_free(struct base_image *bi)
{
	if (!bi)
		return;
	rootfs_free(bi->fs);
	if (bi->g)
		guestfs_close(bi->g);
	if (bi->work && !bi->handed_over) {
		unlink(bi->work);
		temp_unregister(bi->work);
	}
	strv_free(bi->mounted);
	free(bi->work);
	free(bi->image);
	free(bi);
}
