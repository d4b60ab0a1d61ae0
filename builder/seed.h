/* SPDX-License-Identifier: MIT */
/*
 * NoCloud seeds: a small vfat volume labelled "cidata" holding user-data,
 * meta-data and, when there is one, network-config, for cloud-init to read
 * from a second disk. Made without root, mounts or loop devices (mkfs.fat
 * -C and mcopy -i, through run_argv), byte for byte reproducible
 * (mkfs.fat --invariant with a volume id derived from the contents,
 * SOURCE_DATE_EPOCH for mtools, a fixed file order), and written to a
 * temporary that is renamed into place only when complete.
 */
#ifndef FAASD_IMAGE_SEED_H
#define FAASD_IMAGE_SEED_H

#include <stddef.h>
#include <stdint.h>

#include "lock.h"
#include "profile.h"
#include "render.h"

enum seed_format {
	SEED_VFAT,
	SEED_ISO,
};

struct seed_files {
	const char *user_data;
	size_t user_data_len;
	const char *meta_data;
	size_t meta_data_len;
	const char *network_config; /* NULL: no network-config file */
	size_t network_config_len;
};

/* "vfat" or "iso"; -EINVAL for anything else. */
int seed_format_from_name(const char *name, enum seed_format *ret);

/*
 * Writes a seed with files to path: a temporary beside it, renamed over
 * path on success; on failure path is untouched and the temporary gone.
 * source_date_epoch stamps the files (0: 1980-01-01, FAT's first day).
 * Returns 0, or a negative errno after logging one line (-ENOENT when
 * mkfs.fat or mcopy is missing, -ENOTSUP for a format not built yet).
 */
int seed_write(const char *path, const struct seed_files *files, enum seed_format format,
	       uint64_t source_date_epoch);

/*
 * Renders p (user-data of the given kind, meta-data from it, network-config
 * when the profile has a network section) and writes the seed to path. l
 * may be NULL for RENDER_INSTANCE. Same contract as seed_write.
 */
int seed_write_profile(const struct profile *p, const struct lock *l, enum render_kind kind,
		       const char *path);

#endif
