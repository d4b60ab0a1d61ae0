// SPDX-License-Identifier: MIT
/*
 * NoCloud seed images. The files are written to a private temporary
 * directory, a vfat image is made with mkfs.fat -C at a temporary name
 * beside the target, the files are copied in with mcopy -i in a fixed
 * order, and the image is renamed into place. Every program runs from an
 * argv through run_argv; nothing is mounted. The volume id is the first
 * eight hex digits of a sha256 over the files, so that the same files give
 * the same bytes and different files a different volume.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>

#include "log.h"
#include "run.h"
#include "seed.h"
#include "util.h"
#include "verify.h"

/* FAT cannot record a time before 1980-01-01. */
#define FAT_EPOCH ((uint64_t)315532800)

struct seed_entry {
	const char *name;
	const char *data;
	size_t len;
};

int seed_format_from_name(const char *name, enum seed_format *ret)
{
	if (streq(name, "vfat"))
		*ret = SEED_VFAT;
	else if (streq(name, "iso"))
		*ret = SEED_ISO;
	else
		return -EINVAL;
	return 0;
}

static size_t seed_entries(const struct seed_files *f, struct seed_entry e[3])
{
	size_t n = 0;

	e[n++] = (struct seed_entry){"meta-data", f->meta_data, f->meta_data_len};
	if (f->network_config)
		e[n++] = (struct seed_entry){"network-config", f->network_config,
					     f->network_config_len};
	e[n++] = (struct seed_entry){"user-data", f->user_data, f->user_data_len};
	return n;
}

/* Image size in KiB: the files plus room for FAT12's tables, at least 1 MiB. */
static unsigned long seed_size_kib(const struct seed_entry *e, size_t n)
{
	uint64_t bytes = 0;

	for (size_t i = 0; i < n; i++)
		bytes += e[i].len + 4096;
	bytes = bytes + bytes / 8 + 256 * 1024;
	if (bytes < 1024 * 1024)
		bytes = 1024 * 1024;
	return (unsigned long)((bytes + 65535) / 65536 * 64);
}

static int seed_stage_files(const char *dir, const struct seed_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *path = path_join(dir, e[i].name);
		int r = write_file_atomic(path, e[i].data, e[i].len, 0644);

		if (r < 0)
			return log_error_errno(r, "cannot write '%s': %s", path, strerror(-r));
	}
	return 0;
}

static int seed_make_vfat(const char *image, const char *dir, const struct seed_entry *e,
			  size_t n, uint64_t epoch)
{
	struct sha256_state *h = sha256_new();
	char hex[SHA256_HEX_LEN + 1], volid[9], size[32];
	_cleanup_free_ char *epoch_env = NULL;
	int r;

	for (size_t i = 0; i < n; i++) {
		sha256_update(h, e[i].name, strlen(e[i].name) + 1);
		sha256_update(h, e[i].data, e[i].len);
	}
	sha256_finish(h, hex);
	snprintf(volid, sizeof(volid), "%.8s", hex);
	snprintf(size, sizeof(size), "%lu", seed_size_kib(e, n));

	{
		char *argv[] = {"mkfs.fat", "--invariant", "-i", volid, "-n", "cidata",
				"-C", (char *)image, size, NULL};

		r = run_argv(argv, NULL, NULL);
		if (r < 0)
			return r;
	}

	epoch_env = xasprintf("SOURCE_DATE_EPOCH=%" PRIu64, epoch ? epoch : FAT_EPOCH);
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *src = path_join(dir, e[i].name);
		_cleanup_free_ char *dst = xasprintf("::/%s", e[i].name);
		char *env[] = {epoch_env, "MTOOLS_SKIP_CHECK=1", NULL};
		char *argv[] = {"mcopy", "-i", (char *)image, src, dst, NULL};
		struct run_opts opts = {.env = env};

		r = run_argv(argv, &opts, NULL);
		if (r < 0)
			return r;
	}
	return 0;
}

int seed_write(const char *path, const struct seed_files *files, enum seed_format format,
	       uint64_t source_date_epoch)
{
	struct seed_entry e[3];
	size_t n = seed_entries(files, e);
	_cleanup_free_ char *tmp = temp_name_for(path);
	_cleanup_free_ char *staging = xasprintf("%s.files", path);
	_cleanup_free_ char *dir = temp_name_for(staging);
	int r;

	/* TODO(seed): ISO seeds; now: refused, genisoimage cannot fix its dates; until: xorriso */
	if (format == SEED_ISO)
		return log_error_errno(-ENOTSUP, "ISO seeds are not supported yet; use vfat");
	if (!program_exists("mkfs.fat") || !program_exists("mcopy"))
		return log_error_errno(-ENOENT, "making a seed needs mkfs.fat (dosfstools) and "
				       "mcopy (mtools)");

	temp_register(tmp);
	temp_register(dir);
	unlink(tmp);
	r = mkdir(dir, 0700) < 0 ? -errno : 0;
	if (r < 0)
		log_error("cannot make '%s': %s", dir, strerror(-r));
	if (r == 0)
		r = seed_stage_files(dir, e, n);
	if (r == 0)
		r = seed_make_vfat(tmp, dir, e, n, source_date_epoch);
	if (r == 0 && chmod(tmp, 0600) < 0)
		r = log_error_errno(-errno, "cannot chmod '%s': %m", tmp);
	if (r == 0 && rename(tmp, path) < 0)
		r = log_error_errno(-errno, "cannot rename '%s' to '%s': %m", tmp, path);

	remove_tree(dir);
	temp_unregister(dir);
	if (r < 0)
		unlink(tmp);
	temp_unregister(tmp);
	return r;
}

int seed_write_profile(const struct profile *p, const struct lock *l, enum render_kind kind,
		       const char *path)
{
	struct strbuf ud = STRBUF_INIT, md = STRBUF_INIT, nc = STRBUF_INIT;
	struct seed_files f = {0};
	int r, has_net = 0;

	r = render_user_data(p, l, kind, &ud);
	if (r == 0)
		r = render_meta_data_for(p, ud.buf, ud.len, &md);
	if (r == 0)
		r = has_net = render_network_config(p, &nc);
	if (r >= 0) {
		f = (struct seed_files){ud.buf, ud.len, md.buf, md.len, has_net ? nc.buf : NULL,
					nc.len};
		r = seed_write(path, &f, SEED_VFAT,
			       p->source_date_epoch ? p->source_date_epoch
						    : (l ? l->source_date_epoch : 0));
	}
	strbuf_release(&ud);
	strbuf_release(&md);
	strbuf_release(&nc);
	return r;
}
