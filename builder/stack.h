/* SPDX-License-Identifier: MIT */
/*
 * The faasd stack, laid onto a root tree through the rootfs interface:
 * the files of the plan (generated text, unit templates, pinned artifacts,
 * members of upstream tarballs, symlinks, preloaded images) and the units
 * it enables. It never learns whether the tree is a directory or an image,
 * never runs a program of the tree, and writes only what the plan lists.
 */
#ifndef FAASD_IMAGE_STACK_H
#define FAASD_IMAGE_STACK_H

#include "plan.h"
#include "rootfs.h"

/*
 * Lays every file of plan onto fs and enables plan->units. The artifacts
 * of the plan must have been fetched (cache_path set). work_dir is a host
 * directory for unpacking tarballs (it must exist; what is made there is
 * removed). Returns 0 or a negative errno after logging one line naming
 * the file in the image.
 */
int stack_lay(const struct plan *plan, struct rootfs *fs, const char *work_dir);

#endif
