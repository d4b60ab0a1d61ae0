// SPDX-License-Identifier: MIT
/*
 * The Raspberry Pi board (board-rpi.h). The boot partition is gathered
 * from what Debian's packages put into the tree: raspi-firmware's copy of
 * the GPU firmware under /usr/lib/raspi-firmware, the kernel and initrd
 * under /boot, and the device trees the kernel package ships under
 * /usr/lib/linux-image-VERSION/broadcom. raspi-firmware's own kernel hook
 * also fills the tree's /boot/firmware while the base is made (with a
 * cmdline.txt naming the build host's root device); that copy is thrown
 * away here, because at boot the FAT partition is mounted over it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "board-rpi.h"
#include "log.h"
#include "personalize.h"
#include "util.h"

static const char *const rpi_packages[] = {
	"raspi-firmware",     /* bootcode.bin, start*.elf, fixup*.dat (non-free-firmware) */
	"cloud-guest-utils",  /* growpart: the root partition grows to the card at first boot */
	"netplan.io",         /* cloud-init's renderer for a network-config with Wi-Fi */
	"wpasupplicant",      /* Wi-Fi authentication, started by netplan */
	"firmware-brcm80211", /* the Pi 3 and 4 Wi-Fi chips (non-free-firmware) */
	"wireless-regdb",     /* the Wi-Fi country's rules */
	"iw",                 /* netplan sets the Wi-Fi country with it */
	NULL,
};

bool board_is_rpi(enum board b)
{
	return b == BOARD_RPI3 || b == BOARD_RPI4;
}

const char *const *board_rpi_packages(enum board b)
{
	return board_is_rpi(b) ? rpi_packages : NULL;
}

/* Kernel, device trees and GPU firmware are megabytes; nothing on the card is near this. */
#define BOOT_FILE_MAX (256u << 20)

/* The GPU firmware each board starts from (raspi-firmware's /usr/lib/raspi-firmware). */
static const char *const rpi3_firmware[] = {"bootcode.bin", "start.elf", "fixup.dat", NULL};
static const char *const rpi4_firmware[] = {"start4.elf", "fixup4.dat", NULL};

#define FIRMWARE_DIR "/usr/lib/raspi-firmware"

/* The device trees of a board in the kernel's broadcom/ directory, by SoC prefix. */
static const char *dtb_prefix(enum board b)
{
	return b == BOARD_RPI4 ? "bcm2711-" : "bcm2837-";
}

/* The one device tree that must be there (QEMU's raspi3b and the Pi 3B need it). */
static const char *dtb_required(enum board b)
{
	return b == BOARD_RPI4 ? "bcm2711-rpi-4-b.dtb" : "bcm2837-rpi-3-b.dtb";
}

const char *board_rpi_cmdline(enum board b)
{
	/*
	 * Debian's raspi-firmware line with the root by label. The serial
	 * console comes last: it is /dev/console, where the status markers go.
	 * The Pi 4 must not get cma=64M (raspi-firmware leaves it out too).
	 */
	if (b == BOARD_RPI4)
		return "console=tty0 console=ttyS1,115200 root=LABEL=" BOARD_RPI_ROOT_LABEL
		       " rootfstype=ext4 rw fsck.repair=yes net.ifnames=0 rootwait";
	return "console=tty0 console=ttyS1,115200 root=LABEL=" BOARD_RPI_ROOT_LABEL
	       " rootfstype=ext4 rw fsck.repair=yes net.ifnames=0 cma=64M rootwait";
}

char *board_rpi_config_txt(enum board b, const char *kernel_version)
{
	return xasprintf("# faasd-image: %s boot configuration, read by the GPU firmware.\n"
			 "# Debian's raspi-firmware rewrites this file in its own form when a\n"
			 "# kernel update is installed; the settings stay equivalent.\n"
			 "arm_64bit=1\n"
			 "enable_uart=1\n"
			 "upstream_kernel=1\n"
			 "kernel=vmlinuz-%s\n"
			 "initramfs initrd.img-%s followkernel\n",
			 b == BOARD_RPI4 ? "Raspberry Pi 4" : "Raspberry Pi 3", kernel_version,
			 kernel_version);
}

/* A regular file of the tree (never a symlink, which could lead out of it), read whole. */
static int tree_read(const char *root, const char *path, char **ret, size_t *ret_len)
{
	_cleanup_free_ char *full = path_join(root, path);
	struct stat st;

	if (lstat(full, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	return read_file(full, BOOT_FILE_MAX, ret, ret_len);
}

/* Copies the tree's path to boot_dir/name. Logs on failure. */
static int boot_copy(const char *root, const char *path, const char *boot_dir, const char *name)
{
	_cleanup_free_ char *data = NULL, *dest = path_join(boot_dir, name);
	size_t len;
	int r;

	r = tree_read(root, path, &data, &len);
	if (r == -ENOENT)
		return log_error_errno(r, "the tree has no '%s' (is raspi-firmware or the kernel "
				       "in the base's package list?)", path);
	if (r < 0)
		return log_error_errno(r, "cannot read '%s' of the tree: %s", path,
				       r == -EINVAL ? "not a regular file" : strerror(-r));
	r = write_file_atomic(dest, data, len, 0644);
	if (r < 0)
		return log_error_errno(r, "cannot write '%s': %s", dest, strerror(-r));
	return 0;
}

static int boot_write(const char *boot_dir, const char *name, const char *data, size_t len)
{
	_cleanup_free_ char *dest = path_join(boot_dir, name);
	int r = write_file_atomic(dest, data, len, 0644);

	if (r < 0)
		return log_error_errno(r, "cannot write '%s': %s", dest, strerror(-r));
	return 0;
}

static int version_compare(const void *a, const void *b)
{
	return strverscmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The names in the tree's directory dir that start with prefix and end
 * with suffix, in version order. *ret may be NULL (none). Logs on failure.
 */
static int tree_list(const char *root, const char *dir, const char *prefix, const char *suffix,
		     char ***ret)
{
	_cleanup_free_ char *full = path_join(root, dir);
	char **names = NULL;
	struct dirent *de;
	DIR *d = opendir(full);

	if (!d)
		return log_error_errno(-errno, "cannot read the directory '%s' of the tree: %s",
				       dir, strerror(errno));
	while ((de = readdir(d)))
		if (str_starts_with(de->d_name, prefix) && str_ends_with(de->d_name, suffix))
			strv_push(&names, de->d_name);
	closedir(d);
	if (names)
		qsort(names, strv_length(names), sizeof(*names), version_compare);
	*ret = names;
	return 0;
}

/* The newest kernel version with both /boot/vmlinuz-V and /boot/initrd.img-V. Caller frees. */
static int kernel_version(const char *root, char **ret)
{
	_cleanup_strv_free_ char **kernels = NULL;
	int r = tree_list(root, "/boot", "vmlinuz-", "", &kernels);

	if (r < 0)
		return r;
	for (size_t n = strv_length(kernels); n > 0; n--) {
		const char *v = kernels[n - 1] + strlen("vmlinuz-");
		_cleanup_free_ char *initrd = xasprintf("%s/boot/initrd.img-%s", root, v);

		if (file_exists(initrd)) {
			*ret = xstrdup(v);
			return 0;
		}
	}
	return log_error_errno(-ENOENT, "the tree '%s' has no /boot/vmlinuz-VERSION with its "
			       "initrd.img (is linux-image-arm64 in the base?)", root);
}

/* Firmware, kernel, initrd and device trees into boot_dir. */
static int boot_copy_binaries(enum board b, const char *root, const char *version,
			      const char *boot_dir)
{
	const char *const *fw = b == BOARD_RPI4 ? rpi4_firmware : rpi3_firmware;
	_cleanup_free_ char *kernel = xasprintf("vmlinuz-%s", version);
	_cleanup_free_ char *initrd = xasprintf("initrd.img-%s", version);
	_cleanup_free_ char *kpath = xasprintf("/boot/%s", kernel);
	_cleanup_free_ char *ipath = xasprintf("/boot/%s", initrd);
	_cleanup_free_ char *dtb_dir = xasprintf("/usr/lib/linux-image-%s/broadcom", version);
	_cleanup_strv_free_ char **dtbs = NULL;
	int r;

	for (; *fw; fw++) {
		_cleanup_free_ char *path = xasprintf(FIRMWARE_DIR "/%s", *fw);

		r = boot_copy(root, path, boot_dir, *fw);
		if (r < 0)
			return r;
	}
	r = boot_copy(root, kpath, boot_dir, kernel);
	if (r == 0)
		r = boot_copy(root, ipath, boot_dir, initrd);
	if (r == 0)
		r = tree_list(root, dtb_dir, dtb_prefix(b), ".dtb", &dtbs);
	if (r < 0)
		return r;
	if (!strv_contains(dtbs, dtb_required(b)))
		return log_error_errno(-ENOENT, "the kernel %s in the tree ships no '%s/%s'",
				       version, dtb_dir, dtb_required(b));
	for (char **d = dtbs; *d; d++) {
		_cleanup_free_ char *path = path_join(dtb_dir, *d);

		r = boot_copy(root, path, boot_dir, *d);
		if (r < 0)
			return r;
	}
	log_info("boot partition: %s firmware, kernel %s, %zu device trees", board_name(b),
		 version, strv_length(dtbs));
	return 0;
}

/*
 * The boot partition is nofail: a slow or damaged card must not stop the
 * boot in emergency mode (cloud-init finds the seed by label on its own),
 * and a slow machine gets more than systemd's 90 s to show the device.
 */
static const char fstab_text[] =
	"# faasd-image: the SD card of a Raspberry Pi, by filesystem label\n"
	"LABEL=" BOARD_RPI_ROOT_LABEL "\t/\text4\tdefaults\t0\t1\n"
	"LABEL=" BOARD_RPI_BOOT_LABEL "\t/boot/firmware\tvfat\t"
	"defaults,nofail,x-systemd.device-timeout=300s\t0\t2\n";

/*
 * cloud-init reads its seed from the boot partition, where a user can edit
 * it on any computer before the first boot. growpart and resize_rootfs are
 * cloud-init's defaults; they grow the root, the last partition, to the card.
 */
static const char cloud_cfg_text[] =
	"# faasd-image: the seed (user-data, meta-data, network-config) is on the\n"
	"# Raspberry Pi's boot partition, labelled " BOARD_RPI_BOOT_LABEL ".\n"
	"datasource_list: [ NoCloud, None ]\n"
	"datasource:\n"
	"  NoCloud:\n"
	"    fs_label: " BOARD_RPI_BOOT_LABEL "\n"
	"growpart:\n"
	"  mode: auto\n"
	"  devices: [\"/\"]\n"
	"resize_rootfs: true\n";

#define CLOUD_CFG_PATH "/etc/cloud/cloud.cfg.d/91-faasd-image-rpi.cfg"

/* fstab, cloud-init's source, and an empty /boot/firmware for the FAT to be mounted on. */
static int tree_prepare(struct rootfs *fs)
{
	int r;

	r = rootfs_write_string(fs, "/etc/fstab", fstab_text, 0644);
	if (r < 0)
		return log_error_errno(r, "cannot write /etc/fstab in '%s': %s", fs->description,
				       strerror(-r));
	r = rootfs_mkdir(fs, "/etc/cloud/cloud.cfg.d", 0755);
	if (r == 0)
		r = rootfs_write_string(fs, CLOUD_CFG_PATH, cloud_cfg_text, 0644);
	if (r < 0)
		return log_error_errno(r, "cannot write " CLOUD_CFG_PATH " in '%s': %s",
				       fs->description, strerror(-r));
	/* raspi-firmware's hooks copied kernel, firmware and a config there at build time. */
	r = rootfs_remove(fs, "/boot/firmware");
	if (r == 0)
		r = rootfs_mkdir(fs, "/boot/firmware", 0755);
	if (r < 0)
		return log_error_errno(r, "cannot empty /boot/firmware in '%s': %s",
				       fs->description, strerror(-r));
	return 0;
}

/* config.txt, cmdline.txt and the cloud-init seed into boot_dir. */
static int boot_write_settings(const struct plan *plan, const char *version,
			       const char *boot_dir)
{
	enum board b = plan->profile->board;
	_cleanup_free_ char *config = board_rpi_config_txt(b, version);
	_cleanup_free_ char *cmdline = xasprintf("%s\n", board_rpi_cmdline(b));
	struct pi_seed seed = {STRBUF_INIT, STRBUF_INIT, STRBUF_INIT, false};
	int r;

	r = boot_write(boot_dir, "config.txt", config, strlen(config));
	if (r == 0)
		r = boot_write(boot_dir, "cmdline.txt", cmdline, strlen(cmdline));
	if (r == 0)
		r = pi_seed_render(plan->profile, plan->lock, NULL, &seed);
	if (r == 0)
		r = boot_write(boot_dir, "user-data", seed.user_data.buf, seed.user_data.len);
	if (r == 0)
		r = boot_write(boot_dir, "meta-data", seed.meta_data.buf, seed.meta_data.len);
	if (r == 0 && seed.has_network_config)
		r = boot_write(boot_dir, "network-config", seed.network_config.buf,
			       seed.network_config.len);
	pi_seed_release(&seed);
	return r;
}

int board_rpi_prepare(const struct plan *plan, const char *root, struct rootfs *fs,
		      const char *boot_dir)
{
	enum board b = plan->profile->board;
	_cleanup_free_ char *version = NULL;
	int r;

	if (!board_is_rpi(b))
		return log_error_errno(-EINVAL, "profile '%s' is not for a Raspberry Pi",
				       plan->name);
	r = kernel_version(root, &version);
	if (r == 0)
		r = boot_copy_binaries(b, root, version, boot_dir);
	if (r == 0)
		r = boot_write_settings(plan, version, boot_dir);
	if (r == 0)
		r = tree_prepare(fs);
	return r;
}
