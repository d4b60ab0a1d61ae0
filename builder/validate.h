/* SPDX-License-Identifier: MIT */
/*
 * Syntax checks for the values a profile (or a command line) carries:
 * hostnames, SSH public keys, user names, URLs, addresses, paths, locales.
 * Each check is pure: no files, no network, nothing about the build host
 * (a time zone is checked for its form, not looked up in /usr/share/zoneinfo,
 * because the image is not the host). A check returns true when the value
 * is acceptable; otherwise it appends to why one phrase that says what is
 * wrong and what was expected, lower case, ready to follow "'key': ".
 */
#ifndef FAASD_IMAGE_VALIDATE_H
#define FAASD_IMAGE_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/* Appends s in single quotes, control bytes as \xNN, cut after 60 bytes with "...". */
void validate_quote(struct strbuf *sb, const char *s, size_t len);

/* A check: true if s is acceptable, else a phrase appended to why. */
typedef bool (*validate_fn)(const char *s, struct strbuf *why);

bool validate_hostname(const char *s, struct strbuf *why);       /* RFC 1123 */
bool validate_ssh_public_key(const char *s, struct strbuf *why); /* "TYPE BASE64 [COMMENT]" */
bool validate_user_name(const char *s, struct strbuf *why);      /* ^[a-z_][a-z0-9_-]{0,31}$ */
bool validate_group_name(const char *s, struct strbuf *why);     /* same form as a user name */
bool validate_ssid(const char *s, struct strbuf *why);           /* 1..32 bytes */
bool validate_owner(const char *s, struct strbuf *why);          /* "user" or "user:group" */
bool validate_url(const char *s, struct strbuf *why);            /* http:// or https://, a host */
bool validate_url_or_abs_path(const char *s, struct strbuf *why);
bool validate_sha256_hex(const char *s, struct strbuf *why);     /* 64 hex digits */
bool validate_timezone(const char *s, struct strbuf *why);       /* "UTC" or "Area/City" */
bool validate_locale(const char *s, struct strbuf *why);         /* "C.UTF-8", "en_GB.UTF-8" */
bool validate_cidr(const char *s, struct strbuf *why);           /* "192.0.2.5/24" */
bool validate_ip_address(const char *s, struct strbuf *why);
bool validate_abs_path(const char *s, struct strbuf *why);       /* absolute, no ".." part */
bool validate_permissions(const char *s, struct strbuf *why);    /* octal string "0644" */
bool validate_wifi_passphrase(const char *s, struct strbuf *why); /* 8..63 characters */
bool validate_country_code(const char *s, struct strbuf *why);   /* "GB" */
bool validate_module_name(const char *s, struct strbuf *why);    /* kernel module */
bool validate_package_name(const char *s, struct strbuf *why);   /* Debian package [=version] */
bool validate_version(const char *s, struct strbuf *why);        /* "1.7.27", "v1.1.12" */
bool validate_profile_name(const char *s, struct strbuf *why);
bool validate_word(const char *s, struct strbuf *why);           /* suite, component, image name */
bool validate_crypt_hash(const char *s, struct strbuf *why);     /* "$6$...", never clear text */
bool validate_sysctl_key(const char *s, struct strbuf *why);     /* "net.ipv4.ip_forward" */
bool validate_secret(const char *s, struct strbuf *why);         /* non-empty, no blanks */
bool validate_arch(const char *s, struct strbuf *why);           /* amd64, arm64; armhf explained */

#endif
