/* SPDX-License-Identifier: MIT */
/*
 * The boot test: an image booted in QEMU on a throw-away qcow2 overlay (the
 * user's file is only ever read), its serial console read as it grows for
 * the milestones of a boot, the status markers of faasd-image-status
 * (interfaces: "faasd-image-status: ...") and cloud-init's own final line,
 * and the guest's gateway probed through a port forwarded on 127.0.0.1.
 * The verdict and the timings end up in a struct boot_report; printing it is
 * the caller's business. QEMU, qemu-img and mtools run through run.h.
 */
#ifndef FAASD_IMAGE_BOOT_H
#define FAASD_IMAGE_BOOT_H

#include <stdbool.h>
#include <stdint.h>

#include "profile.h"

enum boot_format {
	BOOT_FORMAT_RAW,
	BOOT_FORMAT_QCOW2,
};

enum boot_machine {
	BOOT_MACHINE_AUTO,
	BOOT_MACHINE_Q35,
	BOOT_MACHINE_VIRT,
	BOOT_MACHINE_RASPI3B,
};

enum boot_accel {
	BOOT_ACCEL_AUTO,
	BOOT_ACCEL_KVM,
	BOOT_ACCEL_TCG,
};

/* What an image is, read from its header and partition table. */
struct boot_image {
	enum boot_format format;
	uint64_t virtual_size;
	bool arch_known;
	enum arch arch;
	bool pi;	      /* MBR with a FAT partition labelled system-boot */
	uint64_t boot_offset; /* the ESP, or the Pi's boot partition; 0: none */
	uint64_t boot_size;
};

struct boot_opts {
	const char *image;
	const struct profile *profile; /* NULL: none given */
	unsigned timeout_sec;	       /* 0: the default, 900 */
	bool keep;		       /* keep the work directory (overlay, log, seed) */
	enum boot_machine machine;
	const char *seed;   /* a NoCloud seed to attach; NULL: render one */
	const char *mirror; /* host URL the guest reaches as http://10.0.2.100/ */
	enum boot_accel accel;
	unsigned port; /* host port for the gateway; 0: pick a free one */
};

/* The milestones, in the order a healthy boot reaches them. */
enum boot_milestone {
	MILESTONE_KERNEL,     /* "Linux version" */
	MILESTONE_USERSPACE,  /* systemd reached multi-user, or a login prompt */
	MILESTONE_CLOUD_INIT, /* "Cloud-init v. X finished at" */
	MILESTONE_STATUS,     /* "faasd-image-status: end" */
	MILESTONE_GATEWAY,    /* the host's GET /healthz answered 200 */
	MILESTONE_COUNT,
};

#define BOOT_MAX_UNITS 8

struct boot_unit {
	char *name;
	char *state; /* active, failed, inactive, not-found, ... */
};

struct boot_report {
	char *image;
	char *arch;		    /* "amd64", "arm64" */
	char *machine;		    /* "q35", "virt", "raspi3b" */
	char *accel;		    /* "kvm", "tcg" */
	char *accel_reason;	    /* why tcg, when it was not asked for */
	char *seed;		    /* "rendered", "image boot partition", or the --seed path */
	unsigned port;		    /* 0: no NIC (raspi3b) */
	double at[MILESTONE_COUNT]; /* seconds since QEMU started; < 0: not reached */
	char *cloud_init_line;	    /* cloud-init's own final line */
	char *cloud_init_status;    /* from the status markers: done, error, ... */
	struct boot_unit units[BOOT_MAX_UNITS];
	size_t n_units;
	char *hostname;
	int guest_gateway; /* HTTP code the guest saw; -1: not reported */
	int host_gateway;  /* last HTTP code the host saw; 0: no answer; -1: not probed */
	bool passed;
	char *reason;   /* one line: why it failed, or "healthy" */
	char *log_path; /* the serial log (inside workdir) */
	char *workdir;  /* kept directory, NULL when removed */
	char *excerpt;  /* on failure: the log lines worth reading */
	double elapsed;
};

/* Human names of the milestones, for reports: "kernel", "userspace", ... */
const char *boot_milestone_name(enum boot_milestone m);
const char *boot_milestone_description(enum boot_milestone m);

/*
 * Reads what image is: qcow2 or raw, its partitions, and from the ESP's
 * EFI/BOOT/BOOT*.EFI or a system-boot FAT partition its architecture and
 * kind. workdir is where a qcow2's partition is copied out to for mtools.
 * Returns 0; -EMEDIUMTYPE when the file is not a disk image (one clear line
 * logged); another negative errno on other failures (logged).
 */
int boot_image_probe(const char *path, const char *workdir, struct boot_image *ret);

/*
 * Boots opts->image and fills *report (caller frees with boot_report_free).
 * Returns 0 when the boot ran to a verdict, whatever it was (report->passed
 * says which); -EMEDIUMTYPE when the image is not a disk image, -EINTR when
 * interrupted, another negative errno when QEMU could not even be set up
 * (each logged once). The work directory is removed unless opts->keep.
 */
int boot_test(const struct boot_opts *opts, struct boot_report *report);

/* Frees what boot_test() put in *report (not report itself); the kept directory stays. */
void boot_report_free(struct boot_report *report);

#endif
