// SPDX-License-Identifier: MIT
/*
 * The libguestfs back end of the root tree interface: the filesystems of a
 * disk image, mounted in a libguestfs appliance, changed with guestfs
 * calls. The appliance's daemon sees the guest under its own /sysroot, so a
 * path handed to most calls is resolved with the appliance's root: an
 * absolute symlink in the guest ("/etc/x -> /etc/shadow") would point into
 * the appliance. Every operation therefore first resolves the parent
 * directory with guestfs_realpath, which runs chrooted in the guest, and
 * then works on "real parent + last component", never following that last
 * component. Nothing here runs a program of the guest.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "guestfs-util.h"
#include "log.h"
#include "run.h"
#include "util.h"

/* guestfs_write and guestfs_read_file carry the data in one protocol message (4 MiB at most). */
#define INLINE_MAX (2u << 20)

struct rootfs_guestfs {
	struct rootfs base;
	guestfs_h *g;
};

static guestfs_h *handle(struct rootfs *fs)
{
	return ((struct rootfs_guestfs *)fs)->g;
}

/* Logs an unexpected libguestfs failure once, at debug level for the errno the caller expects. */
static int failed(guestfs_h *g, const char *what, const char *path, int quiet_errno)
{
	int r = gfs_errno(g);
	const char *msg = guestfs_last_error(g);

	if (r == quiet_errno)
		log_debug("%s '%s': %s", what, path, msg ? msg : "");
	else
		log_error("%s '%s' in the image: %s", what, path, msg ? msg : "libguestfs error");
	return r;
}

/* Splits path into its real parent directory (resolved in the guest) and its last component. */
static int resolve_parent(guestfs_h *g, const char *path, char **ret_parent, char **ret_name)
{
	const char *slash = strrchr(path, '/');
	_cleanup_free_ char *dir = NULL;
	char *real;

	if (!slash || slash[1] == '\0')
		return -EINVAL;
	dir = slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
	real = guestfs_realpath(g, dir);
	if (!real)
		return failed(g, "cannot resolve", dir, -ENOENT);
	*ret_parent = real;
	*ret_name = xstrdup(slash + 1);
	return 0;
}

static char *join(const char *parent, const char *name)
{
	return streq(parent, "/") ? xasprintf("/%s", name) : xasprintf("%s/%s", parent, name);
}

/* 1 and the lstat of path when it exists, 0 when not, else a negative errno. */
static int lstat_path(guestfs_h *g, const char *path, struct guestfs_statns *ret)
{
	struct guestfs_statns *st = guestfs_lstatns(g, path);

	if (!st) {
		int r = gfs_errno(g);

		return r == -ENOENT ? 0 : failed(g, "cannot stat", path, 0);
	}
	if (ret)
		*ret = *st;
	guestfs_free_statns(st);
	return 1;
}

/* Sets mode and owner of the freshly written temporary, then renames it over final. */
static int finish_temporary(guestfs_h *g, const char *tmp, const char *final, mode_t mode,
			    uid_t uid, gid_t gid)
{
	struct guestfs_statns st;
	int r;

	if (guestfs_chmod(g, (int)(mode & 07777), tmp) < 0 ||
	    guestfs_lchown(g, (int)uid, (int)gid, tmp) < 0) {
		r = failed(g, "cannot set mode and owner of", tmp, 0);
		goto fail;
	}
	r = lstat_path(g, final, &st);
	if (r > 0 && S_ISDIR(st.st_mode)) {
		r = -EISDIR;
		goto fail;
	}
	if (guestfs_rename(g, tmp, final) < 0) {
		r = failed(g, "cannot rename into place", final, 0);
		goto fail;
	}
	return 0;
fail:
	guestfs_rm_f(g, tmp);
	return r < 0 ? r : -EIO;
}

/* Writes host_path or data (one of the two) to a temporary beside path, then renames it. */
static int put_file(struct rootfs *fs, const char *path, const char *host_path, const void *data,
		    size_t len, mode_t mode, uid_t uid, gid_t gid)
{
	guestfs_h *g = handle(fs);
	_cleanup_free_ char *parent = NULL, *name = NULL, *final = NULL, *tmp = NULL;
	int r;

	r = resolve_parent(g, path, &parent, &name);
	if (r < 0)
		return r;
	final = join(parent, name);
	tmp = xasprintf("%s/.%s.faasd-image-tmp", streq(parent, "/") ? "" : parent, name);

	if (guestfs_rm_f(g, tmp) < 0)
		return failed(g, "cannot remove", tmp, 0);
	if (host_path)
		r = guestfs_upload(g, host_path, tmp);
	else
		r = guestfs_write(g, tmp, data, len);
	if (r < 0) {
		r = failed(g, "cannot write", final, 0);
		guestfs_rm_f(g, tmp);
		return r;
	}
	return finish_temporary(g, tmp, final, mode, uid, gid);
}

/* Large contents go through a host temporary and guestfs_upload. */
static int put_large(struct rootfs *fs, const char *path, const void *data, size_t len,
		     mode_t mode, uid_t uid, gid_t gid)
{
	const char *dir = getenv("TMPDIR");
	_cleanup_free_ char *host = xasprintf("%s/faasd-image-upload.XXXXXX",
					      str_empty(dir) ? "/tmp" : dir);
	_cleanup_close_ int fd = mkostemp(host, O_CLOEXEC);
	const char *p = data;
	size_t left = len;
	int r = 0;

	if (fd < 0)
		return -errno;
	temp_register(host);
	while (left > 0 && r == 0) {
		ssize_t n = write(fd, p, left);

		if (n < 0 && errno != EINTR)
			r = -errno;
		else if (n > 0) {
			p += n;
			left -= (size_t)n;
		}
	}
	if (r == 0)
		r = put_file(fs, path, host, NULL, 0, mode, uid, gid);
	unlink(host);
	temp_unregister(host);
	return r;
}

static int gfs_write_file(struct rootfs *fs, const char *path, const void *data, size_t len,
			  mode_t mode, uid_t uid, gid_t gid)
{
	if (len > INLINE_MAX)
		return put_large(fs, path, data, len, mode, uid, gid);
	return put_file(fs, path, NULL, data, len, mode, uid, gid);
}

static int gfs_copy_in(struct rootfs *fs, const char *host_path, const char *path, mode_t mode,
		       uid_t uid, gid_t gid)
{
	if (!file_exists(host_path))
		return -ENOENT;
	return put_file(fs, path, host_path, NULL, 0, mode, uid, gid);
}

/* mkdir -p, one component at a time, each symlink met resolved in the guest. */
static int gfs_mkdir(struct rootfs *fs, const char *path, mode_t mode)
{
	guestfs_h *g = handle(fs);
	_cleanup_free_ char *cur = xstrdup("/");
	const char *p = path;

	while (*p) {
		_cleanup_free_ char *comp = NULL, *next = NULL;
		struct guestfs_statns st;
		size_t n;
		int r;

		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if (n == 0)
			break;
		comp = xstrndup(p, n);
		p += n;
		next = join(cur, comp);

		r = lstat_path(g, next, &st);
		if (r < 0)
			return r;
		if (r == 0) {
			if (guestfs_mkdir_mode(g, next, (int)(mode & 07777)) < 0 ||
			    guestfs_chmod(g, (int)(mode & 07777), next) < 0)
				return failed(g, "cannot make directory", next, 0);
		} else if (S_ISLNK(st.st_mode)) {
			char *real = guestfs_realpath(g, next);

			if (!real)
				return failed(g, "cannot resolve", next, -ENOENT);
			free(next);
			next = real;
			if (lstat_path(g, next, &st) <= 0 || !S_ISDIR(st.st_mode))
				return -ENOTDIR;
		} else if (!S_ISDIR(st.st_mode)) {
			return -ENOTDIR;
		}
		free(cur);
		cur = TAKE_PTR(next);
	}
	return 0;
}

static int gfs_symlink(struct rootfs *fs, const char *target, const char *path)
{
	guestfs_h *g = handle(fs);
	_cleanup_free_ char *parent = NULL, *name = NULL, *final = NULL;
	struct guestfs_statns st;
	int r;

	r = resolve_parent(g, path, &parent, &name);
	if (r < 0)
		return r;
	final = join(parent, name);

	r = lstat_path(g, final, &st);
	if (r < 0)
		return r;
	if (r > 0 && S_ISDIR(st.st_mode))
		return -EISDIR;
	if (r > 0 && guestfs_rm(g, final) < 0)
		return failed(g, "cannot replace", final, 0);
	if (guestfs_ln_s(g, target, final) < 0)
		return failed(g, "cannot make symlink", final, 0);
	return 0;
}

static int gfs_remove(struct rootfs *fs, const char *path)
{
	guestfs_h *g = handle(fs);
	_cleanup_free_ char *parent = NULL, *name = NULL, *final = NULL;
	int r;

	r = resolve_parent(g, path, &parent, &name);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	final = join(parent, name);
	if (streq(final, "/"))
		return -EINVAL;
	if (guestfs_rm_rf(g, final) < 0)
		return failed(g, "cannot remove", final, 0);
	return 0;
}

/* Reads a file too large for one protocol message through a host temporary. */
static int read_large(guestfs_h *g, const char *real, size_t max_size, char **ret,
		      size_t *ret_len)
{
	const char *dir = getenv("TMPDIR");
	_cleanup_free_ char *host = xasprintf("%s/faasd-image-download.XXXXXX",
					      str_empty(dir) ? "/tmp" : dir);
	_cleanup_close_ int fd = mkostemp(host, O_CLOEXEC);
	int r;

	if (fd < 0)
		return -errno;
	temp_register(host);
	r = guestfs_download(g, real, host) < 0 ? failed(g, "cannot read", real, 0) : 0;
	if (r == 0)
		r = read_file(host, max_size, ret, ret_len);
	unlink(host);
	temp_unregister(host);
	return r;
}

static int gfs_read_file(struct rootfs *fs, const char *path, size_t max_size, char **ret,
			 size_t *ret_len)
{
	guestfs_h *g = handle(fs);
	_cleanup_free_ char *real = guestfs_realpath(g, path);
	struct guestfs_statns st;
	char *data;
	size_t len;
	int r;

	if (!real)
		return failed(g, "cannot resolve", path, -ENOENT);
	r = lstat_path(g, real, &st);
	if (r <= 0)
		return r < 0 ? r : -ENOENT;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if ((uint64_t)st.st_size > max_size)
		return -EFBIG;
	if ((uint64_t)st.st_size > INLINE_MAX)
		return read_large(g, real, max_size, ret, ret_len);

	data = guestfs_read_file(g, real, &len);
	if (!data)
		return failed(g, "cannot read", real, 0);
	if (len > max_size) {
		free(data);
		return -EFBIG;
	}
	*ret = xmalloc(len + 1);
	memcpy(*ret, data, len);
	(*ret)[len] = '\0';
	free(data);
	if (ret_len)
		*ret_len = len;
	return 0;
}

static int gfs_exists(struct rootfs *fs, const char *path, bool follow)
{
	guestfs_h *g = handle(fs);
	_cleanup_free_ char *parent = NULL, *name = NULL, *final = NULL;
	int r;

	if (streq(path, "/"))
		return 1;
	if (follow) {
		char *real = guestfs_realpath(g, path);

		if (!real)
			return gfs_errno(g) == -ENOENT ? 0 : failed(g, "cannot resolve", path, 0);
		r = lstat_path(g, real, NULL);
		free(real);
		return r;
	}
	r = resolve_parent(g, path, &parent, &name);
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	final = join(parent, name);
	return lstat_path(g, final, NULL);
}

static void gfs_free(struct rootfs *fs)
{
	free(fs);
}

static const struct rootfs_ops guestfs_ops = {
	.write_file = gfs_write_file,
	.copy_in = gfs_copy_in,
	.mkdir = gfs_mkdir,
	.symlink = gfs_symlink,
	.remove = gfs_remove,
	.read_file = gfs_read_file,
	.exists = gfs_exists,
	.free = gfs_free,
};

int rootfs_guestfs_open(guestfs_h *g, const char *description, struct rootfs **ret)
{
	struct rootfs_guestfs *fs = xcalloc(1, sizeof(*fs));

	fs->base.ops = &guestfs_ops;
	fs->base.description = xstrdup(description);
	fs->g = g;
	*ret = &fs->base;
	return 0;
}
