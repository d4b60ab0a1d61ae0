/* SPDX-License-Identifier: MIT */
/*
 * Disk assembly: a root directory tree in, a bootable raw disk file out,
 * without mounts, loop devices or root-only steps. The partition table is
 * written by sfdisk into a sized file, the FAT by mkfs.fat and mtools at its
 * offset, the ext4 root by mke2fs -d at its offset, and the EFI loader by
 * grub-mkimage. Two layouts: GPT with an EFI system partition for virtual
 * machines, MBR with a FAT boot partition for the Raspberry Pi.
 *
 * Every identifier that would be random (disk, partition and filesystem
 * UUIDs, FAT volume IDs, ext4 hash seeds) is derived from a seed string, and
 * every timestamp is the source date epoch, so the same tree, seed and epoch
 * give the same bytes (docs/reproducible.md). Nothing here mounts anything or
 * writes outside the output's directory.
 */
#ifndef FAASD_IMAGE_DISK_H
#define FAASD_IMAGE_DISK_H

#include <stdbool.h>
#include <stdint.h>

#include "profile.h"

#define DISK_MIB (UINT64_C(1) << 20)
#define DISK_SECTOR UINT64_C(512)

/* A UUID as text: 36 characters and a NUL. */
#define DISK_UUID_LEN 36

enum disk_layout {
	/* GPT: 1 EFI system partition (FAT32, "UEFI", GRUB), 2 ext4 root. */
	DISK_LAYOUT_EFI,
	/* MBR: 1 FAT32 "system-boot" at 4 MiB (boot files), 2 ext4 "writable". */
	DISK_LAYOUT_RPI,
};

struct disk_spec {
	enum disk_layout layout;
	enum arch arch;             /* EFI: picks the GRUB platform and the root type */
	const char *root_dir;       /* the tree that becomes the ext4 root; only read */
	const char *root_label;     /* NULL: "root" (EFI) or "writable" (RPI) */
	const char *boot_dir;       /* RPI: the files of the FAT boot partition */
	const char *kernel_cmdline; /* EFI: arguments GRUB gives the kernel */
	const char *grub_dir;       /* EFI: GRUB modules; NULL: /usr/lib/grub/PLATFORM */
	uint64_t disk_size;         /* bytes; rounded up to a whole MiB */
	bool round_pow2;            /* round disk_size up to a power of two (raspi3b) */
	const char *seed;           /* derives every UUID and ID, e.g. "PROFILE:EPOCH" */
	uint64_t source_date_epoch; /* every timestamp in the filesystems */
	const char *output;         /* the raw disk file to write */
};

/* One partition, in bytes from the start of the disk. */
struct disk_part {
	uint64_t offset;
	uint64_t size;
};

/* Where everything goes: a pure function of the spec (disk_layout_compute). */
struct disk_geometry {
	uint64_t disk_size; /* after rounding */
	struct disk_part boot; /* the EFI system partition or the Pi's boot FAT */
	struct disk_part root; /* the ext4 root: the last partition, free to grow */
};

/* What a tree needs on ext4: 4 KiB blocks and inodes, hard links counted once. */
struct tree_usage {
	uint64_t blocks; /* data, directory and long-symlink blocks */
	uint64_t inodes;
	uint64_t bytes;  /* sum of regular file sizes, for messages */
};

/*
 * Builds the disk described by spec at spec->output. The disk is written to
 * a temporary beside the output (registered with temp_register) and renamed
 * over spec->output only when complete, so a failure or an interruption
 * leaves any previous output untouched and no partial file behind. Refuses
 * early, with one line saying how much is needed, when the root tree cannot
 * fit. EFI needs /vmlinuz and /initrd.img in the root tree (symlinks are
 * fine); GRUB's embedded configuration finds the root by its label and boots
 * them with "root=LABEL=<label>" (unless kernel_cmdline names a root=) and
 * kernel_cmdline. The root tree is never changed. Returns 0 or a negative
 * errno, after logging once.
 */
int disk_assemble(const struct disk_spec *spec);

/*
 * The UUID for role ("disk", "esp", "root", ...) of a seed: the first 16
 * bytes of sha256(seed ":" role) with the RFC 9562 version 8 and variant
 * bits set, as lower-case text. Pure.
 */
void disk_uuid_derive(const char *seed, const char *role, char out[DISK_UUID_LEN + 1]);

/* A 32-bit ID (FAT volume ID, MBR disk ID) for role of a seed: the first
 * 4 bytes of sha256(seed ":" role), big-endian. Pure. */
uint32_t disk_id32_derive(const char *seed, const char *role);

/*
 * Fills geometry for spec's layout and size: rounding (MiB, power of two),
 * the fixed boot partition and the root filling the rest (for GPT, less
 * the last MiB, which holds the backup table). Returns 0, or -EINVAL when
 * the size leaves the root less than 16 MiB. Pure; logs nothing.
 */
int disk_layout_compute(const struct disk_spec *spec, struct disk_geometry *ret);

/*
 * Walks dir without following symlinks and adds up what its entries need
 * on ext4 with 4 KiB blocks. Returns 0 or a negative errno; logs nothing.
 */
int tree_usage_measure(const char *dir, struct tree_usage *ret);

/*
 * The smallest ext4 size in bytes (a whole MiB) that holds a tree of that
 * usage with our mke2fs settings: inode tables, journal, group metadata,
 * reserved descriptors for growth and a margin. Pure.
 */
uint64_t disk_ext4_min_size(const struct tree_usage *usage);

/* The inode count to ask mke2fs for (-N) when the default ratio would give
 * too few for the tree; 0 when the default is enough. Pure. */
uint64_t disk_ext4_inode_count(const struct tree_usage *usage, uint64_t fs_size);

/*
 * GRUB's embedded configuration for the EFI layout: find the partition by
 * root_label, load /vmlinuz and /initrd.img from it, boot. Caller frees.
 */
char *disk_grub_config(const char *root_label, const char *kernel_cmdline);

#endif
