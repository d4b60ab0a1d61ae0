// SPDX-License-Identifier: MIT
/*
 * Unit tests of lock.c: a table of good and bad lock texts with the error
 * each must produce (checked through the logged "'NAME':LINE: ..." line),
 * lookups, the stable order lock_save writes, and that the shipped lock
 * parses.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

#include "lock.h"
#include "log.h"
#include "paths.h"
#include "unit.h"
#include "util.h"

#define HEX "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define URL "https://github.com/containerd/containerd/releases/download/v1.7.27/c.tar.gz"
#define HEAD "source-date-epoch 1733011200\n"
#define UPPER "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"
#define RUNC "https://github.com/opencontainers/runc/releases/download/v1.1.12"
#define RAW "https://raw.githubusercontent.com/openfaas/faasd/0.19.7"
#define CLOUD "https://cloud-images.ubuntu.com"
#define ART HEAD "artifact a 1 amd64 " URL
#define IMG HEAD "image u amd64 " URL

/* Runs lock_parse with stderr captured; returns r and the captured text. */
static int parse_capture(const char *text, struct lock **ret, char *err, size_t errlen)
{
	char path[] = "/tmp/test-lock-err.XXXXXX";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO), r;
	ssize_t n;

	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	r = lock_parse("t.lock", text, strlen(text), ret);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	lseek(fd, 0, SEEK_SET);
	n = read(fd, err, errlen - 1);
	err[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	return r;
}

struct bad_case {
	const char *text;
	const char *error; /* substring of the one logged line */
};

static void test_bad(void)
{
	static const struct bad_case cases[] = {
		{"", "'t.lock':1: no 'source-date-epoch"},
		{"artifact a 1 amd64 " URL "\n", "'t.lock':1: the lock must start with"},
		{HEAD HEAD, "'t.lock':2: source-date-epoch given twice"},
		{"source-date-epoch x\n", "expected 'source-date-epoch SECONDS'"},
		{"source-date-epoch 01\n", "expected 'source-date-epoch SECONDS'"},
		{HEAD "artefact a 1 amd64 " URL "\n", "'t.lock':2: unknown entry 'artefact'"},
		{HEAD "artifact a 1 amd64\n", "expected 'artifact COMPONENT"},
		{HEAD "artifact A_b 1 amd64 " URL "\n", "invalid component name"},
		{HEAD "artifact Runc 1 amd64 " URL "\n", "invalid component name 'Runc'"},
		{HEAD "artifact a 1/2 amd64 " URL "\n", "invalid version"},
		{HEAD "artifact a 1 i386 " URL "\n", "invalid arch 'i386'"},
		{HEAD "artifact a 1 amd64 ftp://x/y\n", "not an http(s) URL"},
		{HEAD "artifact a 1 amd64 file:///etc/passwd\n", "not an http(s) URL"},
		{HEAD "artifact a 1 amd64 https://\n", "not an http(s) URL"},
		{HEAD "artifact a 1 amd64 https://host\n", "not an http(s) URL"},
		{HEAD "artifact a 1 amd64 https://h:99999999/x\n", "not an http(s) URL"},
		{HEAD "artifact a 1 amd64 https://h/a\"b\n", "not an http(s) URL"},
		{HEAD "artifact a 1 amd64 " URL " sha256=" HEX "0\n", "sha256 must be 64"},
		{ART " sha256=" UPPER "\n", "sha256 must be 64 lower-case"},
		{HEAD "artifact a 1 amd64 " URL " sha256=xyz\n", "sha256 must be 64"},
		{HEAD "artifact a 1 amd64 " URL " md5=abc\n", "unknown field 'md5'"},
		{ART " checksums=" URL "\n", "unknown field 'checksums'"},
		{HEAD "artifact a 1 amd64 " URL " size=1 size=2\n", "field 'size' given twice"},
		{HEAD "artifact a 1 amd64 " URL " size=-1\n", "size must be a decimal"},
		{HEAD "artifact a 1 amd64 " URL " size=99999999999999999999999\n", "size must be"},
		{HEAD "artifact a 1 amd64 " URL " sha256=\n", "empty value"},
		{HEAD "artifact a 1 amd64 " URL " junk\n", "expected KEY=VALUE"},
		{ART " checksum=notaurl\n", "checksum is not an http(s) URL"},
		{HEAD "artifact a 1 amd64 " URL "\nartifact a 1 amd64 " URL "\n",
		 "'t.lock':3: duplicate entry 'a 1 amd64' (first on line 2)"},
		{HEAD "image u amd64 " URL "\n", "needs checksums=URL"},
		{HEAD "image u all " URL " checksums=" URL "\n", "invalid arch 'all'"},
		{HEAD "image u amd64 " URL " checksums=" URL " signature=" URL "\n",
		 "signature= and keyring= go together"},
		{HEAD "image u amd64 " URL " checksums=" URL " checksum=" URL "\n",
		 "unknown field 'checksum'"},
		{IMG " checksums=" URL "\nimage u amd64 " URL " checksums=" URL "\n",
		 "duplicate image 'u amd64'"},
		{HEAD "artifact a 1 amd64 " URL "\r\n", "carriage return"},
		{HEAD "artifact a 1 amd64 " URL "\x01\n", "control character"},
		{HEAD "# caf\xc3\xa9\n", "non-ASCII"},
		{HEAD "a b c d e f g h i j k l m n o p q\n", "too many fields"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct lock *l = NULL;
		char err[1024];
		int r = parse_capture(cases[i].text, &l, err, sizeof(err));

		CHECK(r < 0);
		CHECK(l == NULL);
		if (!strstr(err, cases[i].error))
			fprintf(stderr, "case %zu: expected '%s' in: %s", i, cases[i].error, err);
		CHECK(strstr(err, cases[i].error) != NULL);
		/* Exactly one line. */
		CHECK(strchr(err, '\n') == err + strlen(err) - 1);
	}
}

static void test_limits(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct lock *l = NULL;
	char err[1024];

	strbuf_adds(&sb, HEAD "# ");
	for (int i = 0; i < LOCK_MAX_LINE; i++)
		strbuf_addc(&sb, 'x');
	strbuf_addc(&sb, '\n');
	CHECK(parse_capture(sb.buf, &l, err, sizeof(err)) < 0);
	CHECK(strstr(err, "'t.lock':2: line longer than 4096") != NULL);
	strbuf_release(&sb);

	/* A line of exactly the limit is fine. */
	strbuf_adds(&sb, HEAD "#");
	for (int i = 1; i < LOCK_MAX_LINE; i++)
		strbuf_addc(&sb, 'x');
	CHECK(parse_capture(sb.buf, &l, err, sizeof(err)) == 0);
	lock_free(l);
	strbuf_release(&sb);

	{
		size_t big = LOCK_MAX_SIZE + 1;
		char *buf = xmalloc(big);

		memset(buf, '\n', big);
		CHECK(lock_parse("big", buf, big, &l) == -EFBIG);
		free(buf);
	}
	{
		static const char nul[] = HEAD "artifact a\0 1 amd64 " URL "\n";

		CHECK(lock_parse("nul", nul, sizeof(nul) - 1, &l) == -EINVAL);
	}
}

static void test_good(void)
{
	static const char text[] =
		"# comment\n"
		"\n"
		"source-date-epoch 1733011200\n"
		"artifact runc 1.1.12 arm64 " RUNC "/runc.arm64\t"
		"  checksum=" RUNC "/runc.sha256sum\n"
		"artifact faasd-compose 0.19.7 all " RAW "/docker-compose.yaml\n"
		"artifact containerd 1.7.27 amd64 " URL " size=123 sha256=" HEX "\n"
		"artifact containerd 1.7.3 amd64 " URL "\n"
		"image ubuntu-24.04-server-cloudimg amd64 " CLOUD "/x.img "
		"checksums=" CLOUD "/SHA256SUMS signature=" CLOUD "/SHA256SUMS.gpg "
		"keyring=profiles/keys/k.gpg\n"
		"image a-image arm64 http://[::1]:8080/x.img checksums=http://[::1]:8080/S\n";
	struct lock *l = NULL, *again = NULL;
	const struct lock_artifact *a;
	char path[] = "/tmp/test-lock.XXXXXX";
	_cleanup_free_ char *saved = NULL, *resaved = NULL, *label = NULL;
	size_t len, len2;
	int fd;

	CHECK(lock_parse("good", text, strlen(text), &l) == 0);
	if (!l)
		return;
	CHECK(l->source_date_epoch == 1733011200);
	CHECK(l->n_artifacts == 4);
	CHECK(l->n_images == 2);

	a = lock_find(l, "containerd", "1.7.27", "amd64");
	CHECK(a && streq(a->sha256, HEX) && a->size == 123 && !a->checksum_url);
	label = lock_artifact_label(a);
	CHECK_STREQ(label, "containerd 1.7.27 amd64");
	a = lock_find(l, "runc", "1.1.12", "arm64");
	CHECK(a && !a->sha256 && a->size == 0 && str_ends_with(a->checksum_url, "runc.sha256sum"));
	CHECK(lock_find(l, "runc", "1.1.12", "amd64") == NULL);
	/* arch "all" matches any arch */
	a = lock_find(l, "faasd-compose", "0.19.7", "arm64");
	CHECK(a && streq(a->arch, "all"));
	CHECK(lock_find_image(l, "ubuntu-24.04-server-cloudimg", "amd64") != NULL);
	CHECK(lock_find_image(l, "ubuntu-24.04-server-cloudimg", "arm64") == NULL);

	/* Saved in a stable order, and it reads back the same. */
	fd = mkstemp(path);
	close(fd);
	CHECK(lock_save(l, path) == 0);
	CHECK(read_file(path, LOCK_MAX_SIZE, &saved, &len) == 0);
	CHECK(lock_load(path, &again) == 0);
	if (again) {
		CHECK(again->n_artifacts == 4 && again->n_images == 2);
		/* containerd 1.7.3 sorts before 1.7.27 (version order) */
		CHECK_STREQ(again->artifacts[0].component, "containerd");
		CHECK_STREQ(again->artifacts[0].version, "1.7.3");
		CHECK_STREQ(again->artifacts[1].version, "1.7.27");
		CHECK_STREQ(again->artifacts[3].component, "runc");
		CHECK_STREQ(again->images[0].name, "a-image");
		CHECK(lock_save(again, path) == 0);
		CHECK(read_file(path, LOCK_MAX_SIZE, &resaved, &len2) == 0);
		CHECK(len == len2 && memcmp(saved, resaved, len) == 0);
	}
	unlink(path);
	lock_free(again);
	lock_free(l);
}

static void test_shipped(void)
{
	_cleanup_free_ char *path = NULL;
	struct lock *l = NULL;

	setenv("FAASD_IMAGE_DATADIR", getenv("FAASD_IMAGE_TOP") ? getenv("FAASD_IMAGE_TOP") : ".",
	       0);
	unsetenv("FAASD_IMAGE_LOCK");
	path = lock_default_path();
	if (!file_exists(path)) {
		fprintf(stderr, "note: no shipped lock at '%s'; skipping that check\n", path);
		return;
	}
	CHECK(lock_load(path, &l) == 0);
	if (!l)
		return;
	CHECK(lock_find(l, "containerd", "1.7.27", "amd64") != NULL);
	CHECK(lock_find(l, "containerd", "1.7.27", "arm64") != NULL);
	CHECK(lock_find(l, "runc", "1.1.12", "amd64") != NULL);
	CHECK(lock_find(l, "cni-plugins", "0.9.1", "arm64") != NULL);
	CHECK(lock_find(l, "faasd", "0.19.7", "amd64") != NULL);
	CHECK(lock_find(l, "faasd-compose", "0.19.7", "amd64") != NULL);
	CHECK(lock_find_image(l, "ubuntu-24.04-server-cloudimg", "arm64") != NULL);
	lock_free(l);
}

int main(void)
{
	log_set_level(LOG_ERROR);
	test_bad();
	test_limits();
	test_good();
	test_shipped();
	return unit_done("test-lock");
}
