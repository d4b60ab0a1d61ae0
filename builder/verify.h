/* SPDX-License-Identifier: MIT */
/*
 * Verification of downloads: sha256 through OpenSSL's EVP interface, the
 * checksum files upstreams publish ("HEX  NAME", "HEX *NAME", a bare "HEX",
 * Ubuntu's SHA256SUMS), and OpenPGP signatures of such files through gpgv.
 * The parsers are pure functions of a buffer, strict, and safe to fuzz.
 * Nothing here downloads anything or trusts a file it has not checked.
 */
#ifndef FAASD_IMAGE_VERIFY_H
#define FAASD_IMAGE_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHA256_HEX_LEN 64

/* An incremental sha256; opaque. */
struct sha256_state;

struct sha256_state *sha256_new(void);
void sha256_update(struct sha256_state *s, const void *data, size_t len);
/* Writes 64 lower-case hex digits and a NUL to hex; frees s. */
void sha256_finish(struct sha256_state *s, char hex[SHA256_HEX_LEN + 1]);
/* Frees s without a result (an aborted download). NULL is fine. */
void sha256_free(struct sha256_state *s);

/* sha256 of a buffer, as hex. */
void sha256_buffer(const void *data, size_t len, char hex[SHA256_HEX_LEN + 1]);

/*
 * sha256 of a file's contents, as hex; *ret_size gets its length when not
 * NULL. Returns 0 or a negative errno; logs nothing.
 */
int sha256_file(const char *path, char hex[SHA256_HEX_LEN + 1], uint64_t *ret_size);

/* True for exactly 64 lower-case hex digits. */
bool sha256_hex_valid(const char *s);

/*
 * Finds the sha256 of the file called name in a checksum file held in
 * buf: lines of "HEX  NAME" or "HEX *NAME" (coreutils text and binary
 * mode; NAME may carry a directory, which is ignored, and a "./"), or a
 * single bare "HEX" line, which is taken for whatever name is asked.
 * Blank lines are allowed; any other malformed line makes the whole file
 * invalid. Upper-case hex is accepted and returned lower-case.
 * Returns 0 and fills hex; -ENOENT when no line names that file; -EBADMSG
 * for a malformed file, or two lines naming it with different hashes.
 * When err is given, it receives a static reason for -EBADMSG.
 */
int checksum_find(const char *buf, size_t len, const char *name, char hex[SHA256_HEX_LEN + 1],
		  const char **err);

/* The largest checksum file we read. */
#define CHECKSUM_FILE_MAX (1u << 20)

/*
 * Checks the detached OpenPGP signature sig_path of data_path against the
 * keys in keyring (a binary keyring, as 'gpg --export' writes), by running
 * 'gpgv --keyring KEYRING SIG DATA'. what names the data in messages (its
 * URL); NULL: data_path. Returns 0 for a good signature; else
 * logs one line (with gpgv's reason) and returns -EBADMSG (bad signature,
 * unknown key, not a signature), -ENOENT (missing keyring or gpgv) or
 * another negative errno.
 */
int signature_verify(const char *keyring, const char *sig_path, const char *data_path,
		     const char *what);

#endif
