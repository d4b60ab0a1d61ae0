/* SPDX-License-Identifier: MIT */
/*
 * The published-cloud-image base: a disk image that fetch has already
 * verified (signed SHA256SUMS, pinned sha256) is checked once more for
 * what a checksum cannot tell (a backing file, an external data file, a
 * format we do not know, a size that does not fit, a damaged qcow2),
 * copied into the output directory's temporary area as a qcow2, opened
 * read-write with libguestfs (format always given, never probed),
 * launched once, inspected for its root filesystem and architecture, and
 * handed to the stack stage as a struct rootfs. Finishing removes the
 * per-instance state of the vendor's build, trims free space and closes
 * the appliance. The source image in the cache is only ever read.
 */
#ifndef FAASD_IMAGE_BASE_IMAGE_H
#define FAASD_IMAGE_BASE_IMAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "hygiene.h"
#include "profile.h"
#include "rootfs.h"

/* What qemu-img says about an image, after the checks of base_image_check(). */
struct base_image_info {
	char format[8];        /* "qcow2" or "raw" */
	uint64_t virtual_size; /* bytes */
};

/*
 * Runs `qemu-img info --output=json` on path (and `qemu-img check` for a
 * qcow2) and refuses, with one clear logged line naming the file: a
 * backing file (-EPERM), an external data file (-EPERM), a format other
 * than qcow2 or raw (-EMEDIUMTYPE), a qcow2 that is corrupt or truncated
 * (-EBADMSG), a file that is not an image at all or cannot be read (-EIO).
 * what names the file in messages: "base image", "image".
 * Fills *ret on success. Writes nothing.
 */
int base_image_check(const char *path, const char *what, struct base_image_info *ret);

struct base_image_opts {
	const char *image;     /* the verified image (qcow2 or raw), only read */
	const char *work_path; /* the final name of the working copy, e.g. OUT/NAME/NAME.qcow2 */
	enum arch arch;        /* the profile's: the image's root must be of this architecture */
	uint64_t disk_size;    /* 0: keep the image's size; else at least its virtual size */
};

struct base_image;

/*
 * Checks opts->image (base_image_check), refuses a virtual size larger
 * than disk_size, copies it to a temporary beside opts->work_path
 * (temp_name_for, registered for removal) as qcow2, grows it to
 * disk_size (moving a GPT's backup header to the new end; the root
 * filesystem is grown by cloud-init at first boot), launches libguestfs
 * once, finds the one operating system root, refuses a wrong
 * architecture (-EXDEV) and mounts its filesystems read-write. Returns 0
 * or a negative errno, logged once. On failure nothing is left on disk.
 * *ret is freed with base_image_free().
 */
int base_image_open(const struct base_image_opts *opts, struct base_image **ret);

/* The mounted tree, for the stack stage. Owned by bi: do not free it. */
struct rootfs *base_image_rootfs(struct base_image *bi);

/*
 * Ends the customization: removes the per-instance state the vendor's own
 * build left (SSH host keys, machine id, cloud-init instance state,
 * random seed, logs, shell histories), runs the secrets check
 * (inspect_check_mounted with hygiene: the build host's paths and user
 * name, as the hygiene stage of a bootstrap build has them) and refuses with -EBADMSG when it finds
 * anything, zeroes and then trims the free space of every filesystem so
 * that deleted data does not survive in the disk, unmounts, and shuts the
 * appliance down cleanly. On success
 * *ret_path is the working copy (still a registered temporary: the caller
 * converts it or renames it into place and unregisters it; caller frees
 * the string). On failure the working copy is removed.
 */
int base_image_finish(struct base_image *bi, const struct hygiene_opts *hygiene,
		      char **ret_path);

/* Closes the appliance if still open and removes an unfinished working copy. NULL is fine. */
void base_image_free(struct base_image *bi);

static inline void base_image_freep(struct base_image **bi)
{
	base_image_free(*bi);
}

#endif
