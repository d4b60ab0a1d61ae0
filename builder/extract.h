/* SPDX-License-Identifier: MIT */
/*
 * Safe extraction of upstream release tarballs (containerd, CNI plugins)
 * with libarchive. The whole archive is checked before anything lands:
 * absolute paths, '..' components, links that leave the tree, device
 * nodes, FIFOs, sockets and setuid/setgid bits make it rejected outright.
 * Only an allow-list of member names is installed, each as a regular file
 * of mode 0755 in one target directory, written to a temporary name and
 * renamed. Nothing is ever written outside the target directory.
 */
#ifndef FAASD_IMAGE_EXTRACT_H
#define FAASD_IMAGE_EXTRACT_H

#include <stdbool.h>

/* Largest member we install. */
#define ARCHIVE_MEMBER_MAX (512ull << 20)

/*
 * Installs the members of tarball named in members (NULL-terminated, paths
 * as in the archive without a leading "./", e.g. "bin/containerd") into
 * target_dir as target_dir/BASENAME, mode 0755. target_dir must exist.
 * Every member listed must be present exactly once as a regular file.
 * Returns 0, or logs one line naming the archive and the offending member
 * and returns -EBADMSG (unsafe or malformed archive), -ENOENT (a listed
 * member is missing) or another negative errno; on failure no file of the
 * target directory has been changed.
 */
int archive_install_members(const char *tarball, char *const *members, const char *target_dir);

/* True when a member path is safe: relative, no "..", no empty component. Pure. */
bool archive_path_safe(const char *path);

/*
 * True when a link named path pointing at target stays inside the tree
 * (target relative, resolved against path's directory). For hard links,
 * target is a member path and is checked with archive_path_safe. Pure.
 */
bool archive_symlink_safe(const char *path, const char *target);

#endif
