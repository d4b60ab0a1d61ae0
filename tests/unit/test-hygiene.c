// SPDX-License-Identifier: MIT
/*
 * The secrets check of a root tree: a clean tree passes; each kind of
 * per-instance or build-host state is found and named by path; a file
 * that only mentions the PEM marker (a parser, documentation) is not
 * taken for a key. The key blocks are assembled at run time, so that no
 * key-shaped text lives in the repository.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hygiene.h"
#include "util.h"
#include "unit.h"

static void put(const char *root, const char *rel, const char *text)
{
	_cleanup_free_ char *p = path_join(root, rel);
	_cleanup_free_ char *dir = xstrdup(p);

	*strrchr(dir, '/') = '\0';
	mkdir_p(dir, 0755);
	write_file_atomic(p, text, strlen(text), 0644);
}

static char *key_block(const char *kind)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "-----BEGIN %sPRIVATE KEY-----\n", kind);
	for (int i = 0; i < 3; i++)
		strbuf_adds(&sb, "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNk"
				 "ZWZnaGlqa2xtbm9wcXJzdHV2\n");
	strbuf_addf(&sb, "-----END %sPRIVATE KEY-----\n", kind);
	return strbuf_detach(&sb, NULL);
}

static bool has_finding(const struct hygiene_report *r, const char *path)
{
	for (size_t i = 0; i < r->n; i++)
		if (streq(r->findings[i].path, path))
			return true;
	return false;
}

int main(void)
{
	char tmpl[] = "/tmp/test-hygiene.XXXXXX";
	char *root = mkdtemp(tmpl);
	_cleanup_free_ char *rsa = key_block("RSA "), *ossh = key_block("OPENSSH ");
	char *host_paths[] = {"/srv/builder/out/qemu", NULL};
	struct hygiene_opts opts = {.host_paths = host_paths, .user_name = "builduser",
				    .host_name = "buildhost"};
	struct hygiene_report r;

	put(root, "etc/machine-id", "");
	put(root, "etc/passwd", "root:x:0:0:root:/root:/bin/bash\n");
	put(root, "etc/hostname", "localhost\n");
	put(root, "usr/lib/libpem-doc.txt", "looks for -----BEGIN RSA PRIVATE KEY----- lines\n");
	put(root, "var/log/empty.log", "");
	CHECK(hygiene_check_dir(root, &opts, &r) == 0);
	hygiene_report_release(&r);

	put(root, "root/.ssh/id_rsa", rsa);
	put(root, "opt/app/key.pem", ossh);
	put(root, "etc/ssh/ssh_host_ed25519_key.pub", "ssh-ed25519 AAAA host\n");
	put(root, "etc/machine-id", "0123456789abcdef0123456789abcdef\n");
	put(root, "var/lib/cloud/instances/i-1/boot-finished", "x\n");
	put(root, "var/lib/faasd/secrets/basic-auth-password", "pw");
	put(root, "home/u/.bash_history", "ls\n");
	put(root, "var/log/dpkg.log", "installed\n");
	put(root, "etc/default/app", "CACHE=/srv/builder/out/qemu/x\n");
	put(root, "etc/sudoers.d/x", "builduser ALL=(ALL) ALL\n");
	put(root, "etc/hosts", "127.0.1.1 buildhost\n");

	CHECK(hygiene_check_dir(root, &opts, &r) > 0);
	CHECK(has_finding(&r, "/root/.ssh/id_rsa"));
	CHECK(has_finding(&r, "/opt/app/key.pem"));
	CHECK(has_finding(&r, "/etc/ssh/ssh_host_ed25519_key.pub"));
	CHECK(has_finding(&r, "/etc/machine-id"));
	CHECK(has_finding(&r, "/var/lib/cloud/instances/i-1/boot-finished"));
	CHECK(has_finding(&r, "/var/lib/faasd/secrets/basic-auth-password"));
	CHECK(has_finding(&r, "/home/u/.bash_history"));
	CHECK(has_finding(&r, "/var/log/dpkg.log"));
	CHECK(has_finding(&r, "/etc/default/app"));
	CHECK(has_finding(&r, "/etc/sudoers.d/x"));
	CHECK(has_finding(&r, "/etc/hosts"));
	CHECK(!has_finding(&r, "/usr/lib/libpem-doc.txt"));
	CHECK(!has_finding(&r, "/etc/hostname"));
	hygiene_report_release(&r);

	remove_tree(root);
	return unit_done("test-hygiene");
}
