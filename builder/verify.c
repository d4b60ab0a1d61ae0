// SPDX-License-Identifier: MIT
/*
 * sha256 digests (OpenSSL EVP), checksum-file parsing and signature checks
 * (gpgv, run from an argv). The parsers take a buffer and a length, never
 * a NUL-terminated string, reject what they do not understand, and never
 * allocate in proportion to the input beyond one line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>

#include "log.h"
#include "run.h"
#include "util.h"
#include "verify.h"

struct sha256_state {
	EVP_MD_CTX *ctx;
};

struct sha256_state *sha256_new(void)
{
	struct sha256_state *s = xcalloc(1, sizeof(*s));

	s->ctx = EVP_MD_CTX_new();
	if (!s->ctx || EVP_DigestInit_ex(s->ctx, EVP_sha256(), NULL) != 1) {
		log_error("openssl: cannot initialise sha256");
		abort();
	}
	return s;
}

void sha256_update(struct sha256_state *s, const void *data, size_t len)
{
	if (len && EVP_DigestUpdate(s->ctx, data, len) != 1) {
		log_error("openssl: sha256 update failed");
		abort();
	}
}

void sha256_finish(struct sha256_state *s, char hex[SHA256_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (EVP_DigestFinal_ex(s->ctx, md, &n) != 1 || n != 32) {
		log_error("openssl: sha256 final failed");
		abort();
	}
	for (unsigned int i = 0; i < n; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0xf];
	}
	hex[SHA256_HEX_LEN] = '\0';
	sha256_free(s);
}

void sha256_free(struct sha256_state *s)
{
	if (!s)
		return;
	EVP_MD_CTX_free(s->ctx);
	free(s);
}

void sha256_buffer(const void *data, size_t len, char hex[SHA256_HEX_LEN + 1])
{
	struct sha256_state *s = sha256_new();

	sha256_update(s, data, len);
	sha256_finish(s, hex);
}

int sha256_file(const char *path, char hex[SHA256_HEX_LEN + 1], uint64_t *ret_size)
{
	_cleanup_close_ int fd = -1;
	struct sha256_state *s;
	uint64_t total = 0;
	static char buf[1 << 17];

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;

	s = sha256_new();
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = -errno;

			sha256_free(s);
			return r;
		}
		if (n == 0)
			break;
		sha256_update(s, buf, (size_t)n);
		total += (uint64_t)n;
	}
	sha256_finish(s, hex);
	if (ret_size)
		*ret_size = total;
	return 0;
}

bool sha256_hex_valid(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == SHA256_HEX_LEN;
}

static int hex_lower(char c)
{
	if (c >= '0' && c <= '9')
		return c;
	if (c >= 'a' && c <= 'f')
		return c;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 'a';
	return -1;
}

/* The last path component of a checksum line's name, without a "./". */
static void name_basename(const char *name, size_t n, const char **ret, size_t *ret_n)
{
	const char *slash = NULL;

	for (size_t i = 0; i < n; i++)
		if (name[i] == '/')
			slash = name + i;
	if (slash) {
		*ret_n = n - (size_t)(slash + 1 - name);
		*ret = slash + 1;
	} else {
		*ret = name;
		*ret_n = n;
	}
}

struct checksum_line {
	char hex[SHA256_HEX_LEN + 1];
	const char *name; /* NULL: a bare hash */
	size_t name_len;
};

/* Parses one line (without its '\n'); 0, 1 (blank) or -EBADMSG. */
static int parse_checksum_line(const char *p, size_t n, struct checksum_line *out,
			       const char **err)
{
	size_t i;

	if (n && p[n - 1] == '\r')
		n--;
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	if (n == 0)
		return 1;

	for (i = 0; i < SHA256_HEX_LEN; i++) {
		int c = i < n ? hex_lower(p[i]) : -1;

		if (c < 0) {
			*err = "a line does not start with 64 hex digits";
			return -EBADMSG;
		}
		out->hex[i] = (char)c;
	}
	out->hex[SHA256_HEX_LEN] = '\0';

	if (n == SHA256_HEX_LEN) {
		out->name = NULL;
		out->name_len = 0;
		return 0;
	}

	/* "HEX  NAME", "HEX *NAME", and the single-space form some tools write. */
	if (p[i] != ' ' && p[i] != '\t') {
		*err = "the hash is longer than 64 hex digits";
		return -EBADMSG;
	}
	i++;
	if (i < n && (p[i] == ' ' || p[i] == '*'))
		i++;
	if (i >= n) {
		*err = "a line has a hash but no file name";
		return -EBADMSG;
	}
	for (size_t k = i; k < n; k++) {
		if ((unsigned char)p[k] < ' ' || p[k] == 0x7f) {
			*err = "a file name holds a control character";
			return -EBADMSG;
		}
	}
	out->name = p + i;
	out->name_len = n - i;
	return 0;
}

int checksum_find(const char *buf, size_t len, const char *name, char hex[SHA256_HEX_LEN + 1],
		  const char **err)
{
	const char *p = buf, *end = buf + len;
	const char *dummy;
	size_t entries = 0, bare = 0, wanted = strlen(name);
	bool found = false;

	if (!err)
		err = &dummy;
	if (len > CHECKSUM_FILE_MAX) {
		*err = "the checksum file is larger than 1 MiB";
		return -EBADMSG;
	}
	if (memchr(buf, '\0', len)) {
		*err = "the checksum file holds a NUL byte";
		return -EBADMSG;
	}

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct checksum_line line;
		const char *base;
		size_t base_len;
		int r;

		r = parse_checksum_line(p, n, &line, err);
		p += n + (nl ? 1 : 0);
		if (r < 0)
			return r;
		if (r == 1)
			continue;
		entries++;
		if (!line.name) {
			bare++;
			if (!found)
				memcpy(hex, line.hex, sizeof(line.hex));
			else if (strcmp(hex, line.hex) != 0) {
				*err = "two different hashes for the same file";
				return -EBADMSG;
			}
			found = true;
			continue;
		}
		name_basename(line.name, line.name_len, &base, &base_len);
		if (base_len != wanted || memcmp(base, name, wanted) != 0)
			continue;
		if (found && strcmp(hex, line.hex) != 0) {
			*err = "two different hashes for the same file";
			return -EBADMSG;
		}
		memcpy(hex, line.hex, sizeof(line.hex));
		found = true;
	}

	/* A bare hash only makes sense as the whole file. */
	if (bare && entries != 1) {
		*err = "a bare hash in a file of several lines";
		return -EBADMSG;
	}
	return found ? 0 : -ENOENT;
}

/* The most telling line of gpgv's output, for the one error line. */
static char *gpgv_reason(const char *output)
{
	static const char *const telling[] = {
		"BAD signature", "No public key", "no valid OpenPGP data", "no signature found",
		"not a detached signature", "can't open", "No such file",
	};
	const char *last = NULL;

	if (str_empty(output))
		return xstrdup("gpgv gave no reason");
	for (size_t i = 0; i < ARRAY_SIZE(telling); i++) {
		const char *hit = strstr(output, telling[i]);

		if (hit) {
			const char *start = hit, *stop = strchr(hit, '\n');

			while (start > output && start[-1] != '\n')
				start--;
			return stop ? xstrndup(start, (size_t)(stop - start)) : xstrdup(start);
		}
	}
	for (const char *p = output; *p; p++)
		if (p[0] == '\n' && p[1])
			last = p + 1;
	last = last ? last : output;
	return xstrndup(last, strcspn(last, "\n"));
}

int signature_verify(const char *keyring, const char *sig_path, const char *data_path,
		     const char *what)
{
	_cleanup_free_ char *abs_keyring = NULL, *output = NULL, *reason = NULL;
	char resolved[PATH_MAX];
	char home[] = "/tmp/faasd-image-gpgv.XXXXXX";
	int r;

	if (!realpath(keyring, resolved))
		return log_error_errno(-ENOENT, "keyring '%s' not found: %s", keyring,
				       strerror(errno));
	abs_keyring = xstrdup(resolved);
	if (!program_exists("gpgv"))
		return log_error_errno(-ENOENT, "program 'gpgv' not found; run ci/install-deps.sh");
	if (!file_exists(sig_path))
		return log_error_errno(-ENOENT, "signature '%s' is missing", sig_path);

	/* An empty home of its own: gpgv must trust nothing but the keyring given. */
	if (!mkdtemp(home))
		return log_error_errno(-errno, "cannot make a directory for gpgv: %s",
				       strerror(errno));
	temp_register(home);
	{
		char *argv[] = {"gpgv", "--homedir", home, "--keyring", abs_keyring,
				(char *)sig_path, (char *)data_path, NULL};
		struct run_opts opts = {.timeout_sec = 120};

		r = run_argv_status(argv, &opts, &output);
	}
	remove_tree(home);
	temp_unregister(home);

	if (r == 0) {
		log_debug("good signature on '%s' by a key in '%s'", data_path, abs_keyring);
		return 0;
	}
	if (r == -EINTR)
		return r;
	if (r < 0)
		return log_error_errno(r, "cannot run gpgv: %s", strerror(-r));
	reason = gpgv_reason(output);
	log_error("signature check of '%s' with keyring '%s' failed: %s",
		  what ? what : data_path, keyring, reason);
	return -EBADMSG;
}
