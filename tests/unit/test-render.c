// SPDX-License-Identifier: MIT
/*
 * Rendering with a profile and a lock built by hand: the shell quoting of
 * the env file, both templates read back as YAML with the expected keys,
 * the refusal of an artifact that is not locked, distro components, hostile
 * host names, meta-data and network-config, provider encodings, gzip and
 * base64, and MIME multipart. Templates come from the source tree
 * (FAASD_IMAGE_DATADIR, or the current directory).
 */
#include <errno.h>
#include <zlib.h>

#include "emit.h"
#include "render.h"
#include "unit.h"
#include "util.h"
#include "yaml-parse.h"

static const char hash_a[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

static struct lock_artifact arts[] = {
	{"containerd", "1.7.27", "amd64",
	 "https://github.com/containerd/containerd/releases/download/v1.7.27/"
	 "containerd-1.7.27-linux-amd64.tar.gz", (char *)hash_a, 0, NULL},
	{"containerd", "1.7.27", "arm64",
	 "https://github.com/containerd/containerd/releases/download/v1.7.27/"
	 "containerd-1.7.27-linux-arm64.tar.gz", (char *)hash_a, 0, NULL},
	{"runc", "1.1.12", "amd64",
	 "https://github.com/opencontainers/runc/releases/download/v1.1.12/runc.amd64",
	 (char *)hash_a, 0, NULL},
	{"runc", "1.1.12", "arm64",
	 "https://github.com/opencontainers/runc/releases/download/v1.1.12/runc.arm64",
	 (char *)hash_a, 0, NULL},
	{"cni-plugins", "0.9.1", "amd64",
	 "https://github.com/containernetworking/plugins/releases/download/v0.9.1/"
	 "cni-plugins-linux-amd64-v0.9.1.tgz", (char *)hash_a, 0, NULL},
	{"cni-plugins", "0.9.1", "arm64",
	 "https://github.com/containernetworking/plugins/releases/download/v0.9.1/"
	 "cni-plugins-linux-arm64-v0.9.1.tgz", (char *)hash_a, 0, NULL},
	{"faasd", "0.19.7", "amd64",
	 "https://github.com/openfaas/faasd/releases/download/0.19.7/faasd", (char *)hash_a, 0,
	 NULL},
	{"faasd", "0.19.7", "arm64",
	 "https://github.com/openfaas/faasd/releases/download/0.19.7/faasd-arm64", NULL, 0,
	 NULL},
	{"faasd-compose", "0.19.7", "all",
	 "https://raw.githubusercontent.com/openfaas/faasd/0.19.7/docker-compose.yaml",
	 (char *)hash_a, 0, NULL},
	{"faasd-prometheus", "0.19.7", "all",
	 "https://raw.githubusercontent.com/openfaas/faasd/0.19.7/prometheus.yml",
	 (char *)hash_a, 0, NULL},
	{"faasd-resolv", "0.19.7", "all",
	 "https://raw.githubusercontent.com/openfaas/faasd/0.19.7/resolv.conf", (char *)hash_a,
	 0, NULL},
};

static struct lock test_lock = {"test.lock", 0, arts, ARRAY_SIZE(arts), NULL, 0};

static void init_profile(struct profile *p)
{
	static struct user users[1];
	static char *keys[] = {"ssh-ed25519 AAAA test@host", NULL};

	memset(p, 0, sizeof(*p));
	p->name = "test";
	p->arch = ARCH_AMD64;
	p->containerd = (struct component){SOURCE_UPSTREAM, "1.7.27"};
	p->runc = (struct component){SOURCE_UPSTREAM, "1.1.12"};
	p->cni = (struct component){SOURCE_UPSTREAM, "0.9.1"};
	p->faasd = (struct component){SOURCE_UPSTREAM, "0.19.7"};
	p->faas_cli = (struct component){SOURCE_NONE, NULL};
	p->hostname = "faasd";
	users[0] = (struct user){.name = "alice", .ssh_authorized_keys = keys, .lock_passwd = 1,
				 .sudo = "ALL=(ALL) NOPASSWD:ALL"};
	p->users = users;
	p->n_users = 1;
}

static struct node *parse(const struct strbuf *sb)
{
	struct yaml_error err;
	struct node *root = NULL;

	if (yaml_parse_string(sb->buf, sb->len, "rendered", true, &root, &err) < 0) {
		fprintf(stderr, "parse: %u:%u: %s\n", err.line, err.column, err.message);
		return NULL;
	}
	return root;
}

static bool seq_has(const struct node *seq, const char *value)
{
	for (size_t i = 0; seq && i < seq->n; i++)
		if (streq(node_str(seq->items[i]), value))
			return true;
	return false;
}

static const struct node *write_file_at(const struct node *root, const char *path)
{
	const struct node *wf = node_map_get(root, "write_files");

	for (size_t i = 0; wf && i < wf->n; i++)
		if (streq(node_str(node_map_get(wf->items[i], "path")), path))
			return wf->items[i];
	return NULL;
}

static void test_shell_quote(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"", "''"},
		{"abc", "'abc'"},
		{"it's", "'it'\\''s'"},
		{"'", "''\\'''"},
		{"$(rm -rf /) `x` \"y\" \\z", "'$(rm -rf /) `x` \"y\" \\z'"},
		{"a\nb", "'a\nb'"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct strbuf sb = STRBUF_INIT;

		CHECK(shell_quote(cases[i].in, strlen(cases[i].in), &sb) == 0);
		CHECK_STREQ(sb.buf, cases[i].out);
		strbuf_release(&sb);
	}
	{
		struct strbuf sb = STRBUF_INIT;

		CHECK(shell_quote("a\0b", 3, &sb) == -EINVAL);
		CHECK(sb.len == 0);
		strbuf_release(&sb);
	}
}

static void test_install(void)
{
	struct profile p;
	struct strbuf out = STRBUF_INIT;
	struct node *root;
	const struct node *f;

	init_profile(&p);
	/* faasd arm64 has no sha256 yet: rendering must refuse. */
	CHECK(render_user_data(&p, &test_lock, RENDER_INSTALL, &out) == -ENOENT);
	strbuf_release(&out);

	arts[7].sha256 = (char *)hash_a;
	p.faasd_basic_auth_password = "s3cret 'pw'";
	CHECK(render_user_data(&p, &test_lock, RENDER_INSTALL, &out) == 0);
	CHECK(str_starts_with(out.buf, "#cloud-config\n"));
	root = parse(&out);
	CHECK(root != NULL);
	CHECK_STREQ(node_str(node_map_get(root, "hostname")), "faasd");
	CHECK(seq_has(node_map_get(root, "packages"), "iptables"));
	CHECK(seq_has(node_map_get(root, "packages"), "bridge-utils"));
	CHECK(!seq_has(node_map_get(root, "packages"), "containerd"));
	CHECK(write_file_at(root, "/etc/systemd/system/containerd.service") != NULL);
	CHECK(write_file_at(root, "/usr/libexec/faasd-image/install-faasd") != NULL);
	CHECK(write_file_at(root, "/usr/libexec/faasd-image/report-status") != NULL);
	f = write_file_at(root, "/var/lib/faasd/secrets/basic-auth-password");
	CHECK(f && streq(node_str(node_map_get(f, "content")), "s3cret 'pw'"));
	CHECK(f && streq(node_str(node_map_get(f, "permissions")), "0600"));
	f = write_file_at(root, "/etc/faasd-image/install.env");
	CHECK(f && strstr(node_str(node_map_get(f, "content")),
			  "FAASD_URL_arm64='https://github.com/openfaas/faasd/releases/download/"
			  "0.19.7/faasd-arm64'\n"));
	CHECK(f && strstr(node_str(node_map_get(f, "content")), "CNI_SHA256_amd64='aaaa"));
	CHECK(node_map_get(root, "runcmd") && node_map_get(root, "runcmd")->n == 2);
	/* faasd-image test waits for cloud-init's own "Cloud-init v. X finished at". */
	CHECK(str_starts_with(node_str(node_map_get(root, "final_message")),
			      "Cloud-init v. ${VERSION} finished at ${TIMESTAMP}."));
	{
		const struct node *users = node_map_get(root, "users");

		CHECK(users && users->n == 2 && streq(node_str(users->items[0]), "default"));
	}
	node_free(root);

	/* Same inputs, same bytes. */
	{
		struct strbuf again = STRBUF_INIT;

		CHECK(render_user_data(&p, &test_lock, RENDER_INSTALL, &again) == 0);
		CHECK(again.len == out.len && memcmp(again.buf, out.buf, out.len) == 0);
		strbuf_release(&again);
	}
	strbuf_release(&out);

	/* A mirror rewrites every URL by the mirror rule. */
	p.artifacts_mirror = "http://10.0.2.100/";
	p.allow_http = true;
	CHECK(render_user_data(&p, &test_lock, RENDER_INSTALL, &out) == 0);
	CHECK(strstr(out.buf, "COMPOSE_URL='http://10.0.2.100/faasd/raw/0.19.7/"
			      "docker-compose.yaml'") != NULL);
	CHECK(strstr(out.buf, "CONTAINERD_URL_amd64='http://10.0.2.100/containerd/releases/"
			      "download/v1.7.27/containerd-1.7.27-linux-amd64.tar.gz'") != NULL);
	CHECK(strstr(out.buf, "ALLOW_HTTP='1'") != NULL);
	strbuf_release(&out);
}

static void test_distro_and_instance(void)
{
	struct profile p;
	struct strbuf out = STRBUF_INIT;
	struct node *root;

	init_profile(&p);
	arts[7].sha256 = (char *)hash_a;
	p.containerd = (struct component){SOURCE_DISTRO, NULL};
	p.runc = (struct component){SOURCE_DISTRO, NULL};
	p.cni = (struct component){SOURCE_DISTRO, NULL};
	CHECK(render_user_data(&p, &test_lock, RENDER_INSTALL, &out) == 0);
	root = parse(&out);
	CHECK(root && seq_has(node_map_get(root, "packages"), "containerd"));
	CHECK(root && seq_has(node_map_get(root, "packages"), "containernetworking-plugins"));
	CHECK(root && !write_file_at(root, "/etc/systemd/system/containerd.service"));
	CHECK(strstr(out.buf, "CONTAINERD_SOURCE='distro'") != NULL);
	node_free(root);
	strbuf_release(&out);

	/* The baked image's part: no install, no lock needed. */
	p.faasd_basic_auth_password = NULL;
	CHECK(render_user_data(&p, NULL, RENDER_INSTANCE, &out) == 0);
	root = parse(&out);
	CHECK(root && !node_map_get(root, "write_files"));
	CHECK(root && !node_map_get(root, "runcmd"));
	CHECK(root && node_map_get(root, "users"));
	CHECK(strstr(out.buf, "install-faasd") == NULL);
	node_free(root);
	strbuf_release(&out);
}

static void test_hostile(void)
{
	static const char *const bad[] = {"a b", "x\nruncmd: [reboot]", "-a", "a..b", "",
					  "a_b", "\"q\"", "{}", "a:b"};
	struct profile p;

	init_profile(&p);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct strbuf out = STRBUF_INIT;

		p.hostname = (char *)bad[i];
		CHECK(render_user_data(&p, NULL, RENDER_INSTANCE, &out) == -EINVAL);
		strbuf_release(&out);
	}

	/* A hostile time zone or package name stays one string. */
	{
		struct strbuf out = STRBUF_INIT;
		char *pkgs[] = {"vim\nruncmd: [reboot]", NULL};
		struct node *root;

		init_profile(&p);
		p.timezone = "Europe/Berlin\"\nbootcmd: [x]";
		p.packages = pkgs;
		CHECK(render_user_data(&p, NULL, RENDER_INSTANCE, &out) == 0);
		root = parse(&out);
		CHECK(root && !node_map_get(root, "bootcmd") && !node_map_get(root, "runcmd"));
		CHECK(root && streq(node_str(node_map_get(root, "timezone")), p.timezone));
		CHECK(root && seq_has(node_map_get(root, "packages"), pkgs[0]));
		node_free(root);
		strbuf_release(&out);
	}
}

static void test_meta_and_network(void)
{
	struct profile p;
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	char *ns[] = {"9.9.9.9", NULL};

	init_profile(&p);
	CHECK(render_meta_data_for(&p, "x", 1, &a) == 0);
	CHECK(render_meta_data_for(&p, "x", 1, &b) == 0);
	CHECK(a.len == b.len && memcmp(a.buf, b.buf, a.len) == 0);
	CHECK(str_starts_with(a.buf, "instance-id: faasd-"));
	CHECK(strstr(a.buf, "local-hostname: faasd\n") != NULL);
	strbuf_release(&b);
	CHECK(render_meta_data_for(&p, "y", 1, &b) == 0);
	CHECK(!(a.len == b.len && memcmp(a.buf, b.buf, a.len) == 0));
	strbuf_release(&a);
	strbuf_release(&b);

	CHECK(render_network_config(&p, &a) == 0);
	CHECK(a.len == 0);
	p.network.ethernet_address = "192.168.1.50/24";
	p.network.ethernet_gateway = "192.168.1.1";
	p.network.nameservers = ns;
	p.network.wifi_ssid = "my: \"net\"";
	p.network.wifi_passphrase = "pa ss";
	CHECK(render_network_config(&p, &a) == 1);
	CHECK_STREQ(a.buf, "version: 2\n"
			   "ethernets:\n"
			   "  eth0:\n"
			   "    addresses:\n"
			   "    - \"192.168.1.50/24\"\n"
			   "    gateway4: \"192.168.1.1\"\n"
			   "    nameservers:\n"
			   "      addresses:\n"
			   "      - \"9.9.9.9\"\n"
			   "    optional: true\n"
			   "wifis:\n"
			   "  wlan0:\n"
			   "    dhcp4: true\n"
			   "    optional: true\n"
			   "    access-points:\n"
			   "      \"my: \\\"net\\\"\":\n"
			   "        password: \"pa ss\"\n");
	strbuf_release(&a);
}

static void test_providers(void)
{
	struct strbuf big = STRBUF_INIT, gz = STRBUF_INIT, gz2 = STRBUF_INIT, b64 = STRBUF_INIT;
	char *res = NULL;
	size_t len;
	const char *enc;
	enum provider prov;
	unsigned char back[64];
	uLongf back_len = sizeof(back);

	CHECK(provider_from_name("hetzner", &prov) == 0 && prov == PROVIDER_HETZNER);
	CHECK(provider_from_name("nope", &prov) == -ENOENT);

	base64_encode("foobar", 6, &b64);
	CHECK_STREQ(b64.buf, "Zm9vYmFy");
	strbuf_release(&b64);
	base64_encode("fo", 2, &b64);
	CHECK_STREQ(b64.buf, "Zm8=");
	strbuf_release(&b64);

	CHECK(gzip_buffer("hello", 5, &gz) == 0);
	CHECK(gzip_buffer("hello", 5, &gz2) == 0);
	CHECK(gz.len == gz2.len && memcmp(gz.buf, gz2.buf, gz.len) == 0);
	/* gzip magic, deflate, no flags (no name), mtime 0 */
	CHECK(gz.len > 10 && memcmp(gz.buf, "\x1f\x8b\x08\x00\x00\x00\x00\x00", 8) == 0);
	(void)back;
	(void)back_len;
	strbuf_release(&gz);
	strbuf_release(&gz2);

	/* 20000 compressible bytes: aws gzips, digitalocean keeps plain, linode refuses. */
	strbuf_adds(&big, "#cloud-config\n");
	while (big.len < 20000)
		strbuf_adds(&big, "# padding padding padding\n");
	CHECK(provider_encode(PROVIDER_AWS, big.buf, big.len, &res, &len, &enc) == 0);
	CHECK(streq(enc, "gzip") && len < 16384);
	free(res);
	CHECK(provider_encode(PROVIDER_DIGITALOCEAN, big.buf, big.len, &res, &len, &enc) == 0);
	CHECK(streq(enc, "plain") && len == big.len);
	free(res);
	CHECK(provider_encode(PROVIDER_LINODE, big.buf, big.len, &res, &len, &enc) == -EFBIG);
	CHECK(provider_encode(PROVIDER_HETZNER, big.buf, big.len, &res, &len, &enc) == 0);
	CHECK(streq(enc, "plain"));
	free(res);
	CHECK(provider_encode(PROVIDER_GENERIC, big.buf, big.len, &res, &len, &enc) == 0);
	CHECK(streq(enc, "plain"));
	free(res);
	strbuf_release(&big);
}

static void test_mime(void)
{
	struct profile p;
	struct strbuf out = STRBUF_INIT, again = STRBUF_INIT;
	struct node *scripts = node_new_seq();

	init_profile(&p);
	node_seq_append(scripts, value_string("#!/bin/sh\necho one\n"));
	p.scripts = scripts;
	CHECK(render_user_data(&p, NULL, RENDER_INSTANCE, &out) == 0);
	CHECK(str_starts_with(out.buf, "Content-Type: multipart/mixed; boundary=\"==faasd-image-"));
	CHECK(strstr(out.buf, "Content-Type: text/cloud-config") != NULL);
	CHECK(strstr(out.buf, "Content-Type: text/x-shellscript") != NULL);
	CHECK(strstr(out.buf, "\n#!/bin/sh\necho one\n\n--==faasd-image-") != NULL);
	CHECK(render_user_data(&p, NULL, RENDER_INSTANCE, &again) == 0);
	CHECK(again.len == out.len && memcmp(again.buf, out.buf, out.len) == 0);
	strbuf_release(&out);
	strbuf_release(&again);

	node_seq_append(scripts, value_string("echo no shebang\n"));
	CHECK(render_user_data(&p, NULL, RENDER_INSTANCE, &out) == -EINVAL);
	strbuf_release(&out);
	node_free(scripts);
}

static int dump_one(const char *dir, const char *name, const struct strbuf *sb)
{
	_cleanup_free_ char *path = path_join(dir, name);

	return write_file_atomic(path, sb->buf, sb->len, 0644);
}

/*
 * --dump DIR: the hand-made profile rendered every way, for the schema
 * test to check with cloud-init even when the shipped lock is incomplete.
 */
static int dump(const char *dir)
{
	struct profile p;
	static char *groups[] = {"sudo", "adm", NULL};
	static const char hash[] = "$6$salt$0123456789abcdefghijklmnopqrstuvwxyz"
				   "ABCDEFGHIJKLMNOPQRSTUVWXYZ./0123456789abcdefghijklm";
	struct strbuf sb = STRBUF_INIT;
	struct node *extra = node_new_map(), *scripts = node_new_seq();
	int r;

	init_profile(&p);
	arts[7].sha256 = (char *)hash_a;
	p.users[0].groups = groups;
	p.users[0].shell = "/bin/bash";
	p.users[0].passwd = (char *)hash;
	p.faasd_basic_auth_password = "pw";
	p.timezone = "Europe/Berlin";
	p.locale = "C.UTF-8";
	node_map_set(extra, "ssh_pwauth", value_bool(false));
	p.cloud_config = extra;
	r = render_user_data(&p, &test_lock, RENDER_INSTALL, &sb);
	if (r == 0)
		r = dump_one(dir, "install-upstream.yaml", &sb);
	strbuf_release(&sb);

	p.containerd = (struct component){SOURCE_DISTRO, NULL};
	p.runc = (struct component){SOURCE_DISTRO, NULL};
	p.cni = (struct component){SOURCE_DISTRO, NULL};
	p.artifacts_mirror = "http://10.0.2.100";
	if (r == 0)
		r = render_user_data(&p, &test_lock, RENDER_INSTALL, &sb);
	if (r == 0)
		r = dump_one(dir, "install-distro.yaml", &sb);
	strbuf_release(&sb);
	if (r == 0)
		r = render_user_data(&p, &test_lock, RENDER_INSTANCE, &sb);
	if (r == 0)
		r = dump_one(dir, "instance.yaml", &sb);
	strbuf_release(&sb);
	node_seq_append(scripts, value_string("#!/bin/sh\necho hello\n"));
	p.scripts = scripts;
	if (r == 0)
		r = render_user_data(&p, &test_lock, RENDER_INSTANCE, &sb);
	if (r == 0)
		r = dump_one(dir, "instance.mime", &sb);
	strbuf_release(&sb);
	node_free(extra);
	node_free(scripts);
	return r;
}

int main(int argc, char **argv)
{
	setenv("FAASD_IMAGE_DATADIR", getenv("FAASD_IMAGE_TOP") ? getenv("FAASD_IMAGE_TOP") : ".",
	       0);
	if (argc == 3 && streq(argv[1], "--dump"))
		return dump(argv[2]) < 0 ? 1 : 0;
	test_shell_quote();
	test_install();
	test_distro_and_instance();
	test_hostile();
	test_meta_and_network();
	test_providers();
	test_mime();
	return unit_done("test-render");
}
