/* SPDX-License-Identifier: MIT */
/*
 * A root tree to change, behind one small interface: write a file with its
 * mode and owner, copy a host file in, make a directory, make a symlink,
 * remove, read a file, test for a path, enable a unit. The stack stage
 * writes through it and never learns whether the tree is a directory on
 * the host (rootfs-dir.c) or the filesystem of a disk image.
 *
 * Every path given here is absolute and meant inside the tree: a path with
 * a ".." component is refused, and symlinks met on the way are resolved
 * inside the tree, so that nothing ever lands on, or is read from, the
 * host. A back end never runs programs of the tree (no chroot, no
 * systemctl).
 */
#ifndef FAASD_IMAGE_ROOTFS_H
#define FAASD_IMAGE_ROOTFS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct rootfs;

struct rootfs_ops {
	int (*write_file)(struct rootfs *fs, const char *path, const void *data, size_t len,
			  mode_t mode, uid_t uid, gid_t gid);
	int (*copy_in)(struct rootfs *fs, const char *host_path, const char *path, mode_t mode,
		       uid_t uid, gid_t gid);
	int (*mkdir)(struct rootfs *fs, const char *path, mode_t mode);
	int (*symlink)(struct rootfs *fs, const char *target, const char *path);
	int (*remove)(struct rootfs *fs, const char *path);
	int (*read_file)(struct rootfs *fs, const char *path, size_t max_size, char **ret,
			 size_t *ret_len);
	int (*exists)(struct rootfs *fs, const char *path, bool follow);
	void (*free)(struct rootfs *fs);
};

struct rootfs {
	const struct rootfs_ops *ops;
	char *description; /* for messages: the directory, or the image's name */
};

/*
 * A root tree that is a directory on the host. root must exist. The handle
 * keeps the directory open; *ret is freed with rootfs_free(). Returns 0 or
 * a negative errno (nothing logged).
 */
int rootfs_dir_open(const char *root, struct rootfs **ret);

/* Tests only: false makes the directory back end use its own walk instead of openat2. */
void rootfs_dir_use_openat2(bool use);

void rootfs_free(struct rootfs *fs);
static inline void rootfs_freep(struct rootfs **fs)
{
	rootfs_free(*fs);
}

/* 0 when path is absolute and has no "." or ".." component, else -EINVAL. */
int rootfs_path_check(const char *path);

/*
 * The operations. Each returns 0 or a negative errno and logs nothing:
 * -EINVAL for a path refused by rootfs_path_check(), -ENOENT when a parent
 * directory is missing (rootfs_write_file() and rootfs_symlink() do not
 * create parents; rootfs_mkdir() does, like mkdir -p).
 *
 * rootfs_write_file() replaces path atomically (a temporary beside it,
 * renamed), so a symlink at path is replaced rather than followed.
 * rootfs_copy_in() does the same with the contents of a host file.
 * rootfs_symlink() replaces whatever file or symlink is at path.
 * rootfs_remove() removes a file, a symlink or a whole directory tree;
 * missing is not an error.
 * rootfs_read_file() reads at most max_size bytes (-EFBIG beyond) and
 * NUL-terminates; the caller frees *ret.
 * rootfs_exists() returns 1 or 0, or a negative errno; with follow false a
 * dangling symlink exists.
 */
int rootfs_write_file(struct rootfs *fs, const char *path, const void *data, size_t len,
		      mode_t mode, uid_t uid, gid_t gid);
int rootfs_write_string(struct rootfs *fs, const char *path, const char *text, mode_t mode);
int rootfs_copy_in(struct rootfs *fs, const char *host_path, const char *path, mode_t mode,
		   uid_t uid, gid_t gid);
int rootfs_mkdir(struct rootfs *fs, const char *path, mode_t mode);
int rootfs_symlink(struct rootfs *fs, const char *target, const char *path);
int rootfs_remove(struct rootfs *fs, const char *path);
int rootfs_read_file(struct rootfs *fs, const char *path, size_t max_size, char **ret,
		     size_t *ret_len);
int rootfs_exists(struct rootfs *fs, const char *path, bool follow);

/*
 * Enables a systemd unit the way `systemctl enable` would, without running
 * it: finds unit_name under /etc/systemd/system, /usr/lib/systemd/system
 * or /lib/systemd/system in the tree, reads the WantedBy= and RequiredBy=
 * lines of its [Install] section and makes one symlink per target in
 * /etc/systemd/system/TARGET.wants/ (or .requires/). -ENOENT when the unit
 * is not there, -ENOEXEC when it has no [Install] target.
 */
int rootfs_enable_unit(struct rootfs *fs, const char *unit_name);

#endif
