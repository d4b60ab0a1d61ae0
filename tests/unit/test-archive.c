// SPDX-License-Identifier: MIT
/*
 * Unit tests of archive.c with tarballs written here by libarchive, so
 * that hostile members (absolute paths, '..', links leaving the tree,
 * device nodes, FIFOs, setuid bits) need neither root nor a tar binary.
 * Each hostile archive must be refused and must leave the target
 * directory exactly as it was.
 */
/* libarchive's <archive.h> and ours share a name: ask for both (archive.h). */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "extract.h"
#include "log.h"
#include "unit.h"
#include "util.h"

struct member {
	const char *path;
	mode_t type;        /* AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFCHR, AE_IFIFO */
	mode_t perm;
	const char *data;   /* regular files */
	const char *link;   /* symlink target */
	const char *hardlink;
};

static char workdir[] = "/tmp/test-archive.XXXXXX";

static char *write_tarball(const char *name, const struct member *m, size_t n)
{
	char *path = path_join(workdir, name);
	struct archive *a = archive_write_new();

	archive_write_add_filter_gzip(a);
	archive_write_set_format_pax_restricted(a);
	CHECK(archive_write_open_filename(a, path) == ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		size_t len = m[i].data ? strlen(m[i].data) : 0;

		archive_entry_set_pathname(e, m[i].path);
		archive_entry_set_filetype(e, m[i].type);
		archive_entry_set_perm(e, m[i].perm);
		if (m[i].link)
			archive_entry_set_symlink(e, m[i].link);
		if (m[i].hardlink)
			archive_entry_set_hardlink(e, m[i].hardlink);
		if (m[i].type == AE_IFCHR)
			archive_entry_set_rdev(e, 0x0103);
		archive_entry_set_size(e, (la_int64_t)len);
		CHECK(archive_write_header(a, e) == ARCHIVE_OK);
		if (len)
			CHECK(archive_write_data(a, m[i].data, len) == (la_ssize_t)len);
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
	return path;
}

static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	while (d && (e = readdir(d)))
		if (!streq(e->d_name, ".") && !streq(e->d_name, ".."))
			n++;
	if (d)
		closedir(d);
	return n;
}

static char *new_target(const char *name)
{
	char *dir = path_join(workdir, name);

	CHECK(mkdir(dir, 0755) == 0);
	return dir;
}

static void test_good(void)
{
	static const struct member m[] = {
		{"bin/", AE_IFDIR, 0755, NULL, NULL, NULL},
		{"bin/containerd", AE_IFREG, 0755, "containerd-binary", NULL, NULL},
		{"bin/ctr", AE_IFREG, 0700, "ctr-binary", NULL, NULL},
		{"bin/containerd-stress", AE_IFREG, 0755, "not wanted", NULL, NULL},
		{"bin/inside", AE_IFLNK, 0777, NULL, "containerd", NULL},
		{"bin/up", AE_IFLNK, 0777, NULL, "../bin/ctr", NULL},
	};
	char *const wanted[] = {"bin/containerd", "bin/ctr", NULL};
	_cleanup_free_ char *tgz = write_tarball("good.tgz", m, ARRAY_SIZE(m));
	_cleanup_free_ char *dir = new_target("good");
	_cleanup_free_ char *bin = path_join(dir, "containerd"), *data = NULL;
	struct stat st;
	size_t len;

	CHECK(archive_install_members(tgz, wanted, dir) == 0);
	CHECK(count_entries(dir) == 2);
	CHECK(stat(bin, &st) == 0 && (st.st_mode & 07777) == 0755 && S_ISREG(st.st_mode));
	CHECK(read_file(bin, 1024, &data, &len) == 0 && streq(data, "containerd-binary"));

	/* CNI-style "./name" members are found by their plain names. */
	{
		static const struct member cni[] = {
			{"./", AE_IFDIR, 0755, NULL, NULL, NULL},
			{"./bridge", AE_IFREG, 0755, "bridge", NULL, NULL},
			{"./loopback", AE_IFREG, 0755, "loopback", NULL, NULL},
		};
		char *const want[] = {"bridge", "loopback", NULL};
		_cleanup_free_ char *t = write_tarball("cni.tgz", cni, ARRAY_SIZE(cni));
		_cleanup_free_ char *d = new_target("cni");

		CHECK(archive_install_members(t, want, d) == 0);
		CHECK(count_entries(d) == 2);
	}
}

struct hostile {
	const char *name;
	struct member m;
	int expect;
};

static void test_hostile(void)
{
	static const struct hostile cases[] = {
		{"absolute", {"/etc/passwd", AE_IFREG, 0644, "x", NULL, NULL}, -EBADMSG},
		{"dotdot", {"../escape", AE_IFREG, 0644, "x", NULL, NULL}, -EBADMSG},
		{"dotdot-mid", {"bin/../../escape", AE_IFREG, 0644, "x", NULL, NULL}, -EBADMSG},
		{"symlink-abs", {"bin/link", AE_IFLNK, 0777, NULL, "/etc/shadow", NULL}, -EBADMSG},
		{"symlink-up", {"bin/link", AE_IFLNK, 0777, NULL, "../../etc", NULL}, -EBADMSG},
		{"hardlink-abs", {"bin/hl", AE_IFREG, 0644, NULL, NULL, "/etc/shadow"}, -EBADMSG},
		{"hardlink-up", {"bin/hl", AE_IFREG, 0644, NULL, NULL, "../x"}, -EBADMSG},
		{"chardev", {"bin/null", AE_IFCHR, 0666, NULL, NULL, NULL}, -EBADMSG},
		{"fifo", {"bin/fifo", AE_IFIFO, 0644, NULL, NULL, NULL}, -EBADMSG},
		{"setuid", {"bin/other", AE_IFREG, 04755, "x", NULL, NULL}, -EBADMSG},
		{"setgid", {"bin/other", AE_IFREG, 02755, "x", NULL, NULL}, -EBADMSG},
		/* the wanted member itself must be a plain file */
		{"wanted-link", {"bin/ctr", AE_IFLNK, 0777, NULL, "containerd", NULL}, -EBADMSG},
	};
	char *const wanted[] = {"bin/containerd", "bin/ctr", NULL};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		/* A good member first: it must not survive the refusal. */
		struct member m[3] = {
			{"bin/containerd", AE_IFREG, 0755, "good", NULL, NULL},
			cases[i].m,
			{"bin/ctr", AE_IFREG, 0755, "ctr", NULL, NULL},
		};
		_cleanup_free_ char *name = xasprintf("%s.tgz", cases[i].name);
		_cleanup_free_ char *tgz = NULL, *dir = NULL;
		int r;

		/* "wanted-link" replaces bin/ctr rather than adding to it. */
		tgz = write_tarball(name, m, streq(cases[i].name, "wanted-link") ? 2 : 3);
		dir = new_target(cases[i].name);
		r = archive_install_members(tgz, wanted, dir);
		if (r != cases[i].expect)
			fprintf(stderr, "case %s: got %d\n", cases[i].name, r);
		CHECK(r == cases[i].expect);
		CHECK(count_entries(dir) == 0);
	}
}

static void test_missing_and_damaged(void)
{
	static const struct member m[] = {
		{"bin/containerd", AE_IFREG, 0755, "x", NULL, NULL},
	};
	char *const wanted[] = {"bin/containerd", "bin/ctr", NULL};
	_cleanup_free_ char *tgz = write_tarball("missing.tgz", m, ARRAY_SIZE(m));
	_cleanup_free_ char *dir = new_target("missing");
	_cleanup_free_ char *junk = path_join(workdir, "junk.tgz");
	FILE *f;

	CHECK(archive_install_members(tgz, wanted, dir) == -ENOENT);
	CHECK(count_entries(dir) == 0);

	f = fopen(junk, "w");
	fputs("this is not a tarball\n", f);
	fclose(f);
	CHECK(archive_install_members(junk, wanted, dir) == -EBADMSG);
	CHECK(count_entries(dir) == 0);
}

static void test_path_rules(void)
{
	CHECK(archive_path_safe("bin/containerd"));
	CHECK(!archive_path_safe(""));
	CHECK(!archive_path_safe("/bin"));
	CHECK(!archive_path_safe("a//b"));
	CHECK(!archive_path_safe("a/../b"));
	CHECK(!archive_path_safe(".."));
	CHECK(archive_symlink_safe("bin/a", "b"));
	CHECK(archive_symlink_safe("bin/a", "../bin/b"));
	CHECK(archive_symlink_safe("bin/a", "./b"));
	CHECK(!archive_symlink_safe("bin/a", "../../b"));
	CHECK(!archive_symlink_safe("a", "../a"));
	CHECK(!archive_symlink_safe("bin/a", "/b"));
	CHECK(!archive_symlink_safe("bin/a", ""));
}

int main(void)
{
	log_set_level(LOG_ERROR + 0);
	if (!mkdtemp(workdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_path_rules();
	test_good();
	test_hostile();
	test_missing_and_damaged();
	remove_tree(workdir);
	return unit_done("test-archive");
}
