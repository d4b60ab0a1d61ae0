// SPDX-License-Identifier: MIT
/*
 * Laying the faasd stack onto a root tree. Each entry of the plan's file
 * list is one small step here; templates are read from the data directory
 * as they are (they carry no placeholders: every value an image needs at
 * boot lives in a generated file such as /etc/faasd-image/faasd.env),
 * tarball members are installed into a host work directory by archive.c's
 * allow-list extraction and then copied in, and units are enabled with
 * WantedBy symlinks.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>

#include "extract.h"
#include "log.h"
#include "paths.h"
#include "run.h"
#include "rootfs.h"
#include "stack.h"
#include "util.h"

#define TEMPLATE_MAX (1u << 20)

static int make_parent(struct rootfs *fs, const char *path)
{
	_cleanup_free_ char *parent = xstrdup(path);
	char *slash = strrchr(parent, '/');

	if (!slash || slash == parent)
		return 0;
	*slash = '\0';
	return rootfs_mkdir(fs, parent, 0755);
}

static int lay_template(struct rootfs *fs, const struct plan_file *f)
{
	_cleanup_free_ char *rel = xasprintf("templates/%s", f->source);
	_cleanup_free_ char *path = data_path(rel), *text = NULL;
	size_t len;
	int r;

	r = read_file(path, TEMPLATE_MAX, &text, &len);
	if (r < 0)
		return log_error_errno(r, "cannot read template '%s': %s", path, strerror(-r));
	return rootfs_write_file(fs, f->path, text, len, f->mode, 0, 0);
}

static int lay_archive(const struct plan *plan, struct rootfs *fs, const struct plan_file *f,
		       const char *work_dir)
{
	const struct plan_artifact *a = &plan->artifacts[f->artifact];
	_cleanup_free_ char *dir = xasprintf("%s/%s", work_dir, a->lock->component);
	int r;

	r = mkdir_p(dir, 0755);
	if (r < 0)
		return log_error_errno(r, "cannot make '%s': %s", dir, strerror(-r));
	r = archive_install_members(a->cache_path, f->members, dir);
	if (r < 0)
		return r;

	r = rootfs_mkdir(fs, f->path, 0755);
	for (char **m = f->members; r == 0 && *m; m++) {
		const char *base = strrchr(*m, '/') ? strrchr(*m, '/') + 1 : *m;
		_cleanup_free_ char *from = path_join(dir, base), *to = path_join(f->path, base);

		r = rootfs_copy_in(fs, from, to, f->mode, 0, 0);
		if (r < 0)
			log_error("cannot install '%s' from %s %s: %s", to, a->lock->component,
				  a->lock->version, strerror(-r));
	}
	remove_tree(dir);
	return r;
}

static int image_name_filter(const struct dirent *e)
{
	return e->d_name[0] != '.' && str_ends_with(e->d_name, ".tar");
}

static int lay_images(struct rootfs *fs, const struct plan_file *f)
{
	struct dirent **names = NULL;
	int n, r = 0;

	n = scandir(f->source, &names, image_name_filter, alphasort);
	if (n < 0)
		return log_error_errno(-errno, "cannot read the images directory '%s': %s",
				       f->source, strerror(errno));
	if (n == 0)
		r = log_error_errno(-ENOENT, "no OCI archives (*.tar) in '%s' to preload",
				    f->source);
	if (r == 0)
		r = rootfs_mkdir(fs, f->path, f->mode);
	for (int i = 0; i < n; i++) {
		_cleanup_free_ char *from = path_join(f->source, names[i]->d_name);
		_cleanup_free_ char *to = path_join(f->path, names[i]->d_name);

		if (r == 0) {
			r = rootfs_copy_in(fs, from, to, 0644, 0, 0);
			if (r == 0)
				log_info("preloading '%s'", names[i]->d_name);
		}
		free(names[i]);
	}
	free(names);
	return r;
}

static int lay_file(const struct plan *plan, struct rootfs *fs, const struct plan_file *f,
		    const char *work_dir)
{
	int r = make_parent(fs, f->path);

	if (r < 0)
		return r;
	switch (f->kind) {
	case PLAN_FILE_TEXT:
		return rootfs_write_file(fs, f->path, f->source, strlen(f->source), f->mode, 0, 0);
	case PLAN_FILE_TEMPLATE:
		return lay_template(fs, f);
	case PLAN_FILE_ARTIFACT:
		return rootfs_copy_in(fs, plan->artifacts[f->artifact].cache_path, f->path, f->mode,
				      0, 0);
	case PLAN_FILE_ARCHIVE:
		return lay_archive(plan, fs, f, work_dir);
	case PLAN_FILE_SYMLINK:
		return rootfs_symlink(fs, f->source, f->path);
	case PLAN_FILE_DIR:
		return rootfs_mkdir(fs, f->path, f->mode);
	case PLAN_FILE_IMAGES:
		return lay_images(fs, f);
	}
	return -EINVAL;
}

int stack_lay(const struct plan *plan, struct rootfs *fs, const char *work_dir)
{
	int r;

	for (size_t i = 0; i < plan->n_files; i++) {
		const struct plan_file *f = &plan->files[i];

		if (interrupted())
			return -EINTR;
		r = lay_file(plan, fs, f, work_dir);
		if (r < 0)
			return log_error_errno(r, "cannot lay down '%s': %s", f->path,
					       strerror(-r));
		log_debug("laid down '%s'", f->path);
	}

	for (char **u = plan->units; u && *u; u++) {
		r = rootfs_enable_unit(fs, *u);
		if (r == -ENOENT)
			return log_error_errno(r, "cannot enable '%s': no such unit in the image",
					       *u);
		if (r < 0)
			return log_error_errno(r, "cannot enable '%s': %s", *u, strerror(-r));
		log_debug("enabled '%s'", *u);
	}
	return 0;
}
