// SPDX-License-Identifier: MIT
/*
 * Unit tests of verify.c: sha256 of known strings (FIPS 180-2 test
 * vectors) and of a file, and the checksum-file parser on every upstream
 * format and on malformed input.
 */
#include <errno.h>
#include <stdlib.h>

#include "log.h"
#include "unit.h"
#include "util.h"
#include "verify.h"

#define EMPTY_SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define ABC_SHA "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define ABC_UPPER "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"

static void test_sha256(void)
{
	char hex[SHA256_HEX_LEN + 1];
	struct sha256_state *s;
	char path[] = "/tmp/test-verify.XXXXXX";
	uint64_t size = 0;
	int fd;

	sha256_buffer("", 0, hex);
	CHECK_STREQ(hex, EMPTY_SHA);
	sha256_buffer("abc", 3, hex);
	CHECK_STREQ(hex, ABC_SHA);
	sha256_buffer("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
	CHECK_STREQ(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");

	/* Incremental equals one-shot. */
	s = sha256_new();
	sha256_update(s, "a", 1);
	sha256_update(s, "bc", 2);
	sha256_finish(s, hex);
	CHECK_STREQ(hex, ABC_SHA);

	fd = mkstemp(path);
	CHECK(fd >= 0);
	CHECK(write(fd, "abc", 3) == 3);
	close(fd);
	CHECK(sha256_file(path, hex, &size) == 0);
	CHECK_STREQ(hex, ABC_SHA);
	CHECK(size == 3);
	unlink(path);
	CHECK(sha256_file(path, hex, NULL) == -ENOENT);

	CHECK(sha256_hex_valid(ABC_SHA));
	CHECK(!sha256_hex_valid(ABC_UPPER));
	CHECK(!sha256_hex_valid("abc"));
	CHECK(!sha256_hex_valid(ABC_SHA "0"));
}

struct checksum_case {
	const char *file;
	const char *name;
	int expect;         /* 0, -ENOENT or -EBADMSG */
	const char *hex;    /* expected when 0 */
};

static void test_checksum_formats(void)
{
	static const struct checksum_case cases[] = {
		/* coreutils text mode, two spaces */
		{ABC_SHA "  containerd-1.7.27-linux-amd64.tar.gz\n",
		 "containerd-1.7.27-linux-amd64.tar.gz", 0, ABC_SHA},
		/* binary mode, as Ubuntu's SHA256SUMS */
		{EMPTY_SHA " *ubuntu-24.04-server-cloudimg-arm64.img\n" ABC_SHA
			   " *ubuntu-24.04-server-cloudimg-amd64.img\n",
		 "ubuntu-24.04-server-cloudimg-amd64.img", 0, ABC_SHA},
		/* a path before the name (faasd's .sha256 files) */
		{ABC_SHA "  bin/faasd\n", "faasd", 0, ABC_SHA},
		{ABC_SHA "  ./runc.amd64\n", "runc.amd64", 0, ABC_SHA},
		/* runc.sha256sum lists every arch */
		{EMPTY_SHA "  runc.amd64\n" ABC_SHA "  runc.arm64\n", "runc.arm64", 0, ABC_SHA},
		/* a bare hash, with and without newline, upper case */
		{ABC_SHA "\n", "anything", 0, ABC_SHA},
		{ABC_UPPER, "x", 0, ABC_SHA},
		/* CRLF and blank lines */
		{"\r\n" ABC_SHA "  f.tgz\r\n\n", "f.tgz", 0, ABC_SHA},
		/* the same name twice with the same hash is fine */
		{ABC_SHA "  f\n" ABC_SHA " *f\n", "f", 0, ABC_SHA},
		/* not listed; prefix and suffix names do not match */
		{ABC_SHA "  other.tgz\n", "f.tgz", -ENOENT, NULL},
		{ABC_SHA "  f.tgz.sig\n", "f.tgz", -ENOENT, NULL},
		{ABC_SHA "  xf.tgz\n", "f.tgz", -ENOENT, NULL},
		{"", "f", -ENOENT, NULL},
		/* malformed */
		{"abc  f\n", "f", -EBADMSG, NULL},
		{ABC_SHA "0  f\n", "f", -EBADMSG, NULL},
		{ABC_SHA "\n" EMPTY_SHA "  f\n", "f", -EBADMSG, NULL},
		{ABC_SHA "  f\n" EMPTY_SHA "  f\n", "f", -EBADMSG, NULL},
		{ABC_SHA "  \n", "f", 0, ABC_SHA}, /* trailing blanks trimmed: a bare hash */
		{ABC_SHA " *\n", "f", -EBADMSG, NULL},
		{"zz" ABC_SHA "\n", "f", -EBADMSG, NULL},
		{ABC_SHA "  f\x01name\n", "f", -EBADMSG, NULL},
		{"<html>Not Found</html>\n", "f", -EBADMSG, NULL},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char hex[SHA256_HEX_LEN + 1] = "";
		const char *why = NULL;
		const char *file = cases[i].file;
		int r = checksum_find(file, strlen(file), cases[i].name, hex, &why);

		if (r != cases[i].expect)
			fprintf(stderr, "case %zu: got %d, expected %d (%s)\n", i, r,
				cases[i].expect, why ? why : "");
		CHECK(r == cases[i].expect);
		if (cases[i].expect == 0)
			CHECK_STREQ(hex, cases[i].hex);
		if (cases[i].expect == -EBADMSG)
			CHECK(why != NULL);
	}
}

static void test_checksum_nul(void)
{
	static const char buf[] = ABC_SHA "  f\0g\n";
	char hex[SHA256_HEX_LEN + 1];

	CHECK(checksum_find(buf, sizeof(buf) - 1, "f", hex, NULL) == -EBADMSG);
}

static void test_signature_missing(void)
{
	/* A keyring that does not exist is an error before gpgv runs. */
	CHECK(signature_verify("/nonexistent/keyring.gpg", "/nonexistent/sig", "/etc/hostname",
			       NULL) ==
	      -ENOENT);
}

int main(void)
{
	log_set_level(LOG_ERROR);
	test_sha256();
	test_checksum_formats();
	test_checksum_nul();
	test_signature_missing();
	return unit_done("test-verify");
}
