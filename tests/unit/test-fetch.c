// SPDX-License-Identifier: MIT
/*
 * Unit tests of the pure parts of fetch.c: how an upstream URL maps onto a
 * mirror laid out like upstream (the rule docs/artifacts.md states and the
 * test world's artifact tree follows), and what fetch_select picks from a
 * lock without a profile.
 */
#include <stdlib.h>

#include "fetch.h"
#include "log.h"
#include "unit.h"
#include "util.h"

static void check_map(const char *mirror, const char *upstream, const char *want)
{
	char *got = fetch_mirror_location(mirror, upstream);

	CHECK_STREQ(got, want);
	free(got);
}

static void test_mirror_mapping(void)
{
	check_map("https://m.example/a",
		  "https://github.com/containerd/containerd/releases/download/v1.7.27/"
		  "containerd-1.7.27-linux-amd64.tar.gz",
		  "https://m.example/a/containerd/releases/download/v1.7.27/"
		  "containerd-1.7.27-linux-amd64.tar.gz");
	check_map("https://m.example/a/",
		  "https://github.com/containernetworking/plugins/releases/download/v0.9.1/x.tgz",
		  "https://m.example/a/plugins/releases/download/v0.9.1/x.tgz");
	check_map("/srv/mirror",
		  "https://raw.githubusercontent.com/openfaas/faasd/0.19.7/docker-compose.yaml",
		  "/srv/mirror/faasd/raw/0.19.7/docker-compose.yaml");
	check_map("http://127.0.0.1:8000",
		  "https://cloud-images.ubuntu.com/releases/24.04/release/SHA256SUMS",
		  "http://127.0.0.1:8000/cloud-images.ubuntu.com/releases/24.04/release/"
		  "SHA256SUMS");
	check_map("/m", "https://github.com/openfaas/faasd/releases/download/0.19.7/faasd",
		  "/m/faasd/releases/download/0.19.7/faasd");
}

static void test_select_all(void)
{
	static const char text[] =
		"source-date-epoch 1\n"
		"artifact faasd 0.19.7 amd64 https://github.com/openfaas/faasd/x\n"
		"artifact runc 1.1.12 arm64 https://github.com/opencontainers/runc/x\n"
		"image u amd64 https://h/u.img checksums=https://h/S\n";
	struct lock *l = NULL;
	struct fetch_item *items = NULL;
	size_t n = 0;

	CHECK(lock_parse("t", text, strlen(text), &l) == 0);
	if (!l)
		return;
	CHECK(fetch_select(NULL, l, &items, &n) == 0);
	CHECK(n == 3);
	if (n == 3) {
		CHECK(items[0].artifact == &l->artifacts[0] && !items[0].image);
		CHECK(items[2].image == &l->images[0] && !items[2].artifact);
	}
	free(items);
	lock_free(l);
}

int main(void)
{
	log_set_level(LOG_ERROR);
	test_mirror_mapping();
	test_select_all();
	return unit_done("test-fetch");
}
