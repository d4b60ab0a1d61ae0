// SPDX-License-Identifier: MIT
/*
 * The directory back end of the root tree interface: writes land inside
 * the tree even through hostile absolute and relative symlinks, ".." paths
 * are refused, a symlink at the target is replaced rather than followed,
 * and a unit is enabled through its WantedBy= line. Run with openat2 and
 * with the fallback walk. Needs no root.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rootfs.h"
#include "util.h"
#include "unit.h"

static char *make_tree(char *host_dir)
{
	char tmpl[] = "/tmp/test-rootfs.XXXXXX";
	char *root = xstrdup(mkdtemp(tmpl));
	char *p;

	/* host_dir plays the host's /etc: nothing may ever land there. */
	p = xasprintf("%s/etc", root);
	mkdir(p, 0755);
	free(p);
	p = xasprintf("%s/usr/lib/systemd/system", root);
	mkdir_p(p, 0755);
	free(p);
	p = xasprintf("%s/lib", root);
	symlink("usr/lib", p);
	free(p);
	/* An absolute symlink to a host directory, and a relative one climbing out. */
	p = xasprintf("%s/etc/evil-abs", root);
	symlink(host_dir, p);
	free(p);
	p = xasprintf("%s/etc/evil-rel", root);
	symlink("../../../../../../../../..", p);
	free(p);
	return root;
}

static void run_checks(bool use_openat2)
{
	char host_tmpl[] = "/tmp/test-rootfs-host.XXXXXX";
	char *host = mkdtemp(host_tmpl);
	_cleanup_free_ char *root = make_tree(host), *data = NULL, *p = NULL;
	struct rootfs *fs = NULL;
	struct stat st;
	char link[256];
	ssize_t n;

	rootfs_dir_use_openat2(use_openat2);
	CHECK(rootfs_dir_open(root, &fs) == 0);

	/* A plain write, mode and content. */
	CHECK(rootfs_write_string(fs, "/etc/hello", "hi\n", 0640) == 0);
	p = xasprintf("%s/etc/hello", root);
	CHECK(stat(p, &st) == 0 && (st.st_mode & 07777) == 0640);
	CHECK(rootfs_read_file(fs, "/etc/hello", 100, &data, NULL) == 0);
	CHECK_STREQ(data, "hi\n");
	free(data);
	data = NULL;
	free(p);

	/* Through an absolute symlink: dangling inside the tree, so refused... */
	CHECK(rootfs_mkdir(fs, "/etc/evil-abs/sub", 0755) < 0);
	CHECK(rootfs_write_string(fs, "/etc/evil-abs/x", "x", 0644) < 0);
	p = xasprintf("%s/x", host);
	CHECK(access(p, F_OK) != 0);
	free(p);
	/* ...and once the tree has that directory, it lands in ROOT/HOST, never in HOST. */
	p = xasprintf("%s%s", root, host);
	CHECK(mkdir_p(p, 0755) == 0);
	free(p);
	CHECK(rootfs_mkdir(fs, "/etc/evil-abs/sub", 0755) == 0);
	CHECK(rootfs_write_string(fs, "/etc/evil-abs/sub/x", "x", 0644) == 0);
	p = xasprintf("%s/sub/x", host);
	CHECK(access(p, F_OK) != 0);
	free(p);
	p = xasprintf("%s%s/sub/x", root, host);
	CHECK(access(p, F_OK) == 0);
	free(p);

	/* Through a relative symlink that climbs: clamped at the root. */
	CHECK(rootfs_write_string(fs, "/etc/evil-rel/clamped", "y", 0644) == 0);
	p = xasprintf("%s/clamped", root);
	CHECK(access(p, F_OK) == 0);
	free(p);

	/* ".." and relative paths are refused outright. */
	CHECK(rootfs_write_string(fs, "/etc/../escape", "z", 0644) == -EINVAL);
	CHECK(rootfs_write_string(fs, "etc/relative", "z", 0644) == -EINVAL);
	CHECK(rootfs_remove(fs, "/") == -EINVAL);

	/* A symlink at the target is replaced, not followed. */
	p = xasprintf("%s/etc/victim", root);
	symlink("/etc/evil-abs/victim", p);
	CHECK(rootfs_write_string(fs, "/etc/victim", "v", 0644) == 0);
	CHECK(lstat(p, &st) == 0 && S_ISREG(st.st_mode));
	free(p);

	/* Symlinks, exists, remove. */
	CHECK(rootfs_symlink(fs, "/usr/lib/cni", "/etc/cni-link") == 0);
	CHECK(rootfs_exists(fs, "/etc/cni-link", false) == 1);
	CHECK(rootfs_exists(fs, "/etc/cni-link", true) == 0);
	CHECK(rootfs_remove(fs, "/etc/cni-link") == 0);
	CHECK(rootfs_exists(fs, "/etc/cni-link", false) == 0);

	/* Enabling a unit found through the /lib symlink. */
	CHECK(rootfs_write_string(fs, "/lib/systemd/system/demo.service",
				  "[Unit]\nDescription=x\n[Install]\nWantedBy=multi-user.target "
				  "other.target\n",
				  0644) == 0);
	CHECK(rootfs_enable_unit(fs, "demo.service") == 0);
	p = xasprintf("%s/etc/systemd/system/multi-user.target.wants/demo.service", root);
	n = readlink(p, link, sizeof(link) - 1);
	CHECK(n > 0);
	if (n > 0) {
		link[n] = '\0';
		CHECK_STREQ(link, "/usr/lib/systemd/system/demo.service");
	}
	free(p);
	p = xasprintf("%s/etc/systemd/system/other.target.wants/demo.service", root);
	CHECK(lstat(p, &st) == 0 && S_ISLNK(st.st_mode));
	CHECK(rootfs_enable_unit(fs, "missing.service") == -ENOENT);
	CHECK(rootfs_enable_unit(fs, "../x.service") == -EINVAL);

	rootfs_free(fs);
	remove_tree(root);
	remove_tree(host);
}

int main(void)
{
	run_checks(true);
	run_checks(false);
	return unit_done("test-rootfs");
}
