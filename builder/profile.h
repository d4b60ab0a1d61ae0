/* SPDX-License-Identifier: MIT */
/*
 * Profiles: what to build, as the user wrote it, validated. A profile is a
 * YAML file read with libyaml (through yaml-parse.c, the only reader of YAML),
 * merged over its parent (extends:), the built-in defaults, the environment
 * and --set assignments, checked against the schema documented in
 * docs/profiles.md, and then turned into this struct. Every later stage reads
 * the struct, never the YAML.
 */
#ifndef FAASD_IMAGE_PROFILE_H
#define FAASD_IMAGE_PROFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "node.h"

enum arch {
	ARCH_AMD64,
	ARCH_ARM64,
};

/* The disk layout and boot files: a VM (GPT + EFI) or a Raspberry Pi (MBR + FAT). */
enum board {
	BOARD_GENERIC,
	BOARD_RPI3,
	BOARD_RPI4,
};

enum base_kind {
	BASE_BOOTSTRAP,   /* a root tree made from packages with mmdebstrap */
	BASE_CLOUD_IMAGE, /* a published disk image, verified and customized */
};

/* Where a component comes from. */
enum source {
	SOURCE_DISTRO,   /* the base distribution's package */
	SOURCE_UPSTREAM, /* the upstream release, pinned in the lock */
	SOURCE_NONE,     /* not installed */
};

enum delivery {
	DELIVERY_FIRST_BOOT, /* fetched and verified by a first-boot unit */
	DELIVERY_BAKED,      /* in the image: only for the user's own machines */
};

enum edition {
	EDITION_CE,
	EDITION_PRO,
};

enum output {
	OUTPUT_QCOW2 = 1 << 0,
	OUTPUT_RAW = 1 << 1,
	OUTPUT_IMG = 1 << 2,    /* Pi SD image, PROFILE.img (with .bmap) */
	OUTPUT_IMG_XZ = 1 << 3, /* PROFILE.img.xz */
	OUTPUT_SQUASHFS = 1 << 4,
	OUTPUT_USER_DATA = 1 << 5,
	OUTPUT_SEED = 1 << 6,
};

struct base {
	enum base_kind kind;
	/* bootstrap */
	char *suite;       /* "bookworm" */
	char *mirror;      /* NULL: mmdebstrap's own default */
	char **components; /* "main", "non-free-firmware" */
	char *variant;     /* mmdebstrap variant, "apt" */
	/* cloud image */
	char *image;       /* name of the image entry in the lock */
	char *url;         /* override of the lock's URL, for a local mirror */
	char *checksums;   /* SHA256SUMS URL */
	char *signature;   /* SHA256SUMS.gpg URL, NULL: unsigned (must be allowed) */
	char *keyring;     /* path of the keyring to check the signature with */
};

struct component {
	enum source source;
	char *version; /* upstream version; NULL for the distribution's package */
};

struct user {
	char *name;
	char **ssh_authorized_keys;
	char **groups;
	char *sudo;
	char *shell;
	char *passwd;     /* a crypt(3) hash, never a clear password */
	int lock_passwd;  /* -1: unset, else 0 or 1 */
};

struct write_file {
	char *path;
	char *content;
	size_t content_len;
	char *permissions; /* "0644" */
	char *owner;       /* "root:root" */
};

struct network {
	bool ethernet_dhcp;
	char *ethernet_address; /* "192.168.1.50/24"; NULL with dhcp */
	char *ethernet_gateway;
	char **nameservers;
	char *wifi_ssid; /* NULL: no Wi-Fi */
	char *wifi_passphrase;
	char *wifi_country;
};

struct profile {
	char *name;
	char *description;
	char *path; /* the file it was read from */

	enum arch arch;
	enum board board;
	struct base base;
	unsigned outputs; /* enum output bits */
	uint64_t disk_size;

	struct component containerd, runc, cni, faasd, faas_cli;
	enum delivery delivery;
	enum edition edition;
	bool preload_images;
	char *images_from; /* NULL: the images' registries; else a directory or mirror URL */
	/* A runtime secret: goes to user-data, never into an image. */
	char *faasd_basic_auth_password;

	/* Where artifacts come from (NULL: the lock's upstream URLs). */
	char *artifacts_mirror;
	bool allow_http;

	/* cloud-init's own names */
	char *hostname;
	char *timezone;
	char *locale;
	struct user *users;
	size_t n_users;
	char **packages;
	struct write_file *write_files;
	size_t n_write_files;
	struct node *runcmd;       /* a sequence, as cloud-init's runcmd; may be NULL */
	struct node *cloud_config; /* extra cloud-config mapping for user-data; may be NULL */
	struct node *scripts;      /* shell scripts (seq of scalars), MIME parts; may be NULL */

	struct network network;

	/* the stack's kernel settings */
	char **sysctl_keys;
	char **sysctl_values;
	char **modules;

	uint64_t source_date_epoch; /* 0: take it from the lock */

	/* The merged, validated tree the struct was made from: for --json and dumps. */
	struct node *tree;
};

/*
 * Loads a profile. name_or_path is a shipped profile's name ("qemu") or the
 * path of a YAML file (anything containing a '/' or ending in ".yaml").
 * sets are "key.path=value" assignments, applied last. The environment
 * variable FAASD_IMAGE_SET (newline-separated assignments) applies before
 * them. On error, logs exactly one line naming file, line, column, key and
 * what was expected, and returns a negative errno (-ENOENT: no such profile,
 * -EINVAL: invalid). *ret is owned by the caller (profile_free).
 */
int profile_load(const char *name_or_path, char *const *sets, struct profile **ret);

enum profile_load_flags {
	PROFILE_IGNORE_ENVIRONMENT = 1 << 0, /* do not apply FAASD_IMAGE_SET (list) */
};

/* profile_load() with flags from enum profile_load_flags. */
int profile_load_flags(const char *name_or_path, char *const *sets, unsigned flags,
		       struct profile **ret);

void profile_free(struct profile *p);

/* Every shipped profile's name, sorted. Caller frees with strv_free. */
char **profile_list_shipped(void);

/*
 * True when a key path ("faasd.basic_auth_password", "users.0.passwd") holds
 * a secret that a display of the profile should mask.
 */
bool profile_key_is_secret(const char *key);

/* Prints the key reference (key, type, default, meaning) as a Markdown table. */
void profile_print_schema(FILE *f);

/* The default profile's name. */
#define PROFILE_DEFAULT "qemu"

const char *arch_name(enum arch a);      /* "amd64", "arm64" */
const char *arch_uname(enum arch a);     /* "x86_64", "aarch64" */
const char *board_name(enum board b);
const char *source_name(enum source s);
const char *delivery_name(enum delivery d);
const char *edition_name(enum edition e);       /* "ce", "pro" */
const char *base_kind_name(enum base_kind k);   /* "bootstrap", "cloud-image" */
const char *output_name(enum output o);

#endif
