// SPDX-License-Identifier: MIT
/*
 * Conversions of finished outputs through qemu-img, xz, bmaptool and
 * mksquashfs, each run from an argv into a temporary beside the output and
 * renamed when the tool succeeded. The flags that make each output
 * reproducible are here and explained in docs/reproducible.md; nothing here
 * reads the clock or the host's configuration into an output.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>

#include "convert.h"
#include "log.h"
#include "run.h"
#include "util.h"

/* The temporary for out, registered; NULL when in == out. */
static char *convert_begin(const char *in, const char *out)
{
	char *tmp;

	if (streq(in, out)) {
		log_error("the output '%s' is also the input", out);
		return NULL;
	}
	tmp = temp_name_for(out);
	remove_tree(tmp);
	temp_register(tmp);
	return tmp;
}

/* Syncs tmp and renames it to out when r is 0; removes it otherwise. */
static int convert_end(char *tmp, const char *out, int r)
{
	if (r == 0) {
		int fd = open(tmp, O_RDONLY | O_CLOEXEC);

		if (fd < 0 || fsync(fd) < 0 || chmod(tmp, 0644) < 0)
			r = log_error_errno(-errno, "cannot sync '%s': %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	if (r == 0 && rename(tmp, out) < 0)
		r = log_error_errno(-errno, "cannot rename '%s' to '%s': %s", tmp, out,
				    strerror(errno));
	if (r < 0)
		remove_tree(tmp);
	temp_unregister(tmp);
	free(tmp);
	return r;
}

static int convert_run(char *const argv[], const char *stdout_path)
{
	/*
	 * A name without '=' makes glibc's putenv() remove it: mksquashfs refuses
	 * SOURCE_DATE_EPOCH together with -mkfs-time/-all-time, which say the same.
	 */
	static char *const env[] = {"LC_ALL=C", "SOURCE_DATE_EPOCH", NULL};
	struct run_opts opts = {.env = env, .stdout_path = stdout_path};

	return run_argv(argv, &opts, NULL);
}

int convert_qcow2(const char *raw, const char *out, bool compress)
{
	char *tmp = convert_begin(raw, out);
	char *plain[] = {"qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", (char *)raw,
			 tmp, NULL};
	/* In-order writes (no -W): the cluster layout follows the input, not the scheduler. */
	char *zstd[] = {"qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", "-c", "-o",
			"compression_type=zstd", (char *)raw, tmp, NULL};

	if (!tmp)
		return -EINVAL;
	return convert_end(tmp, out, convert_run(compress ? zstd : plain, NULL));
}

int convert_xz(const char *in, const char *out, unsigned threads)
{
	char *tmp = convert_begin(in, out);
	/* "+1" is the multi-threaded format with one thread: one format for every count. */
	_cleanup_free_ char *t = threads == 1 ? xstrdup("-T+1") : xasprintf("-T%u", threads);
	/* --no-adjust: fail rather than fall back to the single-threaded format on low memory. */
	char *argv[] = {"xz", "-6", t, "--block-size=24MiB", "--check=crc64", "--no-adjust",
			"--stdout", "--keep", (char *)in, NULL};

	if (!tmp)
		return -EINVAL;
	return convert_end(tmp, out, convert_run(argv, tmp));
}

int convert_bmap(const char *img, const char *out)
{
	char *tmp = convert_begin(img, out);
	char *argv[] = {"bmaptool", "create", "-o", tmp, (char *)img, NULL};

	if (!tmp)
		return -EINVAL;
	return convert_end(tmp, out, convert_run(argv, NULL));
}

int make_squashfs(const char *rootdir, const char *out, uint64_t epoch)
{
	char *tmp = convert_begin(rootdir, out);
	_cleanup_free_ char *e = xasprintf("%" PRIu64, epoch);
	char *argv[] = {"mksquashfs", (char *)rootdir, tmp, "-noappend", "-no-progress",
			"-quiet", "-comp", "zstd", "-Xcompression-level", "3",
			"-mkfs-time", e, "-all-time", e, NULL};

	if (!tmp)
		return -EINVAL;
	return convert_end(tmp, out, convert_run(argv, NULL));
}
