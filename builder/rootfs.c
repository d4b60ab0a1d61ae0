// SPDX-License-Identifier: MIT
/*
 * The generic half of the root tree interface: path checks, the calls that
 * dispatch to a back end, and enabling a unit, which is plain file work
 * (read the unit's [Install] section, make the .wants symlinks) and so is
 * the same for every back end. Nothing here runs systemctl or any program
 * of the tree.
 */
#include <errno.h>
#include <sys/stat.h>

#include "rootfs.h"
#include "util.h"

#define UNIT_MAX_SIZE (1u << 20)

int rootfs_path_check(const char *path)
{
	const char *p;

	if (str_empty(path) || path[0] != '/')
		return -EINVAL;

	for (p = path; *p;) {
		size_t n;

		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return -EINVAL;
		p += n;
	}
	return 0;
}

void rootfs_free(struct rootfs *fs)
{
	if (!fs)
		return;
	free(fs->description);
	fs->ops->free(fs);
}

int rootfs_write_file(struct rootfs *fs, const char *path, const void *data, size_t len,
		      mode_t mode, uid_t uid, gid_t gid)
{
	if (rootfs_path_check(path) < 0)
		return -EINVAL;
	return fs->ops->write_file(fs, path, data, len, mode, uid, gid);
}

int rootfs_write_string(struct rootfs *fs, const char *path, const char *text, mode_t mode)
{
	return rootfs_write_file(fs, path, text, strlen(text), mode, 0, 0);
}

int rootfs_copy_in(struct rootfs *fs, const char *host_path, const char *path, mode_t mode,
		   uid_t uid, gid_t gid)
{
	if (rootfs_path_check(path) < 0)
		return -EINVAL;
	return fs->ops->copy_in(fs, host_path, path, mode, uid, gid);
}

int rootfs_mkdir(struct rootfs *fs, const char *path, mode_t mode)
{
	if (rootfs_path_check(path) < 0)
		return -EINVAL;
	return fs->ops->mkdir(fs, path, mode);
}

int rootfs_symlink(struct rootfs *fs, const char *target, const char *path)
{
	if (rootfs_path_check(path) < 0 || str_empty(target))
		return -EINVAL;
	return fs->ops->symlink(fs, target, path);
}

int rootfs_remove(struct rootfs *fs, const char *path)
{
	if (rootfs_path_check(path) < 0 || streq(path, "/"))
		return -EINVAL;
	return fs->ops->remove(fs, path);
}

int rootfs_read_file(struct rootfs *fs, const char *path, size_t max_size, char **ret,
		     size_t *ret_len)
{
	if (rootfs_path_check(path) < 0)
		return -EINVAL;
	return fs->ops->read_file(fs, path, max_size, ret, ret_len);
}

int rootfs_exists(struct rootfs *fs, const char *path, bool follow)
{
	if (rootfs_path_check(path) < 0)
		return -EINVAL;
	return fs->ops->exists(fs, path, follow);
}

static const char *const unit_dirs[] = {
	"/etc/systemd/system",
	"/usr/lib/systemd/system",
	"/lib/systemd/system",
};

/* Collects the values of KEY= lines in the [Install] section, split on blanks. */
static void install_targets(const char *unit, const char *key, char ***ret)
{
	bool in_install = false;
	size_t key_len = strlen(key);
	const char *line = unit;

	while (*line) {
		size_t n = strcspn(line, "\n");
		const char *p = line;

		while (p < line + n && (*p == ' ' || *p == '\t'))
			p++;
		if (*p == '[')
			in_install = (size_t)(line + n - p) >= 9 && strncmp(p, "[Install]", 9) == 0;
		else if (in_install && strncmp(p, key, key_len) == 0 && p[key_len] == '=') {
			const char *v = p + key_len + 1;

			while (v < line + n) {
				size_t w;

				while (v < line + n && (*v == ' ' || *v == '\t'))
					v++;
				w = strcspn(v, " \t\n");
				if (w > 0 && v + w <= line + n) {
					_cleanup_free_ char *t = xstrndup(v, w);

					strv_push(ret, t);
				}
				v += w;
			}
		}
		line += n;
		if (*line == '\n')
			line++;
	}
}

static bool unit_name_valid(const char *name)
{
	if (str_empty(name) || strlen(name) > 255 || strchr(name, '/') || name[0] == '.')
		return false;
	return strchr(name, '.') != NULL;
}

int rootfs_enable_unit(struct rootfs *fs, const char *unit_name)
{
	_cleanup_free_ char *unit = NULL, *unit_path = NULL;
	_cleanup_strv_free_ char **wanted = NULL, **required = NULL;
	size_t i;
	int r = -ENOENT;

	if (!unit_name_valid(unit_name))
		return -EINVAL;

	for (i = 0; i < ARRAY_SIZE(unit_dirs) && r == -ENOENT; i++) {
		free(unit_path);
		unit_path = xasprintf("%s/%s", unit_dirs[i], unit_name);
		r = rootfs_read_file(fs, unit_path, UNIT_MAX_SIZE, &unit, NULL);
	}
	if (r < 0)
		return r;

	install_targets(unit, "WantedBy", &wanted);
	install_targets(unit, "RequiredBy", &required);
	if (!wanted && !required)
		return -ENOEXEC;

	for (i = 0; i < 2; i++) {
		char **targets = i == 0 ? wanted : required;

		for (char **t = targets; t && *t; t++) {
			_cleanup_free_ char *dir = NULL, *link = NULL;

			if (!unit_name_valid(*t))
				return -EINVAL;
			dir = xasprintf("/etc/systemd/system/%s.%s", *t,
					i == 0 ? "wants" : "requires");
			r = rootfs_mkdir(fs, dir, 0755);
			if (r < 0)
				return r;
			link = xasprintf("%s/%s", dir, unit_name);
			r = rootfs_symlink(fs, unit_path, link);
			if (r < 0)
				return r;
		}
	}
	return 0;
}
