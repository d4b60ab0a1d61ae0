/* SPDX-License-Identifier: MIT */
/*
 * libguestfs handles made the one way faasd-image needs them: the direct
 * back end, TCG forced when this host has no KVM that can really run a
 * guest, libguestfs's own stderr printing off, and its errors turned into
 * one logged line and a negative errno at this edge. Also the guestfs back
 * end of the root tree interface (rootfs.h). Nothing here ever runs a
 * program of the guest: no guestfs_command, no guestfs_sh.
 */
#ifndef FAASD_IMAGE_GUESTFS_UTIL_H
#define FAASD_IMAGE_GUESTFS_UTIL_H

#include <stdbool.h>

#include <guestfs.h>

#include "rootfs.h"

/*
 * Whether QEMU can run a guest with KVM here: a tiny firmware that only
 * writes to QEMU's isa-debug-exit port is run with -accel kvm -cpu host.
 * A /dev/kvm that exists is not enough (a nested or paravirtual KVM may
 * abort on the first MSR write). The answer is cached for the process.
 * On hosts other than x86_64 the probe is skipped and the answer is "KVM
 * works when /dev/kvm opens". reason (optional) says why not.
 */
bool gfs_kvm_usable(const char **reason);

/*
 * A new handle: error printing off, the direct back end and force_tcg
 * unless LIBGUESTFS_BACKEND / LIBGUESTFS_BACKEND_SETTINGS say otherwise
 * (force_tcg only when gfs_kvm_usable() is false). Returns 0 or
 * -ENOMEM (logged).
 */
int gfs_handle_new(guestfs_h **ret);

static inline void gfs_handle_closep(guestfs_h **g)
{
	if (*g)
		guestfs_close(*g);
}
#define _cleanup_guestfs_ __attribute__((cleanup(gfs_handle_closep)))

/*
 * Logs "what: LIBGUESTFS ERROR" once at error level and returns the
 * negative errno libguestfs reported (-EIO when it gave none).
 */
int gfs_error(guestfs_h *g, const char *what);

/* The negative errno of the last failed call, without logging; -EIO when unknown. */
int gfs_errno(guestfs_h *g);

/* Launches the appliance and logs how long it took (info level). Returns 0 or gfs_error(). */
int gfs_launch(guestfs_h *g);

/*
 * Mounts the filesystems of an inspected root (guestfs_inspect_os) the way
 * its fstab says, shortest mountpoint first, read-only or read-write. Only
 * "/" must mount; another that fails is logged as a warning and skipped.
 * *ret_mounted (optional) lists what was mounted (strv_free). Returns 0 or
 * gfs_error().
 */
int gfs_mount_root(guestfs_h *g, const char *root, bool read_only, char ***ret_mounted);

/*
 * A root tree interface over the filesystems mounted in g (rootfs.h). The
 * handle is borrowed: it must stay open and mounted until the rootfs is
 * freed with rootfs_free(), which leaves g alone. description names the
 * image in messages. Symlinks are resolved inside the guest (realpath in
 * the guest's root); the final component of a write is never followed.
 */
int rootfs_guestfs_open(guestfs_h *g, const char *description, struct rootfs **ret);

#endif
