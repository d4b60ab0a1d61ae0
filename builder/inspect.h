/* SPDX-License-Identifier: MIT */
/*
 * What is inside an image, read without booting it: the image is opened
 * read-only in a libguestfs appliance (format given, never probed), its
 * operating system found by libguestfs's inspection, and a few files read:
 * dpkg's status for component versions, the units enabled under
 * /etc/systemd/system, how faasd is delivered, the kernels in /boot. The
 * secrets check copies the trees where per-instance state lives (/etc,
 * /root, /home, /var, /opt, /usr/local, /srv, /tmp) out of the image into a
 * private host directory, keeping only directories, regular files and
 * symlinks, and runs the same hygiene rules as the build (hygiene.h) on it.
 * The canary scan reads every byte of the disk, free blocks included.
 * Nothing here runs a program of the image or writes to it.
 */
#ifndef FAASD_IMAGE_INSPECT_H
#define FAASD_IMAGE_INSPECT_H

#include <stdbool.h>
#include <stdint.h>

#include <guestfs.h>

#include "hygiene.h"
#include "util.h"

struct inspect_component {
	char *name;    /* "containerd" */
	char *source;  /* "distro" (a dpkg package), "upstream" (a binary under /usr/local) */
	char *version; /* dpkg's version, or the version a faasd-image file records; may be NULL */
	char *path;    /* upstream: the binary; NULL for a package */
	char *sha256;  /* upstream: the binary's sha256; NULL for a package */
};

struct inspect_unit {
	char *target; /* "multi-user.target.wants" */
	char *unit;   /* "faasd.service" */
};

struct inspect_report {
	char *image;
	char *format; /* "qcow2", "raw" */
	uint64_t virtual_size;

	char *product;  /* "Debian GNU/Linux 12 (bookworm)" */
	char *distro;   /* "debian" */
	char *version;  /* "12.0" */
	char *arch;     /* "x86_64", "aarch64" */
	char *hostname;
	char **kernels; /* names in /boot: "vmlinuz-6.1.0-28-cloud-amd64" */

	struct inspect_component *components;
	size_t n_components;
	struct inspect_unit *units;
	size_t n_units;

	char *delivery;     /* "first-boot", "baked" or "none" */
	char *faasd_sha256; /* baked: sha256 of /usr/local/bin/faasd */
	char *faasd_url;    /* first-boot: FAASD_URL of /etc/faasd-image/faasd.env */

	struct hygiene_report findings; /* per-instance state and secrets */

	bool canary_checked;
	bool canary_found;
};

struct inspect_opts {
	const char *canary; /* a string to look for in every byte of the disk; NULL: no scan */
};

/*
 * Inspects the image at path (qcow2 or raw; refused like a base image by
 * base_image_check when it has a backing file or is damaged). Fills *ret
 * (inspect_report_release) and returns 0, or logs one line and returns a
 * negative errno: -EMEDIUMTYPE when no operating system is found. Findings
 * are data, not errors: ret->findings.n and ret->canary_found say whether
 * --check must fail. Leaves nothing on disk.
 */
int inspect_image(const char *path, const struct inspect_opts *opts, struct inspect_report *ret);

/*
 * The secrets check of the filesystems mounted in g (under the guest's
 * "/"): the trees named above are copied out with guestfs_tar_out into a
 * private temporary directory, unpacked without owners, devices, FIFOs or
 * links leaving the tree, and checked with hygiene_check_dir() and opts
 * (NULL: no build-host traces looked for). Returns the
 * number of findings (report filled, hygiene_report_release) or a negative
 * errno, logged once. The temporary directory is removed before returning.
 */
int inspect_check_mounted(guestfs_h *g, const struct hygiene_opts *opts,
			  struct hygiene_report *report);

/*
 * Looks for needle in every byte of the disk image at path: a raw image is
 * read directly, a qcow2 is first expanded to a sparse raw temporary with
 * qemu-img convert (its clusters may be compressed). Holes are skipped.
 * Returns 1 (found), 0 (not found) or a negative errno, logged.
 */
int inspect_scan_bytes(const char *path, const char *format, const char *needle);

/* The report for people, and as one JSON document (keys in a fixed order). */
void inspect_format_text(const struct inspect_report *r, struct strbuf *out);
void inspect_format_json(const struct inspect_report *r, struct strbuf *out);

void inspect_report_release(struct inspect_report *r);

#endif
