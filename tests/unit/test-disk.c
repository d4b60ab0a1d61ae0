// SPDX-License-Identifier: MIT
/*
 * Unit tests of the pure parts of disk assembly: identifiers derived from a
 * seed, layout arithmetic, the ext4 size estimate, the tree walk, GRUB's
 * embedded configuration. Run without arguments it is a unit test; with a
 * verb it is the small driver the t35-disk-* integration tests use to call
 * disk_assemble() and the conversions, which have no subcommand of their own:
 *
 *   test-disk assemble efi|rpi amd64|arm64 ROOT BOOT|- CMDLINE SIZE POW2 SEED EPOCH OUT
 *   test-disk qcow2 RAW OUT 0|1        test-disk xz IN OUT THREADS
 *   test-disk bmap IMG OUT             test-disk squashfs DIR OUT EPOCH
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "convert.h"
#include "disk.h"
#include "log.h"
#include "run.h"
#include "unit.h"
#include "util.h"

static void test_uuid(void)
{
	char a[DISK_UUID_LEN + 1], b[DISK_UUID_LEN + 1], c[DISK_UUID_LEN + 1];

	disk_uuid_derive("faasd:1700000000", "root-filesystem", a);
	disk_uuid_derive("faasd:1700000000", "root-filesystem", b);
	disk_uuid_derive("faasd:1700000000", "disk", c);
	CHECK_STREQ(a, b);
	CHECK(strcmp(a, c) != 0);
	CHECK(strlen(a) == 36);
	CHECK(a[8] == '-' && a[13] == '-' && a[18] == '-' && a[23] == '-');
	CHECK(a[14] == '8');                        /* version 8 */
	CHECK(strchr("89ab", a[19]) != NULL);       /* variant 10 */
	CHECK(strspn(a, "0123456789abcdef-") == 36); /* lower case */

	/* sha256("s:r") = 50c98217...: the derivation is fixed, not just stable in one run. */
	disk_uuid_derive("s", "r", a);
	CHECK_STREQ(a, "50c98217-7183-8b81-9500-041749971b2f");

	CHECK(disk_id32_derive("faasd:1", "boot-volume") ==
	      disk_id32_derive("faasd:1", "boot-volume"));
	CHECK(disk_id32_derive("faasd:1", "boot-volume") !=
	      disk_id32_derive("faasd:2", "boot-volume"));
}

static void test_layout(void)
{
	struct disk_spec spec = {.layout = DISK_LAYOUT_EFI, .disk_size = 256 * DISK_MIB};
	struct disk_geometry g;

	CHECK(disk_layout_compute(&spec, &g) == 0);
	CHECK(g.disk_size == 256 * DISK_MIB);
	CHECK(g.boot.offset == DISK_MIB && g.boot.size == 100 * DISK_MIB);
	CHECK(g.root.offset == 101 * DISK_MIB);
	/* The last MiB stays free for GPT's backup table. */
	CHECK(g.root.offset + g.root.size == 255 * DISK_MIB);

	/* Rounded up to a whole MiB. */
	spec.disk_size = 256 * DISK_MIB + 1;
	CHECK(disk_layout_compute(&spec, &g) == 0);
	CHECK(g.disk_size == 257 * DISK_MIB);

	/* Too small for any root. */
	spec.disk_size = 110 * DISK_MIB;
	CHECK(disk_layout_compute(&spec, &g) == -EINVAL);

	spec = (struct disk_spec){.layout = DISK_LAYOUT_RPI, .disk_size = 1500 * DISK_MIB};
	CHECK(disk_layout_compute(&spec, &g) == 0);
	CHECK(g.boot.offset == 4 * DISK_MIB && g.boot.size == 256 * DISK_MIB);
	CHECK(g.root.offset == 260 * DISK_MIB);
	CHECK(g.root.offset + g.root.size == 1500 * DISK_MIB);
	spec.round_pow2 = true;
	CHECK(disk_layout_compute(&spec, &g) == 0);
	CHECK(g.disk_size == 2048 * DISK_MIB);
	CHECK(g.root.offset + g.root.size == 2048 * DISK_MIB);
	spec.disk_size = 2048 * DISK_MIB;
	CHECK(disk_layout_compute(&spec, &g) == 0);
	CHECK(g.disk_size == 2048 * DISK_MIB);
}

static void test_ext4_size(void)
{
	struct tree_usage small = {.blocks = 256, .inodes = 50};
	struct tree_usage rootfs = {.blocks = 600 * 256, .inodes = 30000}; /* ~600 MiB */
	struct tree_usage many = {.blocks = 1000, .inodes = 200000};
	uint64_t s = disk_ext4_min_size(&small), r = disk_ext4_min_size(&rootfs);

	CHECK(s % DISK_MIB == 0 && r % DISK_MIB == 0);
	CHECK(s >= 8 * DISK_MIB && s < 32 * DISK_MIB);
	/* Data, inode tables, a 16 MiB journal and a margin: about 650 MiB. */
	CHECK(r > 630 * DISK_MIB && r < 700 * DISK_MIB);
	/* Monotone in the tree. */
	rootfs.blocks += 256 * 100;
	CHECK(disk_ext4_min_size(&rootfs) > r);

	/* Many small files: inode tables dominate, and -N is asked for. */
	CHECK(disk_ext4_min_size(&many) > 200000 * 256);
	CHECK(disk_ext4_inode_count(&many, disk_ext4_min_size(&many)) >= 200000);
	CHECK(disk_ext4_inode_count(&small, 64 * DISK_MIB) == 0);
}

static void test_grub_config(void)
{
	_cleanup_free_ char *c1 = disk_grub_config("root", "console=ttyS0 net.ifnames=0");
	_cleanup_free_ char *c2 = disk_grub_config("root", "root=/dev/vda2 ro");

	CHECK(strstr(c1, "search --no-floppy --label --set=root root\n") != NULL);
	CHECK(strstr(c1, "linux /vmlinuz root=LABEL=root console=ttyS0 net.ifnames=0\n") != NULL);
	CHECK(strstr(c1, "initrd /initrd.img\nboot\n") != NULL);
	CHECK(strstr(c2, "linux /vmlinuz root=/dev/vda2 ro\n") != NULL);
}

static void write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
}

static void test_tree_usage(void)
{
	char dir[] = "/tmp/test-disk.XXXXXX";
	struct tree_usage u = {0};
	_cleanup_free_ char *a = NULL, *b = NULL, *sub = NULL, *c = NULL, *l = NULL;

	CHECK(mkdtemp(dir) != NULL);
	a = path_join(dir, "a");
	b = path_join(dir, "b");
	sub = path_join(dir, "sub");
	c = path_join(dir, "sub/c");
	l = path_join(dir, "link");
	write_text(a, "hello");
	CHECK(link(a, b) == 0); /* a hard link: one inode, one block */
	CHECK(mkdir(sub, 0755) == 0);
	write_text(c, "");
	CHECK(symlink("a", l) == 0);

	CHECK(tree_usage_measure(dir, &u) == 0);
	/* root, a (=b), sub, c, link */
	CHECK(u.inodes == 5);
	CHECK(u.bytes == 5);
	/* one data block for a, one directory block each for the root and sub */
	CHECK(u.blocks == 3);
	CHECK(tree_usage_measure("/nonexistent-faasd-image", &u) == -ENOENT);
	remove_tree(dir);
}

/* ---- driver for the integration tests ---------------------------------- */

static int drive_assemble(int argc, char **argv)
{
	struct disk_spec spec = {0};
	uint64_t size;

	if (argc != 12)
		return 2;
	spec.layout = streq(argv[2], "rpi") ? DISK_LAYOUT_RPI : DISK_LAYOUT_EFI;
	spec.arch = streq(argv[3], "arm64") ? ARCH_ARM64 : ARCH_AMD64;
	spec.root_dir = argv[4];
	spec.boot_dir = streq(argv[5], "-") ? NULL : argv[5];
	spec.kernel_cmdline = argv[6];
	if (parse_size(argv[7], &size) < 0)
		return 2;
	spec.disk_size = size;
	spec.round_pow2 = streq(argv[8], "1");
	spec.seed = argv[9];
	spec.source_date_epoch = strtoull(argv[10], NULL, 10);
	spec.output = argv[11];
	return disk_assemble(&spec) < 0 ? 1 : 0;
}

static int drive(int argc, char **argv)
{
	int r = 2;

	log_set_stage("disk");
	signals_install();
	if (streq(argv[1], "assemble"))
		r = drive_assemble(argc, argv);
	else if (streq(argv[1], "qcow2") && argc == 5)
		r = convert_qcow2(argv[2], argv[3], streq(argv[4], "1")) < 0;
	else if (streq(argv[1], "xz") && argc == 5)
		r = convert_xz(argv[2], argv[3], (unsigned)atoi(argv[4])) < 0;
	else if (streq(argv[1], "bmap") && argc == 4)
		r = convert_bmap(argv[2], argv[3]) < 0;
	else if (streq(argv[1], "squashfs") && argc == 5)
		r = make_squashfs(argv[2], argv[3], strtoull(argv[4], NULL, 10)) < 0;
	if (r == 2)
		fprintf(stderr, "test-disk: bad arguments (see the comment in test-disk.c)\n");
	cleanup_temporaries();
	return r;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		return drive(argc, argv);
	test_uuid();
	test_layout();
	test_ext4_size();
	test_grub_config();
	test_tree_usage();
	return unit_done("test-disk");
}
