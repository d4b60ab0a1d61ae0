// SPDX-License-Identifier: MIT
/*
 * Unit tests of the profile loader: good profiles and their typed fields,
 * bad profiles and the exact one line each must produce, the precedence of
 * defaults < parent < profile < FAASD_IMAGE_SET < --set, and every shipped
 * profile. Profiles are written to a temporary directory; stderr is
 * redirected to a file around each load to read the error line back.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "unit.h"

#include "profile.h"
#include "util.h"

#define ED25519 "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f"
#define RSA_BODY "AAAAB3NzaC1yc2EAAAAgAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define ED25519_BODY "AAAAC3NzaC1lZDI1NTE5AAAAIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f"
#define PREFIX "faasd-image: profile: error: "

static char dir[] = "/tmp/test-profile-XXXXXX";

static char *write_text(const char *name, const char *text, size_t len)
{
	char *path = path_join(dir, name);

	if (write_file_atomic(path, text, len, 0644) < 0) {
		fprintf(stderr, "cannot write '%s'\n", path);
		exit(1);
	}
	return path;
}

static char *write_profile(const char *name, const char *yaml)
{
	return write_text(name, yaml, strlen(yaml));
}

/* Loads with stderr captured; returns what was written to stderr (caller frees). */
static char *load_captured(const char *name_or_path, char *const *sets, int *ret_r,
			   struct profile **ret_p)
{
	_cleanup_free_ char *log_path = path_join(dir, "stderr.log");
	char *text = NULL;
	size_t len;
	int saved, fd;

	fflush(stderr);
	saved = dup(STDERR_FILENO);
	fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	dup2(fd, STDERR_FILENO);
	close(fd);

	*ret_r = profile_load(name_or_path, sets, ret_p);

	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	if (read_file(log_path, 1 << 20, &text, &len) < 0)
		text = xstrdup("(no stderr)");
	return text;
}

/* Asserts that loading fails with exactly this one line on stderr. */
static void expect_error(const char *name_or_path, char *const *sets, const char *line,
			 int line_no)
{
	_cleanup_free_ char *want = xasprintf("%s%s\n", PREFIX, line);
	_cleanup_free_ char *got = NULL;
	struct profile *p = NULL;
	int r;

	got = load_captured(name_or_path, sets, &r, &p);
	unit_checks++;
	if (r >= 0 || !streq(got, want)) {
		unit_failures++;
		fprintf(stderr, "%s:%d: r=%d\n  expected: %s  got:      %s", __FILE__, line_no, r,
			want, got);
	}
	profile_free(p);
}

static struct profile *expect_load(const char *name_or_path, char *const *sets, int line_no)
{
	_cleanup_free_ char *got = NULL;
	struct profile *p = NULL;
	int r;

	got = load_captured(name_or_path, sets, &r, &p);
	unit_checks++;
	if (r < 0 || !p || *got) {
		unit_failures++;
		fprintf(stderr, "%s:%d: loading '%s' failed (r=%d): %s", __FILE__, line_no,
			name_or_path, r, got);
	}
	return p;
}

struct bad_case {
	int line;
	const char *yaml;
	const char *error; /* the line after "PATH:" */
};

#define BAD(yaml, error) {__LINE__, yaml, error}

static const struct bad_case bad_cases[] = {
	/* keys */
	BAD("hostnme: x\n", "1:10: unknown key 'hostnme'; did you mean 'hostname'?"),
	BAD("hostnme:\nlocale: C\n", "1:9: unknown key 'hostnme'; did you mean 'hostname'?"),
	BAD("network:\n  etherne:\n    dhcp: true\n",
	    "2:3: unknown key 'network.etherne'; did you mean 'network.ethernet'?"),
	BAD("faasd:\n  delivry: baked\n",
	    "2:12: unknown key 'faasd.delivry'; did you mean 'faasd.delivery'?"),
	BAD("delivery: baked\n",
	    "1:11: unknown key 'delivery'; did you mean 'faasd.delivery'?"),
	BAD("colour: red\n",
	    "1:9: unknown key 'colour' (the keys are listed by 'faasd-image list --schema')"),
	BAD("- a\n", "1:1: expected a mapping of profile keys at the top, found a list"),
	/* types */
	BAD("hostname: [a]\n", "1:1: 'hostname': expected a string, found a list"),
	BAD("faasd:\n  preload_images: maybe\n",
	    "2:19: 'faasd.preload_images': expected true or false, found 'maybe'"),
	BAD("faasd:\n  preload_images: \"true\"\n",
	    "2:19: 'faasd.preload_images': expected true or false, found a quoted string"),
	BAD("source_date_epoch: -5\n",
	    "1:20: 'source_date_epoch': expected a non-negative whole number, found text"),
	BAD("faasd: first-boot\n",
	    "1:8: 'faasd': expected a mapping of keys, found a single value"),
	BAD("faasd:\n  delivery: later\n",
	    "2:13: 'faasd.delivery': 'later' is not one of first-boot, baked"),
	BAD("runcmd: ls\n", "1:9: 'runcmd': expected a list, found a single value"),
	BAD("cloud_config: [a]\n", "1:1: 'cloud_config': expected a mapping, found a list"),
	BAD("users: {a: 1}\n", "1:1: 'users': expected a list of mappings, found a mapping"),
	BAD("sysctls:\n  vm.swappiness: [1]\n",
	    "2:3: 'sysctls.vm.swappiness': expected a single value, found a list"),
	/* hostname */
	BAD("hostname: my_host\n", "1:11: 'hostname': 'my_host' is not a valid hostname "
	    "(RFC 1123: letters, digits and '-', at most 63 per label)"),
	BAD("hostname: -faasd\n", "1:11: 'hostname': '-faasd' is not a valid hostname "
	    "(RFC 1123: letters, digits and '-', at most 63 per label)"),
	BAD("hostname: faasd-\n", "1:11: 'hostname': 'faasd-' is not a valid hostname "
	    "(RFC 1123: letters, digits and '-', at most 63 per label)"),
	BAD("hostname: a..b\n", "1:11: 'hostname': 'a..b' is not a valid hostname "
	    "(RFC 1123: letters, digits and '-', at most 63 per label)"),
	/* arch, board, sizes, outputs */
	BAD("arch: armhf\n", "1:7: 'arch': 'armhf' is 32-bit Arm, which faasd dropped in 0.19.0; "
	    "use arm64 (a Raspberry Pi 3, 4 or 5 runs a 64-bit OS)"),
	BAD("arch: sparc\n", "1:7: 'arch': 'sparc' is not one of amd64, arm64"),
	BAD("board: rpi4\n",
	    "1:8: 'board': 'rpi4' needs arch arm64 (faasd has no 32-bit Arm build)"),
	BAD("disk_size: 4Q\n", "1:12: 'disk_size': '4Q' is not a size (expected a number with K, "
	    "M, G or T, e.g. 4G)"),
	BAD("disk_size: 1M\n", "1:12: 'disk_size': '1M' is too small (at least 512M)"),
	BAD("outputs: [qcow2, vmdk]\n", "1:18: 'outputs.1': 'vmdk' is not one of qcow2, raw, img, "
	    "img.xz, squashfs, user-data, seed"),
	BAD("outputs: qcow2\n", "1:10: 'outputs': expected a list, found a single value"),
	BAD("outputs: []\n", "1:1: 'outputs': expected at least one of qcow2, raw, img, img.xz, "
	    "squashfs, user-data, seed"),
	/* YAML itself */
	BAD("a: 1\nhostname: x\na: 2\n", "3:1: duplicate key 'a' (lines 1 and 3)"),
	BAD("hostname: x\n\tlocale: C\n", "2:1: tab character: YAML indents with spaces only"),
	BAD("hostname: [a\n", "2:1: invalid YAML: did not find expected ',' or ']' "
	    "while parsing a flow sequence started on line 1"),
	BAD("x: &a 1\ny: *a\n", "1:4: anchors ('&a') are not supported; write the value out"),
	BAD("hostname: !shell x\n", "1:11: tag '!shell' is not supported; only standard tags such "
	    "as !!str"),
	BAD("hostname: a\n---\nhostname: b\n",
	    "2:1: a second YAML document; a profile is exactly one document"),
	BAD("? [a]\n: 1\n", "1:3: a mapping key must be a plain string, not a list"),
	/* control characters and sizes */
	BAD("hostname: \"a\\x07b\"\n",
	    "1:11: 'hostname': contains a control character (\\x07); expected text"),
	BAD("hostname: \"a\\0b\"\n",
	    "1:11: 'hostname': contains a control character (\\x00); expected text"),
	BAD("description: \"two\\nlines\"\n",
	    "1:14: 'description': contains a line break; expected a single line"),
	BAD("cloud_config:\n  bootcmd: [\"a\\eb\"]\n",
	    "2:13: 'cloud_config.bootcmd.0': contains a control character (\\x1b); expected text"),
	/* users and SSH keys */
	BAD("users:\n  - name: Bob\n", "2:11: 'users.0.name': 'Bob' is not a valid user name "
	    "(lower-case letters, digits, '_' and '-', starting with a letter or '_', at most 32)"),
	BAD("users:\n  - shell: /bin/sh\n", "2:5: 'users.0.name' is missing; it is required here"),
	BAD("users:\n  - name: bob\n    ssh_authorized_keys: [\"ssh-ed25519 AAAA!!!!\"]\n",
	    "3:27: 'users.0.ssh_authorized_keys.0': SSH public key data is not valid base64 of a "
	    "public key"),
	BAD("users:\n  - name: bob\n    ssh_authorized_keys: [\"ssh-ed25519 " ED25519_BODY "=\"]\n",
	    "3:27: 'users.0.ssh_authorized_keys.0': SSH public key data is not valid base64 of a "
	    "public key"),
	BAD("users:\n  - name: bob\n    ssh_authorized_keys: [\"ssh-rsa " ED25519_BODY " me\"]\n",
	    "3:27: 'users.0.ssh_authorized_keys.0': SSH public key says 'ssh-rsa' but its data "
	    "holds a 'ssh-ed25519' key"),
	BAD("users:\n  - name: bob\n    ssh_authorized_keys: [\"" ED25519 "\\nroot\"]\n",
	    "3:27: 'users.0.ssh_authorized_keys.0': contains a line break; expected a single line"),
	BAD("users:\n  - name: bob\n    ssh_authorized_keys: [\"ssh-dss " RSA_BODY "\"]\n",
	    "3:27: 'users.0.ssh_authorized_keys.0': 'ssh-dss' is not an SSH public key type "
	    "(expected 'TYPE BASE64 [COMMENT]' with TYPE ssh-ed25519, ssh-rsa, "
	    "ecdsa-sha2-nistp256/384/521 or sk-*)"),
	BAD("users:\n  - name: bob\n    ssh_authorized_keys: [ssh-ed25519]\n",
	    "3:27: 'users.0.ssh_authorized_keys.0': SSH public key has no key data after its "
	    "type (expected 'TYPE BASE64 [COMMENT]')"),
	BAD("users:\n  - name: bob\n    ssh_authorized_keys:\n"
	    "      - \"-----BEGIN OPENSSH PRIVATE KEY-----\"\n",
	    "4:9: 'users.0.ssh_authorized_keys.0': this is a private key; give the public key "
	    "(the .pub file)"),
	BAD("users:\n  - name: bob\n    ssh_authorized_keys: \"" ED25519 "\"\n",
	    "3:26: 'users.0.ssh_authorized_keys': expected a list, found a single value"),
	BAD("users:\n  - name: bob\n    passwd: hunter22\n",
	    "3:13: 'users.0.passwd': not a crypt(3) hash such as '$6$...' (make one with "
	    "'mkpasswd'); clear-text passwords are not accepted"),
	BAD("users:\n  - name: bob\n    groups: [docker, Admins]\n",
	    "3:22: 'users.0.groups.1': 'Admins' is not a valid group name (lower-case letters, "
	    "digits, '_' and '-', starting with a letter or '_', at most 32)"),
	BAD("users:\n  - name: bob\n    groups: docker, Admins\n",
	    "3:13: 'users.0.groups': 'Admins' is not a valid group name (lower-case letters, "
	    "digits, '_' and '-', starting with a letter or '_', at most 32)"),
	BAD("cloud_config:\n  \"a\\tb\": 1\n",
	    "2:11: a key under 'cloud_config' contains a control character"),
	/* URLs */
	BAD("base:\n  mirror: file:///srv/debian\n",
	    "2:11: 'base.mirror': 'file:///srv/debian' is a file:// URL; expected an http:// or "
	    "https:// URL (for a local directory give its path to --mirror)"),
	BAD("artifacts:\n  mirror: ftp://example.org/\n",
	    "2:11: 'artifacts.mirror': 'ftp://example.org/' is not a URL (expected http:// or "
	    "https:// and a host)"),
	BAD("artifacts:\n  mirror: https:///x\n",
	    "2:11: 'artifacts.mirror': 'https:///x' is not a URL (expected http:// or https:// "
	    "and a host, no credentials, no spaces)"),
	/* write_files */
	BAD("write_files:\n  - path: etc/motd\n",
	    "2:11: 'write_files.0.path': 'etc/motd' is not an absolute path (expected it to start "
	    "with '/')"),
	BAD("write_files:\n  - path: /etc/../root/x\n",
	    "2:11: 'write_files.0.path': '/etc/../root/x' has a '..' part (expected a path "
	    "without '..')"),
	BAD("write_files:\n  - path: /etc/motd\n    permissions: '0999'\n",
	    "3:18: 'write_files.0.permissions': '0999' is not a file mode (expected an octal "
	    "string such as '0644')"),
	BAD("write_files:\n  - path: /etc/motd\n    owner: Root:root\n",
	    "3:12: 'write_files.0.owner': 'Root:root' is not an owner (expected 'user' or "
	    "'user:group')"),
	/* network */
	BAD("network:\n  wifi:\n    ssid: home\n    passphrase: short\n",
	    "4:17: 'network.wifi.passphrase': passphrase is 5 characters; WPA2 needs 8 to 63"),
	BAD("network:\n  wifi:\n    ssid: home\n    passphrase: "
	    "0123456789012345678901234567890123456789012345678901234567890123\n",
	    "4:17: 'network.wifi.passphrase': passphrase is 64 characters; WPA2 needs 8 to 63"),
	BAD("network:\n  wifi:\n    ssid: home\n    country: gb\n",
	    "4:14: 'network.wifi.country': 'gb' is not a country code (expected two capital "
	    "letters such as 'GB')"),
	BAD("network:\n  wifi:\n    country: GB\n",
	    "2:3: 'network.wifi.ssid' is missing; it is required here"),
	BAD("network:\n  ethernet:\n    address: 192.168.1.50\n",
	    "3:14: 'network.ethernet.address': '192.168.1.50' is not an address with a prefix "
	    "length (expected CIDR such as '192.168.1.50/24')"),
	BAD("network:\n  ethernet:\n    address: 192.168.1.50/33\n",
	    "3:14: 'network.ethernet.address': '192.168.1.50/33' is not an address with a prefix "
	    "length (expected CIDR such as '192.168.1.50/24')"),
	BAD("network:\n  ethernet:\n    gateway: 192.168.1.1\n",
	    "3:14: 'network.ethernet.gateway': needs a static address in "
	    "'network.ethernet.address'"),
	BAD("network:\n  ethernet:\n    dhcp: true\n    address: 10.0.0.2/8\n",
	    "4:14: 'network.ethernet.address': a static address and dhcp: true exclude each other"),
	BAD("network:\n  ethernet:\n    nameservers: [1.1.1.1, dns.example]\n",
	    "3:28: 'network.ethernet.nameservers.1': 'dns.example' is not an IP address (expected "
	    "e.g. '192.168.1.1' or '2001:db8::1')"),
	/* the rest of the schema */
	BAD("timezone: London\n", "1:11: 'timezone': 'London' is not a time zone (expected 'UTC' "
	    "or Area/City such as 'Europe/London')"),
	BAD("locale: english\n", "1:9: 'locale': 'english' is not a locale (expected e.g. "
	    "'C.UTF-8' or 'en_GB.UTF-8')"),
	BAD("sysctls:\n  'net ipv4': 1\n", "2:15: 'sysctls.net ipv4': 'net ipv4' is not a sysctl "
	    "name (expected e.g. 'net.ipv4.ip_forward')"),
	BAD("modules: [br_netfilter, 'over lay']\n", "1:25: 'modules.1': 'over lay' is not a "
	    "kernel module name (letters, digits, '_' and '-')"),
	BAD("packages: [curl, 'Vim!']\n", "1:18: 'packages.1': 'Vim!' is not a Debian package name "
	    "(expected 'name' or 'name=version')"),
	BAD("components:\n  faasd:\n    source: distro\n",
	    "3:13: 'components.faasd.source': faasd has no distribution package; expected "
	    "upstream or none"),
	BAD("components:\n  containerd:\n    version: 1.7 final\n",
	    "3:14: 'components.containerd.version': '1.7 final' is not a version (expected "
	    "e.g. '1.7.27')"),
	BAD("cloud_config:\n  hostname: x\n",
	    "2:13: 'cloud_config.hostname': set the profile's own 'hostname' key instead"),
	BAD("base:\n  kind: cloud-image\n",
	    "2:9: 'base.image': is missing; base.kind cloud-image needs the image's name in the "
	    "lock"),
	BAD("extends: nosuch\n", "1:10: 'extends': profile 'nosuch' not found; shipped profiles: "
	    "multipass, qemu, qemu-arm64, qemu-ubuntu, rpi3, rpi4, vps"),
	BAD("extends: ./missing.yaml\n",
	    "1:10: 'extends': parent profile file './missing.yaml' not found"),
};

static void test_bad_profiles(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		_cleanup_free_ char *path = write_profile("bad.yaml", bad_cases[i].yaml);
		_cleanup_free_ char *line = xasprintf("%s:%s", path, bad_cases[i].error);

		expect_error(path, NULL, line, bad_cases[i].line);
	}
}

/* Cases whose text is made in code: sizes, nesting, bytes YAML cannot quote. */
static void test_bad_generated(void)
{
	struct strbuf sb = STRBUF_INIT;
	char *path, *line, *big;

	strbuf_adds(&sb, "description: ");
	for (int i = 0; i < 70000; i++)
		strbuf_addc(&sb, 'a');
	strbuf_addc(&sb, '\n');
	path = write_text("big.yaml", sb.buf, sb.len);
	line = xasprintf("%s:1:14: 'description': value is 70000 bytes; at most 65536 (64 KiB) "
			 "allowed", path);
	expect_error(path, NULL, line, __LINE__);
	strbuf_release(&sb);
	free(path);
	free(line);

	strbuf_adds(&sb, "cloud_config:\n  x: ");
	for (int i = 0; i < 70; i++)
		strbuf_addc(&sb, '[');
	for (int i = 0; i < 70; i++)
		strbuf_addc(&sb, ']');
	strbuf_addc(&sb, '\n');
	path = write_text("deep.yaml", sb.buf, sb.len);
	line = xasprintf("%s:2:68: nested deeper than 64 levels", path);
	expect_error(path, NULL, line, __LINE__);
	strbuf_release(&sb);
	free(path);
	free(line);

	big = xcalloc(1, 1100 * 1024);
	memset(big, '#', 1100 * 1024 - 1);
	path = write_text("huge.yaml", big, strlen(big));
	line = xasprintf("%s: file is larger than 1 MiB", path);
	expect_error(path, NULL, line, __LINE__);
	free(path);
	free(line);

	path = write_text("latin1.yaml", "hostname: caf\xe9\n", 15);
	line = xasprintf("%s:1:14: incomplete UTF-8 octet sequence; the file must be UTF-8 text",
			 path);
	expect_error(path, NULL, line, __LINE__);
	free(path);
	free(line);
	free(big);
}

static void test_extends_errors(void)
{
	_cleanup_free_ char *a = write_profile("cycle-a.yaml", "extends: cycle-b.yaml\n");
	_cleanup_free_ char *b = write_profile("cycle-b.yaml",
					       "hostname: b\nextends: ./cycle-a.yaml\n");
	_cleanup_free_ char *self = write_profile("self.yaml", "extends: self.yaml\n");
	char *line;

	line = xasprintf("%s:2:10: 'extends': profiles extend each other in a cycle: '%s' -> '%s/"
			 "cycle-b.yaml' -> '%s/./cycle-a.yaml'", b, a, dir, dir);
	expect_error(a, NULL, line, __LINE__);
	free(line);

	line = xasprintf("%s:1:10: 'extends': profiles extend each other in a cycle: '%s' -> "
			 "'%s/self.yaml'", self, self, dir);
	expect_error(self, NULL, line, __LINE__);
	free(line);

	/* Nine levels: one too many. */
	for (int i = 0; i < 9; i++) {
		_cleanup_free_ char *name = xasprintf("deep%d.yaml", i);
		_cleanup_free_ char *text = xasprintf("extends: deep%d.yaml\n", i + 1);

		free(write_profile(name, i == 8 ? "hostname: deep\n" : text));
	}
	{
		_cleanup_free_ char *top = path_join(dir, "deep0.yaml");

		line = xasprintf("%s/deep7.yaml:1:10: 'extends': more than 8 levels of extends",
				 dir);
		expect_error(top, NULL, line, __LINE__);
		free(line);
	}
}

static void test_set_errors(void)
{
	char *typo[] = {"hostnme=x", NULL};
	char *bad_host[] = {"hostname=my_host", NULL};
	char *no_eq[] = {"hostname", NULL};
	char *below[] = {"hostname.x=1", NULL};
	char *bad_yaml[] = {"outputs=[qcow2", NULL};
	char *bad_output[] = {"outputs=[qcow2,vmdk]", NULL};
	char *extends[] = {"extends=qemu", NULL};
	char *index[] = {"users.1.name=bob", NULL};
	char *control[] = {"description=a\x01", NULL};
	char *quoted_control[] = {"description=\"a\\x1f\"", NULL};

	expect_error("qemu", typo, "--set hostnme=x: unknown key 'hostnme'; did you mean "
		     "'hostname'?", __LINE__);
	expect_error("qemu", bad_host, "--set hostname=my_host: 'hostname': 'my_host' is not a "
		     "valid hostname (RFC 1123: letters, digits and '-', at most 63 per label)",
		     __LINE__);
	expect_error("qemu", no_eq, "--set hostname: expected KEY=VALUE with a dotted key, e.g. "
		     "hostname=pi1 or network.wifi.country=GB", __LINE__);
	expect_error("qemu", below, "--set hostname.x=1: 'hostname': is a single value; 'x' "
		     "cannot go below it", __LINE__);
	expect_error("qemu", bad_yaml, "--set outputs=[qcow2: the value is not a YAML value: "
		     "invalid YAML: did not find expected ',' or ']' while parsing a flow "
		     "sequence", __LINE__);
	expect_error("qemu", bad_output, "--set outputs=[qcow2,vmdk]: 'outputs.1': 'vmdk' is not "
		     "one of qcow2, raw, img, img.xz, squashfs, user-data, seed", __LINE__);
	expect_error("qemu", extends, "--set extends=qemu: 'extends': cannot be changed by an "
		     "assignment; write it in the profile", __LINE__);
	expect_error("qemu", index, "--set users.1.name=bob: 'users': has 0 items; index 1 is "
		     "past the end (use 0 to append)", __LINE__);

	expect_error("qemu", control, "--set description=a\\x01: the value is not a YAML value: "
		     "control characters are not allowed (#1)", __LINE__);
	expect_error("qemu", quoted_control, "--set description=\"a\\x1f\": 'description': "
		     "contains a control character (\\x1f); expected text", __LINE__);

	setenv("FAASD_IMAGE_SET", "timezone=Europe/London\nhostname=my_host\n", 1);
	expect_error("qemu", NULL, "FAASD_IMAGE_SET hostname=my_host: 'hostname': 'my_host' is "
		     "not a valid hostname (RFC 1123: letters, digits and '-', at most 63 per "
		     "label)",
		     __LINE__);
	unsetenv("FAASD_IMAGE_SET");

	expect_error("nosuch", NULL, "profile 'nosuch' not found; shipped profiles: multipass, "
		     "qemu, qemu-arm64, qemu-ubuntu, rpi3, rpi4, vps", __LINE__);
	expect_error("./nosuch.yaml", NULL, "profile file './nosuch.yaml' not found", __LINE__);
}

static void test_defaults(void)
{
	_cleanup_free_ char *path = write_profile("empty.yaml", "# nothing but a comment\n");
	struct profile *p = expect_load(path, NULL, __LINE__);

	if (!p)
		return;
	CHECK_STREQ(p->name, "empty");
	CHECK(p->arch == ARCH_AMD64);
	CHECK(p->board == BOARD_GENERIC);
	CHECK(p->base.kind == BASE_BOOTSTRAP);
	CHECK_STREQ(p->base.suite, "bookworm");
	CHECK_STREQ(p->base.variant, "apt");
	CHECK(strv_length(p->base.components) == 1);
	CHECK_STREQ(p->base.components[0], "main");
	CHECK(p->base.mirror == NULL);
	CHECK(p->outputs == OUTPUT_QCOW2);
	CHECK(p->disk_size == UINT64_C(4) << 30);
	CHECK(p->containerd.source == SOURCE_DISTRO);
	CHECK(p->runc.source == SOURCE_DISTRO);
	CHECK(p->cni.source == SOURCE_DISTRO);
	CHECK(p->faasd.source == SOURCE_UPSTREAM);
	CHECK_STREQ(p->faasd.version, "0.19.7");
	CHECK(p->faas_cli.source == SOURCE_NONE);
	CHECK(p->delivery == DELIVERY_FIRST_BOOT);
	CHECK(p->edition == EDITION_CE);
	CHECK(!p->preload_images);
	CHECK(!p->allow_http);
	CHECK_STREQ(p->hostname, "faasd");
	CHECK_STREQ(p->timezone, "UTC");
	CHECK_STREQ(p->locale, "C.UTF-8");
	CHECK(p->n_users == 0);
	CHECK(strv_length(p->sysctl_keys) == 1);
	CHECK_STREQ(p->sysctl_keys[0], "net.ipv4.conf.all.forwarding");
	CHECK_STREQ(p->sysctl_values[0], "1");
	CHECK(strv_length(p->modules) == 2);
	CHECK_STREQ(p->modules[0], "br_netfilter");
	CHECK_STREQ(p->modules[1], "overlay");
	CHECK(p->runcmd == NULL && p->cloud_config == NULL && p->scripts == NULL);
	CHECK(p->source_date_epoch == 0);
	CHECK(p->tree && node_get_path(p->tree, "faasd.delivery"));
	profile_free(p);
}

static const char full_profile[] =
	"# every section once\n"
	"name: full\n"
	"description: a profile with everything\n"
	"arch: arm64\n"
	"board: rpi4\n"
	"base: {components: [main, non-free-firmware], mirror: 'http://127.0.0.1:8080/debian'}\n"
	"outputs: [img, img.xz, user-data]\n"
	"disk_size: 2G\n"
	"components:\n"
	"  containerd: {source: upstream, version: 1.7.27}\n"
	"  runc: {source: upstream, version: v1.1.12}\n"
	"  faas_cli: {source: upstream, version: 0.17.0}\n"
	"faasd: {delivery: baked, edition: pro, preload_images: yes, images_from: /srv/images,\n"
	"        basic_auth_password: s3cret-pw}\n"
	"artifacts: {mirror: 'http://127.0.0.1:9/', allow_http: true}\n"
	"hostname: pi-1.example.org\n"
	"timezone: America/Argentina/Buenos_Aires\n"
	"locale: en_GB.UTF-8\n"
	"users:\n"
	"  - name: pi\n"
	"    ssh_authorized_keys:\n"
	"      - " ED25519 " me@laptop\n"
	"    groups: docker, sudo\n"
	"    sudo: ALL=(ALL) NOPASSWD:ALL\n"
	"    shell: /bin/bash\n"
	"    passwd: $6$salt$hash\n"
	"    lock_passwd: false\n"
	"  - name: ops\n"
	"    groups: [adm]\n"
	"packages: [htop, jq=1.6-2.1]\n"
	"write_files:\n"
	"  - path: /etc/motd\n"
	"    content: |\n"
	"      hello\n"
	"      world\n"
	"    permissions: '0644'\n"
	"    owner: root:root\n"
	"  - path: /opt/blob\n"
	"    content: \"a\\0b\"\n"
	"runcmd:\n"
	"  - [systemctl, restart, faasd]\n"
	"  - echo done\n"
	"scripts:\n"
	"  - |\n"
	"    #!/bin/sh\n"
	"    echo hi\n"
	"cloud_config:\n"
	"  ntp: {enabled: true}\n"
	"network:\n"
	"  ethernet: {address: 192.168.1.50/24, gateway: 192.168.1.1,\n"
	"             nameservers: [1.1.1.1, '2606:4700:4700::1111']}\n"
	"  wifi: {ssid: home, passphrase: correct horse, country: GB}\n"
	"sysctls:\n"
	"  vm.swappiness: 10\n"
	"modules: [wireguard]\n"
	"source_date_epoch: 1700000000\n";

static void test_full_profile(void)
{
	_cleanup_free_ char *path = write_profile("full.yaml", full_profile);
	struct profile *p = expect_load(path, NULL, __LINE__);

	if (!p)
		return;
	CHECK_STREQ(p->name, "full");
	CHECK_STREQ(p->description, "a profile with everything");
	CHECK(p->arch == ARCH_ARM64 && p->board == BOARD_RPI4);
	CHECK(strv_length(p->base.components) == 2);
	CHECK_STREQ(p->base.mirror, "http://127.0.0.1:8080/debian");
	CHECK_STREQ(p->base.suite, "bookworm");
	CHECK(p->outputs == (OUTPUT_IMG | OUTPUT_IMG_XZ | OUTPUT_USER_DATA));
	CHECK(p->disk_size == UINT64_C(2) << 30);
	CHECK(p->containerd.source == SOURCE_UPSTREAM);
	CHECK_STREQ(p->containerd.version, "1.7.27");
	CHECK_STREQ(p->runc.version, "v1.1.12");
	CHECK(p->cni.source == SOURCE_DISTRO && p->cni.version == NULL);
	CHECK(p->faas_cli.source == SOURCE_UPSTREAM);
	CHECK(p->delivery == DELIVERY_BAKED && p->edition == EDITION_PRO);
	CHECK(p->preload_images);
	CHECK_STREQ(p->images_from, "/srv/images");
	CHECK_STREQ(p->faasd_basic_auth_password, "s3cret-pw");
	CHECK_STREQ(p->artifacts_mirror, "http://127.0.0.1:9/");
	CHECK(p->allow_http);
	CHECK_STREQ(p->hostname, "pi-1.example.org");
	CHECK_STREQ(p->timezone, "America/Argentina/Buenos_Aires");
	CHECK_STREQ(p->locale, "en_GB.UTF-8");
	CHECK(p->n_users == 2);
	if (p->n_users == 2) {
		CHECK_STREQ(p->users[0].name, "pi");
		CHECK(strv_length(p->users[0].ssh_authorized_keys) == 1);
		CHECK_STREQ(p->users[0].ssh_authorized_keys[0], ED25519 " me@laptop");
		CHECK(strv_length(p->users[0].groups) == 2);
		CHECK_STREQ(p->users[0].groups[0], "docker");
		CHECK_STREQ(p->users[0].groups[1], "sudo");
		CHECK_STREQ(p->users[0].sudo, "ALL=(ALL) NOPASSWD:ALL");
		CHECK_STREQ(p->users[0].shell, "/bin/bash");
		CHECK_STREQ(p->users[0].passwd, "$6$salt$hash");
		CHECK(p->users[0].lock_passwd == 0);
		CHECK(p->users[1].lock_passwd == -1);
		CHECK(strv_length(p->users[1].groups) == 1);
	}
	CHECK(strv_length(p->packages) == 2);
	CHECK(p->n_write_files == 2);
	if (p->n_write_files == 2) {
		CHECK_STREQ(p->write_files[0].content, "hello\nworld\n");
		CHECK_STREQ(p->write_files[0].permissions, "0644");
		CHECK_STREQ(p->write_files[0].owner, "root:root");
		CHECK(p->write_files[1].content_len == 3 && p->write_files[1].content[1] == '\0');
	}
	CHECK(p->runcmd && p->runcmd->kind == NODE_SEQ && p->runcmd->n == 2);
	CHECK(p->scripts && p->scripts->n == 1);
	CHECK(p->cloud_config && node_get_path(p->cloud_config, "ntp.enabled"));
	CHECK(!p->network.ethernet_dhcp);
	CHECK_STREQ(p->network.ethernet_address, "192.168.1.50/24");
	CHECK_STREQ(p->network.ethernet_gateway, "192.168.1.1");
	CHECK(strv_length(p->network.nameservers) == 2);
	CHECK_STREQ(p->network.wifi_ssid, "home");
	CHECK_STREQ(p->network.wifi_passphrase, "correct horse");
	CHECK_STREQ(p->network.wifi_country, "GB");
	/* sysctls merge with the default; modules replace it. */
	CHECK(strv_length(p->sysctl_keys) == 2);
	CHECK(strv_contains(p->sysctl_keys, "net.ipv4.conf.all.forwarding"));
	CHECK(strv_contains(p->sysctl_keys, "vm.swappiness"));
	CHECK(strv_length(p->modules) == 1);
	CHECK(p->source_date_epoch == 1700000000);
	profile_free(p);
}

/* defaults < parent < profile < FAASD_IMAGE_SET < --set, one key per level. */
static void test_precedence(void)
{
	_cleanup_free_ char *parent = write_profile("parent.yaml",
		"name: parent\ndescription: the parent\n"
		"hostname: from-parent\ntimezone: Europe/Paris\nlocale: fr_FR.UTF-8\n"
		"disk_size: 8G\noutputs: [raw]\nbase: {suite: trixie}\n");
	_cleanup_free_ char *child = write_profile("child.yaml",
		"extends: parent.yaml\nhostname: from-child\ntimezone: Europe/Berlin\n"
		"locale: de_DE.UTF-8\nbase: {variant: minbase}\n");
	char *sets[] = {"locale=en_GB.UTF-8", "outputs=[qcow2, seed]", "sysctls.vm.swappiness=5",
			NULL};
	struct profile *p;

	setenv("FAASD_IMAGE_SET", "timezone=Asia/Tokyo\nlocale=it_IT.UTF-8\n", 1);
	p = expect_load(child, sets, __LINE__);
	unsetenv("FAASD_IMAGE_SET");
	if (!p)
		return;
	CHECK_STREQ(p->name, "child");               /* name is not inherited */
	CHECK(p->description == NULL);               /* nor the description */
	CHECK(p->arch == ARCH_AMD64 && p->base.kind == BASE_BOOTSTRAP); /* defaults */
	CHECK(p->disk_size == UINT64_C(8) << 30);    /* parent over default */
	CHECK_STREQ(p->base.suite, "trixie");        /* parent, merged with child's base */
	CHECK_STREQ(p->base.variant, "minbase");     /* child over default */
	CHECK_STREQ(p->hostname, "from-child");      /* child over parent */
	CHECK_STREQ(p->timezone, "Asia/Tokyo");      /* environment over child */
	CHECK_STREQ(p->locale, "en_GB.UTF-8");       /* --set over environment */
	CHECK(p->outputs == (OUTPUT_QCOW2 | OUTPUT_SEED)); /* --set flow list over parent */
	CHECK(strv_length(p->sysctl_keys) == 2);     /* --set into a map keyed with dots */
	profile_free(p);
}

static void test_nulls_and_sets(void)
{
	_cleanup_free_ char *parent = write_profile("np.yaml", "hostname: parent-host\n");
	_cleanup_free_ char *child = write_profile("nc.yaml", "extends: np.yaml\nhostname: ~\n");
	char *sets[] = {"users.0.name=bob", "users.0.groups=docker,adm", "users.1.name=eve",
			"users.0.lock_passwd=true", "name=renamed", "faasd.preload_images=on",
			"description='quoted: yes'", NULL};
	char *reset[] = {"hostname=", NULL};
	struct profile *p;

	p = expect_load(child, NULL, __LINE__);
	if (p)
		CHECK_STREQ(p->hostname, "faasd"); /* null in the child: back to the default */
	profile_free(p);

	p = expect_load("qemu", sets, __LINE__);
	if (p) {
		CHECK(p->n_users == 2);
		if (p->n_users == 2) {
			CHECK_STREQ(p->users[0].name, "bob");
			CHECK(strv_length(p->users[0].groups) == 2);
			CHECK(p->users[0].lock_passwd == 1);
			CHECK_STREQ(p->users[1].name, "eve");
		}
		CHECK_STREQ(p->name, "renamed");
		CHECK(p->preload_images);
		CHECK_STREQ(p->description, "quoted: yes");
	}
	profile_free(p);

	p = expect_load(parent, reset, __LINE__);
	if (p)
		CHECK_STREQ(p->hostname, "faasd");
	profile_free(p);
}

static void test_shipped(void)
{
	_cleanup_strv_free_ char **names = profile_list_shipped();
	static const char *const expected[] = {"multipass", "qemu", "qemu-arm64", "qemu-ubuntu",
					       "rpi3", "rpi4", "vps"};
	struct profile *p;

	CHECK(strv_length(names) == ARRAY_SIZE(expected));
	for (size_t i = 0; i < ARRAY_SIZE(expected) && i < strv_length(names); i++)
		CHECK_STREQ(names[i], expected[i]);

	for (size_t i = 0; names && names[i]; i++) {
		p = expect_load(names[i], NULL, __LINE__);
		if (!p)
			continue;
		CHECK_STREQ(p->name, names[i]);
		CHECK(!str_empty(p->description));
		CHECK(p->faasd.source == SOURCE_UPSTREAM && streq(p->faasd.version, "0.19.7"));
		profile_free(p);
	}

	p = expect_load("qemu", NULL, __LINE__);
	if (p) {
		CHECK(p->outputs == (OUTPUT_QCOW2 | OUTPUT_SEED | OUTPUT_USER_DATA));
		CHECK(p->containerd.source == SOURCE_DISTRO);
		CHECK(p->delivery == DELIVERY_FIRST_BOOT);
	}
	profile_free(p);

	p = expect_load("qemu-arm64", NULL, __LINE__);
	if (p)
		CHECK(p->arch == ARCH_ARM64 && p->outputs & OUTPUT_QCOW2);
	profile_free(p);

	p = expect_load("rpi4", NULL, __LINE__);
	if (p) {
		CHECK(p->board == BOARD_RPI4 && p->arch == ARCH_ARM64);
		CHECK(p->outputs == (OUTPUT_IMG | OUTPUT_IMG_XZ));
		CHECK(strv_contains(p->base.components, "non-free-firmware"));
		CHECK(p->network.ethernet_dhcp);
	}
	profile_free(p);

	p = expect_load("vps", NULL, __LINE__);
	if (p) {
		CHECK(p->outputs == OUTPUT_USER_DATA);
		CHECK(p->containerd.source == SOURCE_UPSTREAM);
		CHECK_STREQ(p->containerd.version, "1.7.27");
		CHECK_STREQ(p->runc.version, "1.1.12");
		CHECK_STREQ(p->cni.version, "0.9.1");
	}
	profile_free(p);

	p = expect_load("qemu-ubuntu", NULL, __LINE__);
	if (p) {
		CHECK(p->base.kind == BASE_CLOUD_IMAGE);
		CHECK_STREQ(p->base.image, "ubuntu-24.04-server-cloudimg");
	}
	profile_free(p);
}

static void test_names(void)
{
	CHECK_STREQ(arch_name(ARCH_ARM64), "arm64");
	CHECK_STREQ(arch_uname(ARCH_AMD64), "x86_64");
	CHECK_STREQ(board_name(BOARD_RPI3), "rpi3");
	CHECK_STREQ(source_name(SOURCE_NONE), "none");
	CHECK_STREQ(delivery_name(DELIVERY_BAKED), "baked");
	CHECK_STREQ(output_name(OUTPUT_IMG_XZ), "img.xz");
	CHECK(profile_key_is_secret("users.3.passwd"));
	CHECK(profile_key_is_secret("faasd.basic_auth_password"));
	CHECK(!profile_key_is_secret("hostname"));
}

int main(void)
{
	/* Shipped profiles come from the source tree: run from it, or from tests/run.sh. */
	if (!getenv("FAASD_IMAGE_DATADIR"))
		setenv("FAASD_IMAGE_DATADIR", ".", 1);
	unsetenv("FAASD_IMAGE_SET");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}

	test_bad_profiles();
	test_bad_generated();
	test_extends_errors();
	test_set_errors();
	test_defaults();
	test_full_profile();
	test_precedence();
	test_nulls_and_sets();
	test_shipped();
	test_names();

	remove_tree(dir);
	return unit_done("test-profile");
}
