/* SPDX-License-Identifier: MIT */
/*
 * The Raspberry Pi 3 and 4 board: what a bootstrapped arm64 Debian tree
 * needs to become an SD card image. It gathers the files of the FAT boot
 * partition (the GPU firmware from raspi-firmware, Debian's arm64 kernel
 * and initrd, the board's device trees, a config.txt and cmdline.txt of
 * ours, and the cloud-init seed rendered from the profile) into a host
 * directory for disk_assemble(), and changes the tree so that the booted
 * system finds that partition: /etc/fstab, cloud-init's NoCloud source on
 * the partition labelled system-boot, and an empty /boot/firmware where
 * raspi-firmware's hooks had copied their own set. It runs nothing of the
 * tree and never touches the host outside the directories it is given.
 */
#ifndef FAASD_IMAGE_BOARD_RPI_H
#define FAASD_IMAGE_BOARD_RPI_H

#include <stdbool.h>
#include <stdint.h>

#include "plan.h"
#include "profile.h"
#include "rootfs.h"

/* The label of the FAT boot partition, which cloud-init reads its seed from. */
#define BOARD_RPI_BOOT_LABEL "system-boot"
/* The label of the ext4 root partition. */
#define BOARD_RPI_ROOT_LABEL "writable"

/* The smallest Pi image; a smaller disk_size is raised to it (a power of two, for raspi3b). */
#define BOARD_RPI_MIN_DISK_SIZE (UINT64_C(2) << 30)

/* True for the Raspberry Pi boards. */
bool board_is_rpi(enum board b);

/*
 * The Debian packages a Pi image needs beyond the generic ones, NULL
 * terminated, static: the firmware (non-free-firmware), growpart for the
 * first boot, and netplan, wpa_supplicant and the Wi-Fi firmware for a
 * network-config with a Wi-Fi network. NULL for other boards. plan_base()
 * adds them to the package list.
 */
const char *const *board_rpi_packages(enum board b);

/* The kernel command line of board b's cmdline.txt (one line, no newline). Static. */
const char *board_rpi_cmdline(enum board b);

/*
 * The text of config.txt for board b booting kernel_version's vmlinuz and
 * initrd.img. Caller frees.
 */
char *board_rpi_config_txt(enum board b, const char *kernel_version);

/*
 * Fills boot_dir (an existing, empty host directory) with the boot
 * partition of plan's board from the tree at root (a host directory):
 * firmware, kernel, initrd, device trees, config.txt, cmdline.txt, and
 * user-data, meta-data and network-config rendered from the profile. Then
 * changes the tree through fs (which must be the same tree): fstab,
 * cloud-init's NoCloud settings, /boot/firmware emptied. Every file gets
 * the plan's source date epoch as its time. Returns 0 or a negative errno
 * after logging one line (-ENOENT: a firmware file, the kernel or a device
 * tree is missing from the tree).
 */
int board_rpi_prepare(const struct plan *plan, const char *root, struct rootfs *fs,
		      const char *boot_dir);

#endif
