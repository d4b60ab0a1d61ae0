// SPDX-License-Identifier: MIT
/*
 * Unit tests of the Raspberry Pi board and of personalize's pure parts:
 * the package list, config.txt and cmdline.txt, the boot partition found
 * in hand-made MBRs (and the refusals of xz, qcow2 and foreign disks), the
 * seed's instance-id, and board_rpi_prepare() on a fake root tree.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "board-rpi.h"
#include "log.h"
#include "personalize.h"
#include "plan.h"
#include "profile.h"
#include "rootfs.h"
#include "unit.h"
#include "util.h"

static char tmp[] = "/tmp/test-board-rpi.XXXXXX";

static void put(const char *rel, const char *text)
{
	_cleanup_free_ char *path = path_join(tmp, rel);
	_cleanup_free_ char *dir = xstrdup(path);

	*strrchr(dir, '/') = '\0';
	CHECK(mkdir_p(dir, 0755) == 0);
	CHECK(write_file_atomic(path, text, strlen(text), 0644) == 0);
}

static bool has(const char *rel)
{
	_cleanup_free_ char *path = path_join(tmp, rel);

	return file_exists(path);
}

static char *text_of(const char *rel)
{
	_cleanup_free_ char *path = path_join(tmp, rel);
	char *t = NULL;

	return read_file(path, 1 << 20, &t, NULL) == 0 ? t : xstrdup("");
}

static void test_settings(void)
{
	const char *const *pkgs = board_rpi_packages(BOARD_RPI3);
	_cleanup_free_ char *c3 = board_rpi_config_txt(BOARD_RPI3, "6.1.0-10-arm64");
	bool firmware = false, growpart = false;

	CHECK(board_rpi_packages(BOARD_GENERIC) == NULL);
	CHECK(board_is_rpi(BOARD_RPI4) && !board_is_rpi(BOARD_GENERIC));
	for (; pkgs && *pkgs; pkgs++) {
		firmware |= streq(*pkgs, "raspi-firmware");
		growpart |= streq(*pkgs, "cloud-guest-utils");
	}
	CHECK(firmware && growpart);

	CHECK(strstr(c3, "\narm_64bit=1\n") != NULL);
	CHECK(strstr(c3, "\nupstream_kernel=1\n") != NULL);
	CHECK(strstr(c3, "\nkernel=vmlinuz-6.1.0-10-arm64\n") != NULL);
	CHECK(strstr(c3, "\ninitramfs initrd.img-6.1.0-10-arm64 followkernel\n") != NULL);
	CHECK(strstr(board_rpi_cmdline(BOARD_RPI3), "root=LABEL=writable ") != NULL);
	CHECK(strstr(board_rpi_cmdline(BOARD_RPI3), " cma=64M ") != NULL);
	CHECK(strstr(board_rpi_cmdline(BOARD_RPI4), "cma=") == NULL);
	CHECK(strstr(board_rpi_cmdline(BOARD_RPI4), "console=ttyS1,115200") != NULL);
}

/* A disk file of 4 MiB: an MBR with one partition of type at 1 MiB, a FAT32 boot sector. */
static char *make_disk(const char *name, unsigned char type, const char *label,
		       uint32_t sectors)
{
	char *path = path_join(tmp, name);
	unsigned char mbr[512] = {0}, bs[512] = {0};
	uint32_t start = 2048;
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

	mbr[446 + 4] = type;
	memcpy(mbr + 446 + 8, &start, 4); /* little-endian hosts only, as CI */
	memcpy(mbr + 446 + 12, &sectors, 4);
	mbr[510] = 0x55;
	mbr[511] = 0xaa;
	memcpy(bs + 71, "           ", 11);
	memcpy(bs + 71, label, strlen(label));
	bs[36] = 1; /* sectors per FAT (32-bit), the 16-bit count at 22 stays 0 */
	bs[510] = 0x55;
	bs[511] = 0xaa;
	CHECK(fd >= 0);
	CHECK(pwrite(fd, mbr, sizeof(mbr), 0) == 512);
	CHECK(pwrite(fd, bs, sizeof(bs), 2048 * 512) == 512);
	CHECK(ftruncate(fd, 4 << 20) == 0);
	close(fd);
	return path;
}

static void test_find(void)
{
	struct pi_boot_partition part;
	_cleanup_free_ char *good = make_disk("good.img", 0x0c, "system-boot", 4096);
	_cleanup_free_ char *other = make_disk("other.img", 0x0c, "UEFI", 4096);
	_cleanup_free_ char *linux_type = make_disk("linux.img", 0x83, "system-boot", 4096);
	_cleanup_free_ char *beyond = make_disk("beyond.img", 0x0c, "system-boot", 8192);
	_cleanup_free_ char *xz = path_join(tmp, "x.img.xz"), *qcow = path_join(tmp, "q.qcow2");

	CHECK(pi_boot_partition_find(good, &part) == 0);
	CHECK(part.offset == 1 << 20 && part.size == 2 << 20 && part.index == 1);
	CHECK(pi_boot_partition_find(other, &part) == -ENOENT);
	CHECK(pi_boot_partition_find(linux_type, &part) == -ENOENT);
	CHECK(pi_boot_partition_find(beyond, &part) == -ENOENT);

	CHECK(write_file_atomic(xz, "\xfd" "7zXZ\0rest", 10, 0644) == 0);
	CHECK(pi_boot_partition_find(xz, &part) == -EMEDIUMTYPE);
	CHECK(write_file_atomic(qcow, "QFI\xfb", 4, 0644) == 0);
	CHECK(pi_boot_partition_find(qcow, &part) == -EMEDIUMTYPE);
}

static void test_seed(void)
{
	char *sets[] = {"hostname=pi-one", NULL};
	struct profile *p = NULL;
	struct pi_seed a, b, c;

	CHECK(profile_load("rpi3", sets, &p) == 0);
	if (!p)
		return;
	CHECK(pi_seed_render(p, NULL, NULL, &a) == 0);
	CHECK(pi_seed_render(p, NULL, NULL, &b) == 0);
	CHECK(pi_seed_render(p, NULL, "instance-id: faasd-0\n", &c) == 0);
	CHECK(a.meta_data.buf && strstr(a.meta_data.buf, "local-hostname: pi-one") != NULL);
	CHECK(a.has_network_config && strstr(a.network_config.buf, "eth0") != NULL);
	CHECK(a.user_data.buf && strstr(a.user_data.buf, "hostname: pi-one") != NULL);
	CHECK(a.meta_data.buf && b.meta_data.buf && streq(a.meta_data.buf, b.meta_data.buf));
	CHECK(a.meta_data.buf && c.meta_data.buf && !streq(a.meta_data.buf, c.meta_data.buf));
	pi_seed_release(&a);
	pi_seed_release(&b);
	pi_seed_release(&c);
	profile_free(p);
}

static void test_prepare(void)
{
	_cleanup_free_ char *root = path_join(tmp, "root"), *boot = path_join(tmp, "boot");
	_cleanup_free_ char *config = NULL, *cfg = NULL, *fstab = NULL;
	_cleanup_(rootfs_freep) struct rootfs *fs = NULL;
	struct profile *p = NULL;
	struct plan plan = {0};

	put("root/boot/vmlinuz-6.1.0-9-arm64", "old kernel");
	put("root/boot/initrd.img-6.1.0-9-arm64", "old initrd");
	put("root/boot/vmlinuz-6.1.0-10-arm64", "kernel");
	put("root/boot/initrd.img-6.1.0-10-arm64", "initrd");
	put("root/usr/lib/raspi-firmware/bootcode.bin", "bootcode");
	put("root/usr/lib/raspi-firmware/start.elf", "start");
	put("root/usr/lib/raspi-firmware/fixup.dat", "fixup");
	put("root/usr/lib/linux-image-6.1.0-10-arm64/broadcom/bcm2837-rpi-3-b.dtb", "3b");
	put("root/usr/lib/linux-image-6.1.0-10-arm64/broadcom/bcm2837-rpi-3-b-plus.dtb", "3b+");
	put("root/usr/lib/linux-image-6.1.0-10-arm64/broadcom/bcm2711-rpi-4-b.dtb", "4b");
	put("root/boot/firmware/config.txt", "raspi-firmware's own");
	put("root/etc/hostname", "localhost\n");
	CHECK(mkdir_p(boot, 0755) == 0);

	CHECK(profile_load("rpi3", NULL, &p) == 0);
	CHECK(rootfs_dir_open(root, &fs) == 0);
	if (!p || !fs)
		return;
	plan.profile = p;
	plan.name = "rpi3";
	CHECK(board_rpi_prepare(&plan, root, fs, boot) == 0);

	CHECK(has("boot/vmlinuz-6.1.0-10-arm64") && has("boot/initrd.img-6.1.0-10-arm64"));
	CHECK(!has("boot/vmlinuz-6.1.0-9-arm64"));
	CHECK(has("boot/bootcode.bin") && has("boot/start.elf") && has("boot/fixup.dat"));
	CHECK(has("boot/bcm2837-rpi-3-b.dtb") && has("boot/bcm2837-rpi-3-b-plus.dtb"));
	CHECK(!has("boot/bcm2711-rpi-4-b.dtb"));
	CHECK(has("boot/user-data") && has("boot/meta-data") && has("boot/network-config"));
	config = text_of("boot/config.txt");
	CHECK(strstr(config, "kernel=vmlinuz-6.1.0-10-arm64") != NULL);
	CHECK(!has("root/boot/firmware/config.txt"));
	fstab = text_of("root/etc/fstab");
	CHECK(strstr(fstab, "LABEL=system-boot\t/boot/firmware\tvfat") != NULL);
	cfg = text_of("root/etc/cloud/cloud.cfg.d/91-faasd-image-rpi.cfg");
	CHECK(strstr(cfg, "fs_label: system-boot") != NULL);

	/* The tree has no Pi 4 firmware (start4.elf): the Pi 4 board is refused. */
	p->board = BOARD_RPI4;
	CHECK(board_rpi_prepare(&plan, root, fs, boot) == -ENOENT);
	profile_free(p);
}

int main(void)
{
	setenv("FAASD_IMAGE_DATADIR", getenv("FAASD_IMAGE_TOP") ? getenv("FAASD_IMAGE_TOP") : ".",
	       0);
	log_set_level(LOG_ERROR);
	if (!mkdtemp(tmp))
		return 1;
	test_settings();
	test_find();
	test_seed();
	test_prepare();
	remove_tree(tmp);
	return unit_done("test-board-rpi");
}
