// SPDX-License-Identifier: MIT
/*
 * Test driver for the cloud-image base (builder/base-image.h) and its
 * libguestfs root tree (rootfs-guestfs.c), used by
 * tests/integration/t50-cloudimage-*.sh until `faasd-image build` takes a
 * cloud-image base. The test compiles it against the objects of the build
 * tree. It opens IMAGE the way a build does, exercises every rootfs
 * operation (a write through an absolute symlink of the guest included),
 * plants per-instance state that finishing must remove, a deleted file
 * holding a canary string that must not survive in free space, finishes,
 * and renames the working copy to OUT.
 *
 *   customize-driver IMAGE ARCH OUT DISK_SIZE HOST_FILE CANARY
 *
 * Exit 0 on success; otherwise the library's one error line and exit 1.
 */
#include <errno.h>
#include <stdio.h>

#include "base-image.h"
#include "log.h"
#include "rootfs.h"
#include "run.h"
#include "util.h"

#define UNIT "[Unit]\nDescription=test\n[Service]\nExecStart=/bin/true\n" \
	     "[Install]\nWantedBy=multi-user.target\n"

static int check(int r, const char *what)
{
	if (r < 0)
		log_error("%s: %s", what, strerror(-r));
	return r;
}

static int exercise(struct rootfs *fs, const char *host_file, const char *canary)
{
	_cleanup_free_ char *back = NULL, *deleted = xasprintf("%s\n", canary);
	int r = 0;

	r = r ?: check(rootfs_mkdir(fs, "/etc/faasd-image/deep/er", 0750), "mkdir");
	r = r ?: check(rootfs_write_string(fs, "/etc/faasd-image/marker", "customized\n", 0644),
		       "write");
	/* An absolute symlink of the guest must resolve in the guest, never the appliance. */
	r = r ?: check(rootfs_symlink(fs, "/etc/faasd-image", "/etc/abs-link"), "symlink");
	r = r ?: check(rootfs_write_string(fs, "/etc/abs-link/through", "via link\n", 0600),
		       "write through link");
	r = r ?: check(rootfs_read_file(fs, "/etc/faasd-image/through", 4096, &back, NULL),
		       "read back");
	if (r == 0 && !streq(back, "via link\n"))
		r = log_error_errno(-EBADMSG, "read back '%s'", back);
	r = r ?: check(rootfs_remove(fs, "/etc/abs-link"), "remove link");
	r = r ?: check(rootfs_exists(fs, "/etc/abs-link", false) == 0 ? 0 : -EEXIST, "removed");
	r = r ?: check(rootfs_exists(fs, "/etc/faasd-image/through", true) == 1 ? 0 : -ENOENT,
		       "still there");
	r = r ?: check(rootfs_write_file(fs, "/etc/faasd-image/through", "x", 1, 0640, 0, 0),
		       "replace");
	r = r ?: check(rootfs_copy_in(fs, host_file, "/usr/local/bin/faasd", 0755, 0, 0),
		       "copy in");
	r = r ?: check(rootfs_write_string(fs, "/etc/systemd/system/faasd-fetch.service", UNIT,
					   0644), "unit");
	r = r ?: check(rootfs_enable_unit(fs, "faasd-fetch.service"), "enable");
	r = r ?: check(rootfs_write_file(fs, "/etc/faasd-image/path/../x", "", 0, 0644, 0, 0) ==
			       -EINVAL ? 0 : -EPERM, "'..' refused");

	/* What finishing must take out again. */
	r = r ?: check(rootfs_write_string(fs, "/etc/ssh/ssh_host_ed25519_key", "key\n", 0600),
		       "host key");
	r = r ?: check(rootfs_write_string(fs, "/etc/machine-id",
					   "0123456789abcdef0123456789abcdef\n", 0444), "id");
	r = r ?: check(rootfs_write_string(fs, "/root/.bash_history", "ls\n", 0600), "history");
	r = r ?: check(rootfs_mkdir(fs, "/var/lib/cloud/instances/i-1", 0755), "cloud");
	r = r ?: check(rootfs_write_string(fs, "/var/log/build.log", "built\n", 0644), "log");
	r = r ?: check(rootfs_mkdir(fs, "/var/tmp", 01777), "mkdir /var/tmp");
	r = r ?: check(rootfs_write_string(fs, "/var/tmp/deleted", deleted, 0600), "canary");
	r = r ?: check(rootfs_remove(fs, "/var/tmp/deleted"), "delete canary");
	return r;
}

int main(int argc, char **argv)
{
	_cleanup_(base_image_freep) struct base_image *bi = NULL;
	_cleanup_free_ char *work = NULL;
	struct base_image_opts opts = {0};
	char *host_paths[] = {"/nonexistent/faasd-image-build-host", NULL};
	struct hygiene_opts hygiene = {.host_paths = host_paths};
	uint64_t size = 0, start = now_ms();
	int r;

	if (argc != 7) {
		fprintf(stderr, "usage: %s IMAGE ARCH OUT DISK_SIZE HOST_FILE CANARY\n", argv[0]);
		return 2;
	}
	log_set_stage("base");
	log_set_level(LOG_DEBUG);
	signals_install();
	opts.image = argv[1];
	opts.arch = streq(argv[2], "arm64") ? ARCH_ARM64 : ARCH_AMD64;
	opts.work_path = argv[3];
	if (parse_size(argv[4], &size) < 0)
		return 2;
	opts.disk_size = size;

	r = base_image_open(&opts, &bi);
	if (r == 0) {
		log_info("opened after %.1f s", (double)(now_ms() - start) / 1000.0);
		r = exercise(base_image_rootfs(bi), argv[5], argv[6]);
	}
	if (r == 0) {
		log_info("customized after %.1f s", (double)(now_ms() - start) / 1000.0);
		r = base_image_finish(bi, &hygiene, &work);
	}
	if (r == 0)
		log_info("finished after %.1f s", (double)(now_ms() - start) / 1000.0);
	if (r == 0 && rename(work, argv[3]) < 0)
		r = log_error_errno(-errno, "cannot rename '%s': %s", work, strerror(errno));
	if (r == 0)
		temp_unregister(work);
	base_image_free(TAKE_PTR(bi));
	cleanup_temporaries();
	return r < 0 ? 1 : 0;
}
