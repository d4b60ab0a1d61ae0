/* SPDX-License-Identifier: MIT */
/*
 * Rendering: a profile and the artifacts lock turned into cloud-init input.
 * User-data comes from a YAML template in templates/ (install.yaml for a
 * stock cloud image that installs everything at first boot, instance.yaml
 * for the per-instance part of a baked image), read into a node tree in
 * which every scalar that is exactly "{{ name }}" is replaced by a node of
 * the render context, and written out by the one emitter (emit.h). Values
 * are inserted as tree nodes, never as text; shell scripts carried in the
 * user-data are separate files in templates/ and read their parameters from
 * an env file whose values are shell-quoted here. Also meta-data, netplan
 * network-config and the provider's size and encoding rules. Nothing here
 * writes a file.
 */
#ifndef FAASD_IMAGE_RENDER_H
#define FAASD_IMAGE_RENDER_H

#include <stdbool.h>
#include <stddef.h>

#include "lock.h"
#include "profile.h"
#include "util.h"

enum render_kind {
	RENDER_INSTALL,  /* templates/install.yaml: the instance installs the faasd stack */
	RENDER_INSTANCE, /* templates/instance.yaml: per-instance settings of a baked image */
};

/*
 * Renders the user-data of p into out (appended): "#cloud-config" YAML, or
 * a MIME multipart message (text/cloud-config plus one text/x-shellscript
 * part per entry of p->scripts) when the profile has scripts. The same
 * profile and lock always give the same bytes. RENDER_INSTALL needs every
 * upstream artifact of the profile locked (sha256 present) for amd64 and
 * arm64; l may be NULL for RENDER_INSTANCE. Logs one line and returns a
 * negative errno on failure (-ENOENT: artifact or template missing,
 * -EINVAL: a value cannot be rendered, -EILSEQ: not UTF-8).
 */
int render_user_data(const struct profile *p, const struct lock *l, enum render_kind kind,
		     struct strbuf *out);

/*
 * Renders NoCloud meta-data: instance-id "faasd-" + 16 hex digits of
 * sha256(profile name, hostname, user_data), and local-hostname. The same
 * inputs give the same id; a changed user-data gives a new one, so
 * cloud-init runs again. Returns 0 or a negative errno (logged).
 */
int render_meta_data_for(const struct profile *p, const char *user_data, size_t user_data_len,
			 struct strbuf *out);

/*
 * Like render_meta_data_for, with the user-data p renders for a baked image
 * (RENDER_INSTANCE), which is what a seed beside such an image carries.
 */
int render_meta_data(const struct profile *p, struct strbuf *out);

/*
 * Renders a netplan version 2 network-config for NoCloud: eth0 by DHCP or
 * with a static address, gateway and nameservers, and wlan0 with one access
 * point when the profile names a Wi-Fi network. Returns 1 with out filled,
 * 0 when the profile has no network section (write no network-config), or
 * a negative errno (logged).
 */
int render_network_config(const struct profile *p, struct strbuf *out);

/*
 * Appends s (len bytes) to out as one POSIX shell word in single quotes,
 * each embedded single quote written as '\''. Returns -EINVAL for a NUL
 * byte, which no shell word can carry, and leaves out unchanged then.
 */
int shell_quote(const char *s, size_t len, struct strbuf *out);

/* Providers and their user-data rules. */
enum provider {
	PROVIDER_GENERIC,
	PROVIDER_AWS,
	PROVIDER_HETZNER,
	PROVIDER_DIGITALOCEAN,
	PROVIDER_LINODE,
	PROVIDER_OPENSTACK,
	_PROVIDER_MAX,
};

struct provider_rule {
	const char *name;
	size_t limit;       /* bytes; 0: none */
	bool limit_base64;  /* the limit counts the base64 form */
	bool gzip;          /* the datasource decompresses gzip */
	bool base64_output; /* compressed data goes out base64-encoded (text-only field) */
};

const struct provider_rule *provider_rule(enum provider p);
/* -ENOENT for an unknown name. */
int provider_from_name(const char *name, enum provider *ret);

/*
 * Fits user-data to a provider: the plain text when it fits, else (where
 * the datasource decodes it) a deterministic gzip (mtime 0, no name), base64
 * encoded where the field takes only text. *ret and *ret_len are the result
 * (caller frees); *ret_encoding is "plain", "gzip" or "gzip+base64".
 * Returns -EFBIG after logging one line naming the provider, the limit and
 * the size when nothing fits.
 */
int provider_encode(enum provider prov, const char *data, size_t len, char **ret,
		    size_t *ret_len, const char **ret_encoding);

/* Deterministic gzip of a buffer (mtime 0, no name, OS unix). Returns 0 or -EIO. */
int gzip_buffer(const void *data, size_t len, struct strbuf *out);

/* Standard base64 without line breaks. */
void base64_encode(const void *data, size_t len, struct strbuf *out);

#endif
