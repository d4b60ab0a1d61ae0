/* SPDX-License-Identifier: MIT */
/*
 * Output conversions of an assembled raw disk or a root tree: qcow2
 * (qemu-img), xz (xz), a block map (bmaptool) and squashfs (mksquashfs).
 * Each writes its output under a temporary name beside it (registered with
 * temp_register) and renames it into place only when the tool succeeded, so
 * a failure or an interruption leaves any previous output intact. Each is
 * deterministic for a given input; docs/reproducible.md says on what. The
 * sha256 of an output is verify.h's sha256_file().
 */
#ifndef FAASD_IMAGE_CONVERT_H
#define FAASD_IMAGE_CONVERT_H

#include <stdbool.h>
#include <stdint.h>

/*
 * raw (a raw disk) to out as qcow2; compress: zstd-compressed clusters
 * (about 8 times slower than none, and far smaller). Returns 0 or a
 * negative errno, after logging once.
 */
int convert_qcow2(const char *raw, const char *out, bool compress);

/*
 * in to out compressed with xz (level 6, 24 MiB blocks) by threads threads
 * (0: one per core). Always xz's multi-threaded format, which does not
 * depend on the thread count: the same input gives the same bytes on any
 * machine. Returns 0 or a negative errno, after logging once.
 */
int convert_xz(const char *in, const char *out, unsigned threads);

/*
 * The block map of img (bmaptool create) to out. It lists img's mapped
 * ranges with their sha256, so it follows img's holes: make it from the
 * very file that is shipped, before any copy that could fill them. Returns
 * 0 or a negative errno, after logging once.
 */
int convert_bmap(const char *img, const char *out);

/*
 * A squashfs of rootdir at out: zstd level 3, every timestamp (files and
 * the superblock) set to epoch, ownership and modes as in the tree. Returns
 * 0 or a negative errno, after logging once.
 */
int make_squashfs(const char *rootdir, const char *out, uint64_t epoch);

#endif
