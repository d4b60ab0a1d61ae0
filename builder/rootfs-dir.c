// SPDX-License-Identifier: MIT
/*
 * The directory back end of the root tree interface: a tree on the host
 * (a bootstrap's output) changed with *at() calls relative to a file
 * descriptor of its root. Every path is resolved inside the tree: with
 * openat2(RESOLVE_IN_ROOT) where the kernel has it, else with a walk of our
 * own that resolves each symlink against the tree's root and clamps ".."
 * there. An absolute symlink in the tree ("/lib -> usr/lib", or a hostile
 * "/etc/x -> /etc/shadow") therefore always means the tree's file, never
 * the host's. The final component of a write is never followed: a file is
 * written to a temporary beside it and renamed over whatever was there.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <dirent.h>

#include "rootfs.h"
#include "util.h"

#define MAX_SYMLINKS 40
#define COPY_CHUNK (1u << 20)

struct rootfs_dir {
	struct rootfs base;
	int root_fd;
};

static bool openat2_missing;

void rootfs_dir_use_openat2(bool use)
{
	openat2_missing = !use;
}

static struct rootfs_dir *to_dir(struct rootfs *fs)
{
	return (struct rootfs_dir *)fs;
}

/* The path relative to the root, "." for the root itself. */
static const char *relative(const char *path)
{
	while (*path == '/')
		path++;
	return *path ? path : ".";
}

/*
 * Resolves path inside the tree without openat2: every symlink on the way
 * (and the last component when follow_last) is read and resolved against
 * the root; ".." stops at the root. Returns the resolved path relative to
 * the root, whose components are no symlinks (but the last, when not
 * followed).
 */
static int walk_resolve(int root_fd, const char *path, bool follow_last, char **ret)
{
	struct strbuf resolved = STRBUF_INIT;
	_cleanup_free_ char *rest = xstrdup(path);
	int links = 0;
	char *p = rest;

	for (;;) {
		_cleanup_free_ char *comp = NULL, *candidate = NULL;
		struct stat st;
		bool last;
		size_t n;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		n = strcspn(p, "/");
		comp = xstrndup(p, n);
		p += n;
		last = strspn(p, "/") == strlen(p);

		if (streq(comp, "."))
			continue;
		if (streq(comp, "..")) {
			char *slash = resolved.len ? strrchr(resolved.buf, '/') : NULL;

			if (slash) {
				resolved.len = (size_t)(slash - resolved.buf);
				resolved.buf[resolved.len] = '\0';
			}
			continue;
		}

		candidate = xasprintf("%s/%s", resolved.len ? resolved.buf : "", comp);
		if (fstatat(root_fd, relative(candidate), &st, AT_SYMLINK_NOFOLLOW) < 0) {
			int r = -errno;

			if (r == -ENOENT && last) {
				strbuf_adds(&resolved, "/");
				strbuf_adds(&resolved, comp);
				break;
			}
			strbuf_release(&resolved);
			return r;
		}

		if (S_ISLNK(st.st_mode) && (!last || follow_last)) {
			char target[4096];
			ssize_t k = readlinkat(root_fd, relative(candidate), target,
					       sizeof(target) - 1);
			char *next;

			if (k < 0 || ++links > MAX_SYMLINKS) {
				strbuf_release(&resolved);
				return k < 0 ? -errno : -ELOOP;
			}
			target[k] = '\0';
			if (target[0] == '/')
				resolved.len = 0;
			if (resolved.buf)
				resolved.buf[resolved.len] = '\0';
			next = xasprintf("%s/%s", target, p);
			free(rest);
			rest = next;
			p = rest;
			continue;
		}

		strbuf_adds(&resolved, "/");
		strbuf_adds(&resolved, comp);
	}

	*ret = xstrdup(relative(resolved.len ? resolved.buf : ""));
	strbuf_release(&resolved);
	return 0;
}

/* Opens path (absolute, inside the tree) with flags, resolving symlinks in the root. */
static int open_in_root(struct rootfs_dir *d, const char *path, int flags, mode_t mode,
			bool follow_last)
{
	_cleanup_free_ char *rel = NULL;
	int fd, r;

	if (!openat2_missing && follow_last) {
		struct open_how how = {
			.flags = (uint64_t)flags | O_CLOEXEC,
			.mode = (flags & O_CREAT) ? mode : 0,
			.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
		};

		fd = (int)syscall(SYS_openat2, d->root_fd, relative(path), &how, sizeof(how));
		if (fd >= 0)
			return fd;
		if (errno != ENOSYS && errno != EPERM)
			return -errno;
		openat2_missing = true;
	}

	r = walk_resolve(d->root_fd, path, follow_last, &rel);
	if (r < 0)
		return r;
	fd = openat(d->root_fd, rel, flags | O_CLOEXEC | (follow_last ? 0 : O_NOFOLLOW), mode);
	return fd < 0 ? -errno : fd;
}

/* Splits path into its parent directory, opened inside the tree, and its last name. */
static int open_parent(struct rootfs_dir *d, const char *path, int *ret_fd, char **ret_name)
{
	const char *slash = strrchr(path, '/');
	_cleanup_free_ char *parent = NULL;
	int fd;

	if (!slash || !slash[1])
		return -EINVAL;
	parent = slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
	fd = open_in_root(d, parent, O_PATH | O_DIRECTORY, 0, true);
	if (fd < 0)
		return fd;
	*ret_fd = fd;
	*ret_name = xstrdup(slash + 1);
	return 0;
}

static int write_all_fd(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int copy_fd(int from, int to)
{
	_cleanup_free_ char *buf = xmalloc(COPY_CHUNK);

	for (;;) {
		ssize_t n = read(from, buf, COPY_CHUNK);
		int r;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		r = write_all_fd(to, buf, (size_t)n);
		if (r < 0)
			return r;
	}
}

/* Writes data (or the contents of host_fd when data is NULL) to path via a temporary. */
static int write_common(struct rootfs *fs, const char *path, const void *data, size_t len,
			int host_fd, mode_t mode, uid_t uid, gid_t gid)
{
	_cleanup_free_ char *name = NULL, *tmp = NULL;
	_cleanup_close_ int parent = -1;
	int fd, r;

	r = open_parent(to_dir(fs), path, &parent, &name);
	if (r < 0)
		return r;

	tmp = xasprintf(".%s.faasd-image-tmp.%ld", name, (long)getpid());
	fd = openat(parent, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;

	r = data ? write_all_fd(fd, data, len) : copy_fd(host_fd, fd);
	/* chown first: it clears set-id bits that fchmod then sets. */
	if (r == 0 && fchown(fd, uid, gid) < 0)
		r = -errno;
	if (r == 0 && fchmod(fd, mode) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && renameat(parent, tmp, parent, name) < 0)
		r = -errno;
	if (r < 0)
		unlinkat(parent, tmp, 0);
	return r;
}

static int dir_write_file(struct rootfs *fs, const char *path, const void *data, size_t len,
			  mode_t mode, uid_t uid, gid_t gid)
{
	return write_common(fs, path, data ? data : "", len, -1, mode, uid, gid);
}

static int dir_copy_in(struct rootfs *fs, const char *host_path, const char *path, mode_t mode,
		       uid_t uid, gid_t gid)
{
	_cleanup_close_ int fd = open(host_path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	return write_common(fs, path, NULL, 0, fd, mode, uid, gid);
}

static int dir_mkdir(struct rootfs *fs, const char *path, mode_t mode)
{
	struct rootfs_dir *d = to_dir(fs);
	_cleanup_free_ char *copy = xstrdup(path);
	char *p = copy;

	for (;;) {
		char *slash;
		int fd;

		p += strspn(p, "/");
		if (!*p)
			return 0;
		slash = strchr(p, '/');
		if (slash)
			*slash = '\0';

		fd = open_in_root(d, copy, O_PATH | O_DIRECTORY, 0, true);
		if (fd >= 0) {
			close(fd);
		} else if (fd == -ENOENT) {
			_cleanup_free_ char *name = NULL;
			_cleanup_close_ int parent = -1;
			int r = open_parent(d, copy, &parent, &name);

			if (r < 0)
				return r;
			if (mkdirat(parent, name, mode) < 0 && errno != EEXIST)
				return -errno;
		} else {
			return fd;
		}

		if (!slash)
			return 0;
		*slash = '/';
		p = slash + 1;
	}
}

static int dir_symlink(struct rootfs *fs, const char *target, const char *path)
{
	_cleanup_free_ char *name = NULL;
	_cleanup_close_ int parent = -1;
	struct stat st;
	int r;

	r = open_parent(to_dir(fs), path, &parent, &name);
	if (r < 0)
		return r;
	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISDIR(st.st_mode))
			return -EISDIR;
		if (unlinkat(parent, name, 0) < 0)
			return -errno;
	}
	return symlinkat(target, parent, name) < 0 ? -errno : 0;
}

/* rm -rf of name in dir_fd, never following a symlink. */
static int remove_at(int dir_fd, const char *name)
{
	struct stat st;
	DIR *dir;
	struct dirent *e;
	int fd, r = 0;

	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dir_fd, name, 0) < 0 ? -errno : 0;

	fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -errno;
	}
	while ((e = readdir(dir))) {
		int k;

		if (streq(e->d_name, ".") || streq(e->d_name, ".."))
			continue;
		k = remove_at(fd, e->d_name);
		if (k < 0 && r == 0)
			r = k;
	}
	closedir(dir);
	if (unlinkat(dir_fd, name, AT_REMOVEDIR) < 0 && r == 0)
		r = -errno;
	return r;
}

static int dir_remove(struct rootfs *fs, const char *path)
{
	_cleanup_free_ char *name = NULL;
	_cleanup_close_ int parent = -1;
	int r;

	r = open_parent(to_dir(fs), path, &parent, &name);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	return remove_at(parent, name);
}

static int dir_read_file(struct rootfs *fs, const char *path, size_t max_size, char **ret,
			 size_t *ret_len)
{
	_cleanup_close_ int fd = -1;
	struct strbuf sb = STRBUF_INIT;
	char chunk[65536];

	fd = open_in_root(to_dir(fs), path, O_RDONLY, 0, true);
	if (fd < 0)
		return fd;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || sb.len + (size_t)(n > 0 ? n : 0) > max_size) {
			int r = n < 0 ? -errno : -EFBIG;

			strbuf_release(&sb);
			return r;
		}
		if (n == 0)
			break;
		strbuf_add(&sb, chunk, (size_t)n);
	}
	*ret = strbuf_detach(&sb, ret_len);
	return 0;
}

static int dir_path_exists(struct rootfs *fs, const char *path, bool follow)
{
	_cleanup_free_ char *name = NULL;
	_cleanup_close_ int parent = -1;
	struct stat st;
	int fd, r;

	if (follow) {
		fd = open_in_root(to_dir(fs), path, O_PATH, 0, true);
		if (fd >= 0)
			close(fd);
		return fd >= 0 ? 1 : fd == -ENOENT ? 0 : fd;
	}
	if (streq(relative(path), "."))
		return 1;
	r = open_parent(to_dir(fs), path, &parent, &name);
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	return 1;
}

static void dir_free(struct rootfs *fs)
{
	struct rootfs_dir *d = to_dir(fs);

	if (d->root_fd >= 0)
		close(d->root_fd);
	free(d);
}

static const struct rootfs_ops dir_ops = {
	.write_file = dir_write_file,
	.copy_in = dir_copy_in,
	.mkdir = dir_mkdir,
	.symlink = dir_symlink,
	.remove = dir_remove,
	.read_file = dir_read_file,
	.exists = dir_path_exists,
	.free = dir_free,
};

int rootfs_dir_open(const char *root, struct rootfs **ret)
{
	struct rootfs_dir *d;
	int fd;

	fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;

	d = xcalloc(1, sizeof(*d));
	d->base.ops = &dir_ops;
	d->base.description = xstrdup(root);
	d->root_fd = fd;
	*ret = &d->base;
	return 0;
}
