/* SPDX-License-Identifier: MIT */
/*
 * The cloud-init seed on a Raspberry Pi image's boot partition: rendering
 * user-data, meta-data and network-config from a profile (for the build
 * and for personalize), and rewriting exactly those three files on the FAT
 * partition labelled system-boot of an existing raw image. The partition is
 * found by reading the MBR and the FAT boot sector here; the files are
 * replaced with mtools at the partition's byte offset. No root, no mounts,
 * no loop devices, and no byte of the image outside those three files'
 * clusters and directory entries is written.
 */
#ifndef FAASD_IMAGE_PERSONALIZE_H
#define FAASD_IMAGE_PERSONALIZE_H

#include <stdbool.h>
#include <stdint.h>

#include "lock.h"
#include "profile.h"
#include "util.h"

/* The three seed files, rendered. */
struct pi_seed {
	struct strbuf user_data;
	struct strbuf meta_data;
	struct strbuf network_config;
	bool has_network_config; /* false: the profile has no network section */
};

/*
 * Renders the seed of p: the per-instance user-data (RENDER_INSTANCE; l may
 * be NULL unless the profile names an artifacts mirror), network-config
 * when the profile has a network section, and meta-data whose instance-id
 * is a hash of the profile's name, hostname, user-data, network-config and
 * salt. salt (NULL: none) lets personalize give an image a new instance-id
 * even when the profile did not change: it passes the meta-data found on
 * the image. Returns 0 or a negative errno (logged). Release with
 * pi_seed_release() in either case.
 */
int pi_seed_render(const struct profile *p, const struct lock *l, const char *salt,
		   struct pi_seed *ret);
void pi_seed_release(struct pi_seed *s);

/* A partition of a disk image, in bytes. */
struct pi_boot_partition {
	uint64_t offset;
	uint64_t size;
	unsigned index; /* 1..4, as in the MBR */
};

/*
 * Finds the FAT partition labelled system-boot in the MBR of the raw image
 * at path. Refuses, with one line saying what to do, an xz-compressed file
 * (-EMEDIUMTYPE), a qcow2 (-EMEDIUMTYPE), a file without an MBR or without
 * such a partition (-ENOENT). Reads only.
 */
int pi_boot_partition_find(const char *path, struct pi_boot_partition *ret);

/*
 * Replaces user-data, meta-data and network-config on the boot partition
 * of the raw image at path with the seed of p (a new instance-id, so that
 * cloud-init runs its per-instance modules again at the next boot); a
 * network-config already there is deleted when the profile has none.
 * Everything is rendered before the image is opened for writing. The image
 * is changed in place: when mtools fails part way, the line logged says
 * which files were already replaced. Returns 0 or a negative errno
 * (logged once).
 */
int personalize_image(const char *path, const struct profile *p, const struct lock *l);

#endif
