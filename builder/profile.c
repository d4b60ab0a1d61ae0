// SPDX-License-Identifier: MIT
/*
 * The profile loader. One table, schema[], names every key a profile may
 * hold with its type, its check, its default and its help text; the same
 * table validates, fills in defaults and prints the key reference in
 * docs/profiles.md (faasd-image list --schema). Loading goes: read the file
 * and its parents (extends:) as trees, overlay them (parent < child), apply
 * FAASD_IMAGE_SET and --set assignments, drop explicit nulls, lay the result
 * over the built-in defaults, validate, and fill struct profile. The first
 * problem found is logged as exactly one line naming where it came from
 * (file:line:column, or the --set assignment) and the key; nothing is
 * logged on success.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>

#include "log.h"
#include "paths.h"
#include "profile.h"
#include "util.h"
#include "validate.h"
#include "yaml-parse.h"

#define MAX_VALUE_SIZE (64 * 1024)
#define MAX_EXTENDS_DEPTH 8
#define DEFAULTS_ORIGIN "built-in defaults"
#define CONTROL_CHARS                                                                              \
	"\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15"   \
	"\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f"
#define KEY_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-"

enum key_type {
	KEY_SECTION,       /* a mapping of further keys from this table */
	KEY_STRING,        /* one line of text */
	KEY_BOOL,          /* true or false */
	KEY_INT,           /* a non-negative integer */
	KEY_SIZE,          /* bytes, with K, M, G or T */
	KEY_ENUM,          /* one of choices */
	KEY_STRINGS,       /* a list of strings */
	KEY_ENUMS,         /* a list of choices */
	KEY_STRINGS_CSV,   /* a list of strings, or one comma-separated string */
	KEY_ITEMS,         /* a list of mappings of further keys ("users[].name") */
	KEY_SCALAR_MAP,    /* a mapping of names to single values (sysctls) */
	KEY_FREE_LIST,     /* any list, kept as a tree */
	KEY_FREE_MAP,      /* any mapping, kept as a tree */
};

enum key_flags {
	KEY_REQUIRED = 1 << 0,  /* must be present in its section or item */
	KEY_MULTILINE = 1 << 1, /* line breaks allowed */
	KEY_BINARY = 1 << 2,    /* any bytes allowed (file content) */
	KEY_SECRET = 1 << 3,    /* masked when a profile is shown */
	KEY_NO_SET = 1 << 4,    /* cannot be given by --set or FAASD_IMAGE_SET */
};

struct schema_key {
	const char *path;    /* "faasd.delivery"; keys of list items: "users[].name" */
	enum key_type type;
	const char *choices; /* KEY_ENUM, KEY_ENUMS: "first-boot|baked" */
	validate_fn check;   /* for each string (or each list element); NULL: none */
	const char *def;     /* default as YAML flow text; NULL: none */
	unsigned flags;
	const char *help;
};

#define COMPONENT(c, src, ver, what)                                                               \
	{"components." c, KEY_SECTION, NULL, NULL, NULL, 0, what},                                 \
	{"components." c ".source", KEY_ENUM, "distro|upstream|none", NULL, src, 0,                \
	 "where " c " comes from: the distribution's package, the upstream release pinned in "     \
	 "the lock, or not installed"},                                                            \
	{"components." c ".version", KEY_STRING, NULL, validate_version, ver, 0,                   \
	 "upstream version (source: upstream); must be in the lock"}

static const struct schema_key schema[] = {
	{"name", KEY_STRING, NULL, validate_profile_name, NULL, 0,
	 "the profile's name, used in output file names; default: the file name without "
	 ".yaml; not inherited"},
	{"description", KEY_STRING, NULL, NULL, NULL, 0,
	 "one line saying what the profile builds; not inherited"},
	{"extends", KEY_STRING, NULL, NULL, NULL, KEY_NO_SET,
	 "parent profile: a shipped profile's name or a path relative to this file"},
	{"arch", KEY_ENUM, "amd64|arm64", validate_arch, "amd64", 0,
	 "CPU architecture of the image (faasd has no 32-bit Arm build since 0.19.0)"},
	{"board", KEY_ENUM, "generic|rpi3|rpi4", NULL, "generic", 0,
	 "disk layout and boot files: a VM (GPT, EFI) or a Raspberry Pi (MBR, FAT boot)"},

	{"base", KEY_SECTION, NULL, NULL, NULL, 0, "what the root filesystem starts from"},
	{"base.kind", KEY_ENUM, "bootstrap|cloud-image", NULL, "bootstrap", 0,
	 "a tree made from packages with mmdebstrap, or a published cloud image"},
	{"base.suite", KEY_STRING, NULL, validate_word, "bookworm", 0,
	 "distribution suite (bootstrap)"},
	{"base.mirror", KEY_STRING, NULL, validate_url, NULL, 0,
	 "package mirror URL (bootstrap); default: mmdebstrap's own"},
	{"base.components", KEY_STRINGS, NULL, validate_word, "[main]", 0,
	 "archive components (bootstrap); a Raspberry Pi needs non-free-firmware"},
	{"base.variant", KEY_ENUM,
	 "extract|custom|essential|apt|required|minbase|buildd|important|debootstrap|standard",
	 NULL, "apt", 0, "mmdebstrap variant (bootstrap)"},
	{"base.image", KEY_STRING, NULL, validate_word, NULL, 0,
	 "name of the cloud image entry in the artifacts lock (cloud-image)"},
	{"base.url", KEY_STRING, NULL, validate_url, NULL, 0,
	 "override of the lock's image URL, e.g. a local mirror (cloud-image)"},
	{"base.checksums", KEY_STRING, NULL, validate_url, NULL, 0,
	 "URL of the SHA256SUMS file that lists the image (cloud-image)"},
	{"base.signature", KEY_STRING, NULL, validate_url, NULL, 0,
	 "URL of the detached signature of SHA256SUMS (cloud-image)"},
	{"base.keyring", KEY_STRING, NULL, NULL, NULL, 0,
	 "keyring file to check the signature with (cloud-image)"},

	{"outputs", KEY_ENUMS, "qcow2|raw|img|img.xz|squashfs|user-data|seed", NULL, "[qcow2]", 0,
	 "what to write: VM disks, Raspberry Pi SD images, a squashfs, the cloud-init "
	 "user-data, a NoCloud seed"},
	{"disk_size", KEY_SIZE, NULL, NULL, "4G", 0, "size of the disk image, e.g. 4G or 2048M"},

	{"components", KEY_SECTION, NULL, NULL, NULL, 0,
	 "the container stack, one entry per component"},
	COMPONENT("containerd", "distro", NULL, "the container runtime"),
	COMPONENT("runc", "distro", NULL, "the OCI runtime containerd starts"),
	COMPONENT("cni", "distro", NULL,
		  "the CNI plugins (bridge, host-local, firewall, loopback)"),
	COMPONENT("faasd", "upstream", "0.19.7", "faasd itself; there is no distribution package"),
	COMPONENT("faas_cli", "none", NULL,
		  "the faas-cli client; there is no distribution package"),

	{"faasd", KEY_SECTION, NULL, NULL, NULL, 0, "how faasd gets onto the machine"},
	{"faasd.delivery", KEY_ENUM, "first-boot|baked", NULL, "first-boot", 0,
	 "first-boot: a unit downloads and verifies faasd at first boot; baked: faasd is in "
	 "the image (faasd CE's licence allows that only for your own machines)"},
	{"faasd.edition", KEY_ENUM, "ce|pro", NULL, "ce", 0, "faasd Community or Pro edition"},
	{"faasd.preload_images", KEY_BOOL, NULL, NULL, "false", 0,
	 "put the core service images (gateway, queue-worker, nats, prometheus) in the image"},
	{"faasd.images_from", KEY_STRING, NULL, validate_url_or_abs_path, NULL, 0,
	 "where preloaded images come from: a directory or a mirror URL; default: their "
	 "registries"},
	{"faasd.basic_auth_password", KEY_STRING, NULL, validate_secret, NULL, KEY_SECRET,
	 "gateway admin password, written by cloud-init at first boot, never into an image; "
	 "default: 63 random characters made on the machine"},

	{"artifacts", KEY_SECTION, NULL, NULL, NULL, 0, "where pinned downloads come from"},
	{"artifacts.mirror", KEY_STRING, NULL, validate_url, NULL, 0,
	 "a mirror laid out like upstream; default: the lock's upstream URLs"},
	{"artifacts.allow_http", KEY_BOOL, NULL, NULL, "false", 0,
	 "allow a plain http:// mirror (downloads are still checked against the lock's sha256)"},

	{"hostname", KEY_STRING, NULL, validate_hostname, "faasd", 0, "host name (RFC 1123)"},
	{"timezone", KEY_STRING, NULL, validate_timezone, "UTC", 0,
	 "time zone, UTC or Area/City (checked for its form only)"},
	{"locale", KEY_STRING, NULL, validate_locale, "C.UTF-8", 0, "system locale"},

	{"users", KEY_ITEMS, NULL, NULL, NULL, 0,
	 "accounts to create; none: cloud-init's default user"},
	{"users[].name", KEY_STRING, NULL, validate_user_name, NULL, KEY_REQUIRED, "login name"},
	{"users[].ssh_authorized_keys", KEY_STRINGS, NULL, validate_ssh_public_key, NULL, 0,
	 "SSH public keys, one line each: TYPE BASE64 [COMMENT]"},
	{"users[].groups", KEY_STRINGS_CSV, NULL, validate_group_name, NULL, 0,
	 "supplementary groups: a list or a comma-separated string"},
	{"users[].sudo", KEY_STRING, NULL, NULL, NULL, 0,
	 "a sudoers rule, e.g. \"ALL=(ALL) NOPASSWD:ALL\""},
	{"users[].shell", KEY_STRING, NULL, validate_abs_path, NULL, 0, "login shell"},
	{"users[].passwd", KEY_STRING, NULL, validate_crypt_hash, NULL, KEY_SECRET,
	 "password as a crypt(3) hash (mkpasswd), never clear text"},
	{"users[].lock_passwd", KEY_BOOL, NULL, NULL, NULL, 0,
	 "lock the password (cloud-init's default: true)"},

	{"packages", KEY_STRINGS, NULL, validate_package_name, NULL, 0,
	 "extra packages, installed by cloud-init at first boot"},

	{"write_files", KEY_ITEMS, NULL, NULL, NULL, 0, "files cloud-init writes at first boot"},
	{"write_files[].path", KEY_STRING, NULL, validate_abs_path, NULL, KEY_REQUIRED,
	 "absolute path, no '..'"},
	{"write_files[].content", KEY_STRING, NULL, NULL, NULL, KEY_MULTILINE | KEY_BINARY,
	 "the file's content"},
	{"write_files[].permissions", KEY_STRING, NULL, validate_permissions, NULL, 0,
	 "octal mode as a string, e.g. '0644'"},
	{"write_files[].owner", KEY_STRING, NULL, validate_owner, NULL, 0, "user:group"},

	{"runcmd", KEY_FREE_LIST, NULL, NULL, NULL, 0,
	 "commands run at the end of first boot, as cloud-init's runcmd (strings or argv lists)"},
	{"scripts", KEY_STRINGS, NULL, NULL, NULL, KEY_MULTILINE,
	 "shell scripts, each a part of a MIME multipart user-data"},
	{"cloud_config", KEY_FREE_MAP, NULL, NULL, NULL, 0,
	 "further cloud-config keys, merged into the user-data as they are"},

	{"network", KEY_SECTION, NULL, NULL, NULL, 0,
	 "network configuration; none: cloud-init's default (DHCP on the first NIC)"},
	{"network.ethernet", KEY_SECTION, NULL, NULL, NULL, 0, "the wired interface (eth0)"},
	{"network.ethernet.dhcp", KEY_BOOL, NULL, NULL, NULL, 0, "use DHCP"},
	{"network.ethernet.address", KEY_STRING, NULL, validate_cidr, NULL, 0,
	 "static address with prefix length, e.g. 192.168.1.50/24"},
	{"network.ethernet.gateway", KEY_STRING, NULL, validate_ip_address, NULL, 0,
	 "default gateway (with a static address)"},
	{"network.ethernet.nameservers", KEY_STRINGS, NULL, validate_ip_address, NULL, 0,
	 "DNS servers"},
	{"network.wifi", KEY_SECTION, NULL, NULL, NULL, 0, "the wireless interface (wlan0)"},
	{"network.wifi.ssid", KEY_STRING, NULL, validate_ssid, NULL, KEY_REQUIRED,
	 "network name"},
	{"network.wifi.passphrase", KEY_STRING, NULL, validate_wifi_passphrase, NULL, KEY_SECRET,
	 "WPA2 passphrase, 8 to 63 characters; none: an open network"},
	{"network.wifi.country", KEY_STRING, NULL, validate_country_code, NULL, 0,
	 "regulatory domain, two capital letters, e.g. GB"},

	{"sysctls", KEY_SCALAR_MAP, NULL, validate_sysctl_key,
	 "{net.ipv4.conf.all.forwarding: 1}", 0,
	 "kernel settings for /etc/sysctl.d; merged with the default, which faasd needs"},
	{"modules", KEY_STRINGS, NULL, validate_module_name, "[br_netfilter, overlay]", 0,
	 "kernel modules loaded at boot; a list replaces the default"},
	{"source_date_epoch", KEY_INT, NULL, NULL, NULL, 0,
	 "timestamp for reproducible outputs; default: the lock's"},
};

/* Reports one problem as one line: "WHERE: 'KEY': MESSAGE". at may be NULL. */
static int fail_at(const struct node *at, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail_at(const struct node *at, const char *key, const char *fmt, ...)
{
	char where[PATH_MAX + 64], msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	if (!at || !at->file)
		snprintf(where, sizeof(where), "profile");
	else if (at->line)
		snprintf(where, sizeof(where), "%s:%u:%u", at->file, at->line, at->column);
	else
		snprintf(where, sizeof(where), "%s", at->file);

	if (key)
		log_error("%s: '%s': %s", where, key, msg);
	else
		log_error("%s: %s", where, msg);
	return -EINVAL;
}

static int fail_yaml(const struct yaml_error *err, int r)
{
	if (err->line)
		log_error("%s:%u:%u: %s", err->file, err->line, err->column, err->message);
	else
		log_error("%s: %s", err->file, err->message);
	return r == -ENOENT ? -ENOENT : r;
}

static const struct schema_key *schema_find(const char *path)
{
	for (size_t i = 0; i < ARRAY_SIZE(schema); i++)
		if (streq(schema[i].path, path))
			return &schema[i];
	return NULL;
}

static size_t schema_index(const struct schema_key *k)
{
	return (size_t)(k - schema);
}

/* "users[].name" with prefix "users[]." is a child; "users[].x.y" is not. */
static const char *child_name(const struct schema_key *k, const char *prefix)
{
	const char *rest;

	if (!str_starts_with(k->path, prefix))
		return NULL;
	rest = k->path + strlen(prefix);
	if (!*rest || strchr(rest, '.'))
		return NULL;
	return rest;
}

static bool is_null(const struct node *n)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};

	if (!n || n->kind != NODE_SCALAR || !n->plain)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(nulls); i++)
		if (streq(n->value, nulls[i]))
			return true;
	return false;
}

static int parse_bool(const struct node *n, bool *ret)
{
	static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On",
					  "ON"};
	static const char *const no[] = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off",
					 "OFF"};

	if (n->kind != NODE_SCALAR || !n->plain)
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (streq(n->value, yes[i])) {
			*ret = true;
			return 0;
		}
		if (streq(n->value, no[i])) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}


static void map_remove(struct node *map, size_t i)
{
	node_free(map->items[i]);
	free(map->keys[i]);
	memmove(map->items + i, map->items + i + 1, (map->n - i - 1) * sizeof(*map->items));
	memmove(map->keys + i, map->keys + i + 1, (map->n - i - 1) * sizeof(*map->keys));
	map->n--;
}

static const char *kind_phrase(const struct node *n)
{
	if (n->kind == NODE_MAP)
		return "a mapping";
	if (n->kind == NODE_SEQ)
		return "a list";
	return "a single value";
}

/* ---- validation ---- */

static int validate_free(const struct node *n, const char *key);
static char **get_strv(const struct node *n);
static int validate_section(const struct node *map, const char *schema_prefix,
			    const char *key_prefix);

/* Size and control characters of one string; line breaks only where allowed. */
static int check_text(const struct node *n, const char *key, unsigned flags)
{
	if (n->value_len > MAX_VALUE_SIZE)
		return fail_at(n, key, "value is %zu bytes; at most %d (64 KiB) allowed",
			       n->value_len, MAX_VALUE_SIZE);
	if (flags & KEY_BINARY)
		return 0;
	for (size_t i = 0; i < n->value_len; i++) {
		unsigned char c = (unsigned char)n->value[i];

		if (c >= 0x20 && c != 0x7f)
			continue;
		if (c == '\t' || ((c == '\n' || c == '\r') && (flags & KEY_MULTILINE)))
			continue;
		if (c == '\n')
			return fail_at(n, key, "contains a line break; expected a single line");
		return fail_at(n, key, "contains a control character (\\x%02x); expected text", c);
	}
	return 0;
}

static int check_string(const struct schema_key *k, const struct node *n, const char *key)
{
	struct strbuf why = STRBUF_INIT;
	int r;

	if (n->kind != NODE_SCALAR)
		return fail_at(n, key, "expected a string, found %s", kind_phrase(n));
	r = check_text(n, key, k->flags);
	if (r < 0 || !k->check || k->check(n->value, &why))
		return r;
	r = fail_at(n, key, "%s", why.buf);
	strbuf_release(&why);
	return r;
}

static bool in_choices(const char *choices, const char *value)
{
	size_t len = strlen(value);

	for (const char *p = choices; p; p = strchr(p, '|')) {
		if (*p == '|')
			p++;
		if (!strncmp(p, value, len) && (p[len] == '|' || p[len] == '\0'))
			return true;
	}
	return false;
}

/* "a|b|c" as "a, b, c". Caller frees. */
static char *choices_phrase(const char *choices)
{
	struct strbuf sb = STRBUF_INIT;

	for (const char *p = choices; *p; p++)
		strbuf_adds(&sb, *p == '|' ? ", " : (char[]){*p, '\0'});
	return strbuf_detach(&sb, NULL);
}

static int check_enum(const struct schema_key *k, const struct node *n, const char *key)
{
	_cleanup_free_ char *list = NULL;
	struct strbuf why = STRBUF_INIT;
	int r;

	if (n->kind != NODE_SCALAR)
		return fail_at(n, key, "expected one of %s, found %s",
			       (list = choices_phrase(k->choices)), kind_phrase(n));
	r = check_text(n, key, 0);
	if (r < 0 || in_choices(k->choices, n->value))
		return r;
	if (k->check && !k->check(n->value, &why)) {
		r = fail_at(n, key, "%s", why.buf);
		strbuf_release(&why);
		return r;
	}

	list = choices_phrase(k->choices);
	validate_quote(&why, n->value, n->value_len);
	r = fail_at(n, key, "%s is not one of %s", why.buf, list);
	strbuf_release(&why);
	return r;
}

/* "docker, sudo": each part checked as a list element would be. */
static int check_csv(const struct schema_key *k, const struct node *n, const char *key)
{
	_cleanup_strv_free_ char **parts = NULL;
	struct strbuf why = STRBUF_INIT;
	int r;

	r = check_text(n, key, 0);
	if (r < 0)
		return r;
	parts = get_strv(n);
	if (!parts)
		return fail_at(n, key, "expected a list or a comma-separated string");
	for (size_t i = 0; parts[i]; i++) {
		if (k->check && !k->check(parts[i], &why)) {
			r = fail_at(n, key, "%s", why.buf);
			strbuf_release(&why);
			return r;
		}
	}
	return 0;
}

/* A list whose every element is checked as one key: "outputs.1". */
static int check_list(const struct schema_key *k, const struct node *n, const char *key)
{
	struct schema_key element = *k;
	int r = 0;

	element.type = k->type == KEY_ENUMS ? KEY_ENUM : KEY_STRING;
	if (n->kind == NODE_SCALAR && k->type == KEY_STRINGS_CSV)
		return check_csv(k, n, key);
	if (n->kind != NODE_SEQ)
		return fail_at(n, key, "expected a list, found %s", kind_phrase(n));
	if (k->type == KEY_ENUMS && n->n == 0) {
		_cleanup_free_ char *list = choices_phrase(k->choices);

		return fail_at(n, key, "expected at least one of %s", list);
	}

	for (size_t i = 0; i < n->n && r == 0; i++) {
		_cleanup_free_ char *item_key = xasprintf("%s.%zu", key, i);

		r = element.type == KEY_ENUM ? check_enum(&element, n->items[i], item_key)
					     : check_string(&element, n->items[i], item_key);
	}
	return r;
}

static int check_scalar_map(const struct schema_key *k, const struct node *n, const char *key)
{
	int r = 0;

	if (n->kind != NODE_MAP)
		return fail_at(n, key, "expected a mapping of names to values, found %s",
			       kind_phrase(n));
	for (size_t i = 0; i < n->n && r == 0; i++) {
		_cleanup_free_ char *item_key = xasprintf("%s.%s", key, n->keys[i]);
		struct strbuf why = STRBUF_INIT;

		if (!k->check(n->keys[i], &why)) {
			r = fail_at(n->items[i], item_key, "%s", why.buf);
			strbuf_release(&why);
			break;
		}
		if (n->items[i]->kind != NODE_SCALAR)
			return fail_at(n->items[i], item_key, "expected a single value, found %s",
				       kind_phrase(n->items[i]));
		r = check_text(n->items[i], item_key, 0);
	}
	return r;
}

static int check_items(const struct schema_key *k, const struct node *n, const char *key)
{
	_cleanup_free_ char *schema_prefix = xasprintf("%s[].", k->path);
	int r = 0;

	if (n->kind != NODE_SEQ)
		return fail_at(n, key, "expected a list of mappings, found %s", kind_phrase(n));
	for (size_t i = 0; i < n->n && r == 0; i++) {
		_cleanup_free_ char *item_key = xasprintf("%s.%zu", key, i);
		_cleanup_free_ char *key_prefix = xasprintf("%s.", item_key);

		if (n->items[i]->kind != NODE_MAP)
			return fail_at(n->items[i], item_key, "expected a mapping, found %s",
				       kind_phrase(n->items[i]));
		r = validate_section(n->items[i], schema_prefix, key_prefix);
	}
	return r;
}

static int validate_value(const struct schema_key *k, const struct node *n, const char *key)
{
	_cleanup_free_ char *prefix = NULL, *key_prefix = NULL;
	uint64_t u;
	bool b;
	int r;

	switch (k->type) {
	case KEY_SECTION:
		if (n->kind != NODE_MAP)
			return fail_at(n, key, "expected a mapping of keys, found %s",
				       kind_phrase(n));
		prefix = xasprintf("%s.", k->path);
		key_prefix = xasprintf("%s.", key);
		return validate_section(n, prefix, key_prefix);
	case KEY_STRING:
		return check_string(k, n, key);
	case KEY_BOOL:
		if (parse_bool(n, &b) == 0)
			return 0;
		if (n->kind == NODE_SCALAR && !n->plain)
			return fail_at(n, key, "expected true or false, found a quoted string");
		if (n->kind == NODE_SCALAR) {
			struct strbuf why = STRBUF_INIT;

			validate_quote(&why, n->value, n->value_len);
			r = fail_at(n, key, "expected true or false, found %s", why.buf);
			strbuf_release(&why);
			return r;
		}
		return fail_at(n, key, "expected true or false, found %s", kind_phrase(n));
	case KEY_INT:
		if (n->kind == NODE_SCALAR && parse_uint64(n->value, &u) == 0 &&
		    strlen(n->value) == n->value_len)
			return 0;
		return fail_at(n, key, "expected a non-negative whole number, found %s",
			       n->kind == NODE_SCALAR ? "text" : kind_phrase(n));
	case KEY_SIZE:
		r = check_string(k, n, key);
		if (r < 0)
			return r;
		if (parse_size(n->value, &u) < 0 || u == 0)
			return fail_at(n, key, "'%s' is not a size (expected a number with K, M, "
				       "G or T, e.g. 4G)", n->value);
		if (u < (UINT64_C(512) << 20))
			return fail_at(n, key, "'%s' is too small (at least 512M)", n->value);
		return 0;
	case KEY_ENUM:
		return check_enum(k, n, key);
	case KEY_STRINGS:
	case KEY_ENUMS:
	case KEY_STRINGS_CSV:
		return check_list(k, n, key);
	case KEY_ITEMS:
		return check_items(k, n, key);
	case KEY_SCALAR_MAP:
		return check_scalar_map(k, n, key);
	case KEY_FREE_LIST:
		if (n->kind != NODE_SEQ)
			return fail_at(n, key, "expected a list, found %s", kind_phrase(n));
		return validate_free(n, key);
	case KEY_FREE_MAP:
		if (n->kind != NODE_MAP)
			return fail_at(n, key, "expected a mapping, found %s", kind_phrase(n));
		return validate_free(n, key);
	}
	return 0;
}

/* Free-form trees: any shape, but no oversize values and no stray control bytes. */
static int validate_free(const struct node *n, const char *key)
{
	int r = 0;

	if (n->kind == NODE_SCALAR)
		return check_text(n, key, KEY_MULTILINE);
	for (size_t i = 0; i < n->n && r == 0; i++) {
		_cleanup_free_ char *child = n->kind == NODE_MAP
						     ? xasprintf("%s.%s", key, n->keys[i])
						     : xasprintf("%s.%zu", key, i);

		if (n->kind == NODE_MAP && strpbrk(n->keys[i], CONTROL_CHARS))
			return fail_at(n->items[i], NULL, "a key under '%s' contains a control "
				       "character", key);
		r = validate_free(n->items[i], child);
	}
	return r;
}

/* Optimal string alignment distance, enough to catch a typo. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	_cleanup_free_ size_t *d = xcalloc((n + 1) * (m + 1), sizeof(size_t));

#define D(i, j) d[(i) * (m + 1) + (j)]
	for (size_t i = 0; i <= n; i++)
		D(i, 0) = i;
	for (size_t j = 0; j <= m; j++)
		D(0, j) = j;
	for (size_t i = 1; i <= n; i++) {
		for (size_t j = 1; j <= m; j++) {
			size_t cost = a[i - 1] != b[j - 1], best = D(i - 1, j - 1) + cost;

			if (D(i - 1, j) + 1 < best)
				best = D(i - 1, j) + 1;
			if (D(i, j - 1) + 1 < best)
				best = D(i, j - 1) + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    D(i - 2, j - 2) + 1 < best)
				best = D(i - 2, j - 2) + 1;
			D(i, j) = best;
		}
	}
	return D(n, m);
#undef D
}

static int fail_unknown(const struct node *at, const char *name, const char *schema_prefix,
			const char *key_prefix)
{
	const char *best = NULL;
	size_t best_distance = 3;

	for (size_t i = 0; i < ARRAY_SIZE(schema); i++) {
		const char *candidate = child_name(&schema[i], schema_prefix);
		size_t dist;

		if (!candidate)
			continue;
		dist = edit_distance(name, candidate);
		if (dist < best_distance && dist < strlen(name)) {
			best = candidate;
			best_distance = dist;
		}
	}
	if (best)
		return fail_at(at, NULL, "unknown key '%s%s'; did you mean '%s%s'?", key_prefix,
			       name, key_prefix, best);

	/* The right name at the wrong level: "delivery" for "faasd.delivery". */
	for (size_t i = 0; i < ARRAY_SIZE(schema); i++) {
		const char *last = strrchr(schema[i].path, '.');

		if (last && streq(last + 1, name) && !strstr(schema[i].path, "[]"))
			return fail_at(at, NULL, "unknown key '%s%s'; did you mean '%s'?",
				       key_prefix, name, schema[i].path);
	}
	return fail_at(at, NULL, "unknown key '%s%s' (the keys are listed by 'faasd-image list "
		       "--schema')", key_prefix, name);
}

static int validate_section(const struct node *map, const char *schema_prefix,
			    const char *key_prefix)
{
	int r;

	for (size_t i = 0; i < map->n; i++) {
		_cleanup_free_ char *path = xasprintf("%s%s", schema_prefix, map->keys[i]);
		_cleanup_free_ char *key = xasprintf("%s%s", key_prefix, map->keys[i]);
		const struct schema_key *k = schema_find(path);

		if (!k || !child_name(k, schema_prefix))
			return fail_unknown(map->items[i], map->keys[i], schema_prefix, key_prefix);
		r = validate_value(k, map->items[i], key);
		if (r < 0)
			return r;
	}

	for (size_t i = 0; i < ARRAY_SIZE(schema); i++) {
		const char *name = child_name(&schema[i], schema_prefix);

		if (name && (schema[i].flags & KEY_REQUIRED) && !node_map_get(map, name))
			return fail_at(map, NULL, "'%s%s' is missing; it is required here",
				       key_prefix, name);
	}
	return 0;
}

/* Rules that tie two keys together; each error names the key to change. */
static int validate_combinations(const struct node *t)
{
	static const char *const managed[] = {"hostname", "timezone", "locale", "users",
					      "packages", "write_files", "runcmd"};
	static const char *const no_distro[] = {"faasd", "faas_cli"};
	const struct node *n, *cc = node_get_path(t, "cloud_config");
	bool dhcp = false;

	n = node_get_path(t, "board");
	if (!streq(node_str(n), "generic") && !streq(node_str(node_get_path(t, "arch")), "arm64"))
		return fail_at(n, "board", "'%s' needs arch arm64 (faasd has no 32-bit Arm build)",
			       node_str(n));

	n = node_get_path(t, "base.image");
	if (streq(node_str(node_get_path(t, "base.kind")), "cloud-image") && !n)
		return fail_at(node_get_path(t, "base.kind"), "base.image",
			       "is missing; base.kind cloud-image needs the image's name in the "
			       "lock");

	for (size_t i = 0; i < ARRAY_SIZE(no_distro); i++) {
		_cleanup_free_ char *path = xasprintf("components.%s.source", no_distro[i]);

		n = node_get_path(t, path);
		if (streq(node_str(n), "distro"))
			return fail_at(n, path, "%s has no distribution package; expected upstream "
				       "or none", no_distro[i]);
	}
	if (streq(node_str(node_get_path(t, "components.faasd.source")), "none"))
		return fail_at(node_get_path(t, "components.faasd.source"),
			       "components.faasd.source", "faasd cannot be left out of a faasd "
			       "image; expected upstream");

	n = node_get_path(t, "network.ethernet.dhcp");
	if (n)
		parse_bool(n, &dhcp);
	n = node_get_path(t, "network.ethernet.address");
	if (n && dhcp)
		return fail_at(n, "network.ethernet.address",
			       "a static address and dhcp: true exclude each other");
	n = node_get_path(t, "network.ethernet.gateway");
	if (n && !node_get_path(t, "network.ethernet.address"))
		return fail_at(n, "network.ethernet.gateway", "needs a static address in "
			       "'network.ethernet.address'");

	for (size_t i = 0; cc && i < ARRAY_SIZE(managed); i++) {
		n = node_map_get(cc, managed[i]);
		if (n)
			return fail_at(n, NULL, "'cloud_config.%s': set the profile's own '%s' key "
				       "instead", managed[i], managed[i]);
	}
	return 0;
}

/* ---- trees: defaults, nulls, order ---- */

/* Puts value at a dotted schema path, making the sections on the way. */
static void tree_set_path(struct node *root, const char *path, struct node *value)
{
	_cleanup_free_ char *copy = xstrdup(path);
	struct node *cur = root;
	char *dot, *part = copy;

	while ((dot = strchr(part, '.'))) {
		struct node *next;

		*dot = '\0';
		next = node_map_get(cur, part);
		if (!next) {
			next = node_new_map();
			next->file = value->file;
			node_map_set(cur, part, next);
		}
		cur = next;
		part = dot + 1;
	}
	node_map_set(cur, part, value);
}

static struct node *defaults_tree(void)
{
	struct node *root = node_new_map();

	root->file = yaml_intern_origin(DEFAULTS_ORIGIN);
	for (size_t i = 0; i < ARRAY_SIZE(schema); i++) {
		struct yaml_error err;
		struct node *value = NULL;

		if (!schema[i].def)
			continue;
		/* The table's defaults are ours; a parse failure is a bug caught by the tests. */
		if (yaml_parse_string(schema[i].def, strlen(schema[i].def), DEFAULTS_ORIGIN, false,
				      &value, &err) < 0 || !value)
			continue;
		tree_set_path(root, schema[i].path, value);
	}
	return root;
}

/* Removes keys set to null, so that a lower layer's value or the default applies. */
static void drop_nulls(struct node *map, const char *schema_prefix)
{
	for (size_t i = map->n; i-- > 0;) {
		_cleanup_free_ char *path = xasprintf("%s%s", schema_prefix, map->keys[i]);
		_cleanup_free_ char *child_prefix = NULL;
		const struct schema_key *k = schema_find(path);
		struct node *v = map->items[i];

		/* An unknown key stays, to be reported even when it says nothing. */
		if (!k)
			continue;
		if (is_null(v)) {
			map_remove(map, i);
			continue;
		}
		if (k->type == KEY_SECTION && v->kind == NODE_MAP) {
			child_prefix = xasprintf("%s.", k->path);
			drop_nulls(v, child_prefix);
		} else if (k->type == KEY_ITEMS && v->kind == NODE_SEQ) {
			child_prefix = xasprintf("%s[].", k->path);
			for (size_t j = 0; j < v->n; j++)
				if (v->items[j]->kind == NODE_MAP)
					drop_nulls(v->items[j], child_prefix);
		} else if (k->type == KEY_SCALAR_MAP && v->kind == NODE_MAP) {
			for (size_t j = v->n; j-- > 0;)
				if (is_null(v->items[j]))
					map_remove(v, j);
		}
	}
}

/* Orders a validated section's keys as the schema lists them. */
static void sort_section(struct node *map, const char *schema_prefix)
{
	size_t *rank = xcalloc(map->n ? map->n : 1, sizeof(size_t));

	for (size_t i = 0; i < map->n; i++) {
		_cleanup_free_ char *path = xasprintf("%s%s", schema_prefix, map->keys[i]);
		const struct schema_key *k = schema_find(path);
		_cleanup_free_ char *child = NULL;

		rank[i] = k ? schema_index(k) : ARRAY_SIZE(schema);
		if (k && k->type == KEY_SECTION) {
			child = xasprintf("%s.", k->path);
			sort_section(map->items[i], child);
		} else if (k && k->type == KEY_ITEMS) {
			child = xasprintf("%s[].", k->path);
			for (size_t j = 0; j < map->items[i]->n; j++)
				sort_section(map->items[i]->items[j], child);
		}
	}
	for (size_t i = 1; i < map->n; i++) {
		for (size_t j = i; j > 0 && rank[j - 1] > rank[j]; j--) {
			size_t r = rank[j];
			char *key = map->keys[j];
			struct node *item = map->items[j];

			rank[j] = rank[j - 1];
			map->keys[j] = map->keys[j - 1];
			map->items[j] = map->items[j - 1];
			rank[j - 1] = r;
			map->keys[j - 1] = key;
			map->items[j - 1] = item;
		}
	}
	free(rank);
}

/* ---- files and extends ---- */

static bool looks_like_path(const char *s)
{
	return strchr(s, '/') || str_ends_with(s, ".yaml") || str_ends_with(s, ".yml");
}

static char *shipped_path(const char *name)
{
	_cleanup_free_ char *rel = xasprintf("profiles/%s.yaml", name);

	return data_path(rel);
}

static char *shipped_names_joined(void)
{
	_cleanup_strv_free_ char **names = profile_list_shipped();
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; names && names[i]; i++)
		strbuf_addf(&sb, "%s%s", i ? ", " : "", names[i]);
	if (!sb.len)
		strbuf_addf(&sb, "none in '%s'", data_dir());
	return strbuf_detach(&sb, NULL);
}

struct chain {
	char *real[MAX_EXTENDS_DEPTH + 1];
	const char *shown[MAX_EXTENDS_DEPTH + 1];
	size_t n;
};

static int load_layers(const char *path, const struct node *from, struct chain *chain,
		       struct node **ret);

static int resolve_parent(const char *child_path, const struct node *ext, char **ret)
{
	_cleanup_free_ char *dir_copy = xstrdup(child_path);
	_cleanup_free_ char *names = NULL;
	const char *ref = node_str(ext);
	char *path;

	if (!ref || ext->value_len == 0 || strlen(ref) != ext->value_len)
		return fail_at(ext, "extends", "expected a profile name or a path");
	if (looks_like_path(ref)) {
		path = ref[0] == '/' ? xstrdup(ref) : path_join(dirname(dir_copy), ref);
		if (!file_exists(path)) {
			free(path);
			return fail_at(ext, "extends", "parent profile file '%s' not found", ref);
		}
		*ret = path;
		return 0;
	}

	path = shipped_path(ref);
	if (!file_exists(path)) {
		free(path);
		names = shipped_names_joined();
		return fail_at(ext, "extends", "profile '%s' not found; shipped profiles: %s", ref,
			       names);
	}
	*ret = path;
	return 0;
}

static int check_chain(struct chain *chain, const char *path, const struct node *from)
{
	char real[PATH_MAX];
	struct strbuf cycle = STRBUF_INIT;
	int r;

	if (!realpath(path, real))
		snprintf(real, sizeof(real), "%s", path);
	for (size_t i = 0; i < chain->n; i++) {
		if (!streq(chain->real[i], real))
			continue;
		for (size_t j = i; j < chain->n; j++)
			strbuf_addf(&cycle, "'%s' -> ", chain->shown[j]);
		strbuf_addf(&cycle, "'%s'", path);
		r = fail_at(from, "extends", "profiles extend each other in a cycle: %s",
			    cycle.buf);
		strbuf_release(&cycle);
		return r;
	}
	if (chain->n >= MAX_EXTENDS_DEPTH)
		return fail_at(from, "extends", "more than %d levels of extends",
			       MAX_EXTENDS_DEPTH);
	chain->real[chain->n] = xstrdup(real);
	chain->shown[chain->n] = yaml_intern_origin(path);
	chain->n++;
	return 0;
}

static int load_parent(const char *path, struct node *tree, struct chain *chain,
		       struct node **ret)
{
	static const char *const not_inherited[] = {"name", "description", "extends"};
	_cleanup_free_ char *parent_path = NULL;
	const struct node *ext = node_map_get(tree, "extends");
	struct node *base = NULL;
	int r;

	r = resolve_parent(path, ext, &parent_path);
	if (r < 0)
		return r;
	r = load_layers(parent_path, ext, chain, &base);
	if (r < 0)
		return r;

	for (size_t i = base->n; i-- > 0;)
		for (size_t j = 0; j < ARRAY_SIZE(not_inherited); j++)
			if (streq(base->keys[i], not_inherited[j]))
				map_remove(base, i);
	node_merge(base, tree);
	*ret = base;
	return 0;
}

/* Reads path and, recursively, what it extends; returns the overlaid tree. */
static int load_layers(const char *path, const struct node *from, struct chain *chain,
		       struct node **ret)
{
	struct node *tree = NULL, *merged = NULL;
	struct yaml_error err;
	int r;

	r = check_chain(chain, path, from);
	if (r < 0)
		return r;

	r = yaml_parse_file(path, &tree, &err);
	if (r < 0)
		return fail_yaml(&err, r);
	if (!tree) {
		tree = node_new_map();
		tree->file = yaml_intern_origin(path);
	}
	if (tree->kind != NODE_MAP) {
		r = fail_at(tree, NULL, "expected a mapping of profile keys at the top, found %s",
			    kind_phrase(tree));
		node_free(tree);
		return r;
	}
	if (!node_map_get(tree, "extends")) {
		*ret = tree;
		return 0;
	}

	r = load_parent(path, tree, chain, &merged);
	node_free(tree);
	if (r < 0)
		return r;
	*ret = merged;
	return 0;
}

/* ---- assignments: FAASD_IMAGE_SET and --set ---- */

struct assignment {
	const char *origin; /* interned "--set KEY=VALUE" */
	struct node *anchor; /* a node carrying origin, for errors */
	char *schema_path;   /* "users[].name" as the walk goes */
	char *key;           /* "users.0.name" as the walk goes */
};

static int set_in_map(struct assignment *a, struct node *map, char **parts, size_t n,
		      struct node *value);

static void path_append(char **path, const char *part, bool index)
{
	char *next;

	if (index)
		next = xasprintf("%s[]", *path);
	else if (**path)
		next = xasprintf("%s.%s", *path, part);
	else
		next = xstrdup(part);
	free(*path);
	*path = next;
}

static void key_append(char **key, const char *part)
{
	char *next = **key ? xasprintf("%s.%s", *key, part) : xstrdup(part);

	free(*key);
	*key = next;
}

static struct node *new_map_at(const struct assignment *a)
{
	struct node *m = node_new_map();

	m->file = a->origin;
	return m;
}

/* Descends into (or replaces) what is at one step of the path. */
static int set_in(struct assignment *a, struct node *cur, char **parts, size_t n,
		  struct node *value)
{
	uint64_t index;

	if (cur->kind == NODE_MAP)
		return set_in_map(a, cur, parts, n, value);
	if (cur->kind != NODE_SEQ || parse_uint64(parts[0], &index) < 0)
		return fail_at(a->anchor, a->key, "is a single value; '%s' cannot go below it",
			       parts[0]);
	if (index > cur->n)
		return fail_at(a->anchor, a->key, "has %zu items; index %s is past the end "
			       "(use %zu to append)", cur->n, parts[0], cur->n);

	path_append(&a->schema_path, parts[0], true);
	key_append(&a->key, parts[0]);
	if (n == 1) {
		if (index == cur->n) {
			node_seq_append(cur, value);
		} else {
			node_free(cur->items[index]);
			cur->items[index] = value;
		}
		return 0;
	}
	if (index == cur->n)
		node_seq_append(cur, new_map_at(a));
	return set_in(a, cur->items[index], parts + 1, n - 1, value);
}

static int set_in_map(struct assignment *a, struct node *map, char **parts, size_t n,
		      struct node *value)
{
	const struct schema_key *k = schema_find(a->schema_path);
	_cleanup_free_ char *joined = NULL;
	struct node *child;

	/* sysctl names contain dots: the rest of the path is one key. */
	if (k && k->type == KEY_SCALAR_MAP && n > 1) {
		struct strbuf sb = STRBUF_INIT;

		for (size_t i = 0; i < n; i++)
			strbuf_addf(&sb, "%s%s", i ? "." : "", parts[i]);
		joined = strbuf_detach(&sb, NULL);
		parts = &joined;
		n = 1;
	}

	path_append(&a->schema_path, parts[0], false);
	key_append(&a->key, parts[0]);
	k = schema_find(a->schema_path);
	if (k && (k->flags & KEY_NO_SET))
		return fail_at(a->anchor, a->key, "cannot be changed by an assignment; "
			       "write it in the profile");

	child = node_map_get(map, parts[0]);
	if (n == 1) {
		if (child && child->kind == NODE_MAP && value->kind == NODE_MAP) {
			node_merge(child, value);
			node_free(value);
		} else {
			node_map_set(map, parts[0], value);
		}
		return 0;
	}
	if (!child || is_null(child)) {
		bool list = k && (k->type == KEY_ITEMS || k->type == KEY_STRINGS ||
				  k->type == KEY_ENUMS || k->type == KEY_FREE_LIST);

		child = new_map_at(a);
		child->kind = list ? NODE_SEQ : NODE_MAP;
		node_map_set(map, parts[0], child);
	}
	return set_in(a, child, parts + 1, n - 1, value);
}

static void set_origin(struct node *n, const char *origin)
{
	n->file = origin;
	n->line = n->column = 0;
	for (size_t i = 0; i < n->n; i++)
		set_origin(n->items[i], origin);
}

/*
 * "--set KEY=VALUE" as errors name it: control bytes as \xNN, and a long
 * assignment cut after 72 bytes, so that the error stays one short line.
 */
static char *origin_of(const char *source, const char *text)
{
	struct strbuf sb = STRBUF_INIT;
	size_t len = strlen(text);

	strbuf_addf(&sb, "%s ", source);
	for (size_t i = 0; i < len && i < 72; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c < 0x20 || c == 0x7f)
			strbuf_addf(&sb, "\\x%02x", c);
		else
			strbuf_addc(&sb, (char)c);
	}
	if (len > 72)
		strbuf_adds(&sb, "...");
	return strbuf_detach(&sb, NULL);
}

/* Applies "key.path=value" to tree; source is "--set" or "FAASD_IMAGE_SET". */
static int apply_assignment(struct node *tree, const char *source, const char *text)
{
	_cleanup_free_ char *origin_text = origin_of(source, text);
	_cleanup_strv_free_ char **parts = NULL;
	_cleanup_free_ char *keypath = NULL;
	struct assignment a = {.origin = yaml_intern_origin(origin_text)};
	struct node anchor = {.file = a.origin};
	const char *eq = strchr(text, '=');
	struct node *value = NULL;
	struct yaml_error err;
	char *part, *save = NULL;
	int r;

	a.anchor = &anchor;
	if (!eq || eq == text || strspn(text, KEY_CHARS) != (size_t)(eq - text))
		return fail_at(&anchor, NULL, "expected KEY=VALUE with a dotted key, "
			       "e.g. hostname=pi1 or network.wifi.country=GB");
	keypath = xstrndup(text, (size_t)(eq - text));
	for (part = strtok_r(keypath, ".", &save); part; part = strtok_r(NULL, ".", &save))
		strv_push(&parts, part);
	if (!parts || strstr(keypath, "..") || eq[-1] == '.' || text[0] == '.')
		return fail_at(&anchor, NULL, "expected KEY=VALUE with a dotted key, "
			       "e.g. hostname=pi1 or network.wifi.country=GB");

	r = yaml_parse_string(eq + 1, strlen(eq + 1), a.origin, false, &value, &err);
	if (r < 0)
		return fail_at(&anchor, NULL, "the value is not a YAML value: %s", err.message);
	if (!value)
		value = node_new_scalar("", 0, true);
	set_origin(value, a.origin);

	a.schema_path = xstrdup("");
	a.key = xstrdup("");
	r = set_in_map(&a, tree, parts, strv_length(parts), value);
	if (r < 0)
		node_free(value);
	free(a.schema_path);
	free(a.key);
	return r;
}

static int apply_environment(struct node *tree)
{
	const char *env = getenv("FAASD_IMAGE_SET");
	_cleanup_free_ char *copy = NULL;
	char *line, *save = NULL;
	int r;

	if (str_empty(env))
		return 0;
	copy = xstrdup(env);
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[strspn(line, " \t\r")] == '\0')
			continue;
		r = apply_assignment(tree, "FAASD_IMAGE_SET", line);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- the typed struct ---- */

static char *get_str(const struct node *t, const char *path)
{
	const char *s = node_str(node_get_path(t, path));

	return s ? xstrdup(s) : NULL;
}

static bool get_bool(const struct node *t, const char *path, bool def)
{
	const struct node *n = node_get_path(t, path);
	bool b = def;

	if (n)
		parse_bool(n, &b);
	return b;
}

static int choice_index(const char *choices, const char *value)
{
	int i = 0;
	size_t len;

	if (!value)
		return 0;
	len = strlen(value);
	for (const char *p = choices; p; p = strchr(p, '|'), i++) {
		if (*p == '|')
			p++;
		if (!strncmp(p, value, len) && (p[len] == '|' || p[len] == '\0'))
			return i;
	}
	return 0;
}

static int get_enum(const struct node *t, const char *path)
{
	return choice_index(schema_find(path)->choices, node_str(node_get_path(t, path)));
}

/* A list of strings, or a comma-separated string, as a vector (NULL when absent). */
static char **get_strv(const struct node *n)
{
	char **v = NULL;

	if (!n)
		return NULL;
	if (n->kind == NODE_SCALAR) {
		_cleanup_free_ char *copy = xstrdup(n->value);
		char *part, *save = NULL;

		for (part = strtok_r(copy, ",", &save); part; part = strtok_r(NULL, ",", &save)) {
			part += strspn(part, " \t");
			for (size_t len = strlen(part); len > 0 && strchr(" \t", part[len - 1]);)
				part[--len] = '\0';
			if (*part)
				strv_push(&v, part);
		}
		return v;
	}
	v = xcalloc(1, sizeof(char *));
	for (size_t i = 0; i < n->n; i++)
		strv_push(&v, n->items[i]->value);
	return v;
}

static void fill_component(struct component *c, const struct node *t, const char *name)
{
	_cleanup_free_ char *source = xasprintf("components.%s.source", name);
	_cleanup_free_ char *version = xasprintf("components.%s.version", name);

	c->source = (enum source)get_enum(t, source);
	c->version = get_str(t, version);
}

static void fill_users(struct profile *p, const struct node *users)
{
	if (!users)
		return;
	p->users = xcalloc(users->n ? users->n : 1, sizeof(*p->users));
	p->n_users = users->n;
	for (size_t i = 0; i < users->n; i++) {
		const struct node *u = users->items[i], *lock = node_map_get(u, "lock_passwd");
		struct user *dst = &p->users[i];
		bool b = false;

		dst->name = get_str(u, "name");
		dst->ssh_authorized_keys = get_strv(node_map_get(u, "ssh_authorized_keys"));
		dst->groups = get_strv(node_map_get(u, "groups"));
		dst->sudo = get_str(u, "sudo");
		dst->shell = get_str(u, "shell");
		dst->passwd = get_str(u, "passwd");
		dst->lock_passwd = lock && parse_bool(lock, &b) == 0 ? b : -1;
	}
}

static void fill_write_files(struct profile *p, const struct node *files)
{
	if (!files)
		return;
	p->write_files = xcalloc(files->n ? files->n : 1, sizeof(*p->write_files));
	p->n_write_files = files->n;
	for (size_t i = 0; i < files->n; i++) {
		const struct node *f = files->items[i], *content = node_map_get(f, "content");
		struct write_file *dst = &p->write_files[i];

		dst->path = get_str(f, "path");
		if (content) {
			dst->content = xstrndup(content->value, content->value_len);
			dst->content_len = content->value_len;
		}
		dst->permissions = get_str(f, "permissions");
		dst->owner = get_str(f, "owner");
	}
}

static void fill_network(struct network *net, const struct node *t)
{
	net->ethernet_dhcp = get_bool(t, "network.ethernet.dhcp", false);
	net->ethernet_address = get_str(t, "network.ethernet.address");
	net->ethernet_gateway = get_str(t, "network.ethernet.gateway");
	net->nameservers = get_strv(node_get_path(t, "network.ethernet.nameservers"));
	net->wifi_ssid = get_str(t, "network.wifi.ssid");
	net->wifi_passphrase = get_str(t, "network.wifi.passphrase");
	net->wifi_country = get_str(t, "network.wifi.country");
}

static void fill_kernel(struct profile *p, const struct node *t)
{
	const struct node *sysctls = node_map_get(t, "sysctls");
	const char *epoch = node_str(node_map_get(t, "source_date_epoch"));

	p->sysctl_keys = xcalloc(1, sizeof(char *));
	p->sysctl_values = xcalloc(1, sizeof(char *));
	for (size_t i = 0; sysctls && i < sysctls->n; i++) {
		strv_push(&p->sysctl_keys, sysctls->keys[i]);
		strv_push(&p->sysctl_values, sysctls->items[i]->value);
	}
	p->modules = get_strv(node_map_get(t, "modules"));
	if (epoch)
		parse_uint64(epoch, &p->source_date_epoch);
}

static void fill_profile(struct profile *p, const struct node *t)
{
	const struct node *outputs = node_map_get(t, "outputs");
	const char *choices = schema_find("outputs")->choices;

	p->name = get_str(t, "name");
	p->description = get_str(t, "description");
	p->arch = (enum arch)get_enum(t, "arch");
	p->board = (enum board)get_enum(t, "board");

	p->base.kind = (enum base_kind)get_enum(t, "base.kind");
	p->base.suite = get_str(t, "base.suite");
	p->base.mirror = get_str(t, "base.mirror");
	p->base.components = get_strv(node_get_path(t, "base.components"));
	p->base.variant = get_str(t, "base.variant");
	p->base.image = get_str(t, "base.image");
	p->base.url = get_str(t, "base.url");
	p->base.checksums = get_str(t, "base.checksums");
	p->base.signature = get_str(t, "base.signature");
	p->base.keyring = get_str(t, "base.keyring");

	for (size_t i = 0; outputs && i < outputs->n; i++)
		p->outputs |= 1u << choice_index(choices, outputs->items[i]->value);
	parse_size(node_str(node_map_get(t, "disk_size")), &p->disk_size);

	fill_component(&p->containerd, t, "containerd");
	fill_component(&p->runc, t, "runc");
	fill_component(&p->cni, t, "cni");
	fill_component(&p->faasd, t, "faasd");
	fill_component(&p->faas_cli, t, "faas_cli");
	p->delivery = (enum delivery)get_enum(t, "faasd.delivery");
	p->edition = (enum edition)get_enum(t, "faasd.edition");
	p->preload_images = get_bool(t, "faasd.preload_images", false);
	p->images_from = get_str(t, "faasd.images_from");
	p->faasd_basic_auth_password = get_str(t, "faasd.basic_auth_password");
	p->artifacts_mirror = get_str(t, "artifacts.mirror");
	p->allow_http = get_bool(t, "artifacts.allow_http", false);

	p->hostname = get_str(t, "hostname");
	p->timezone = get_str(t, "timezone");
	p->locale = get_str(t, "locale");
	fill_users(p, node_map_get(t, "users"));
	p->packages = get_strv(node_map_get(t, "packages"));
	fill_write_files(p, node_map_get(t, "write_files"));
	p->runcmd = node_copy(node_map_get(t, "runcmd"));
	p->cloud_config = node_copy(node_map_get(t, "cloud_config"));
	p->scripts = node_copy(node_map_get(t, "scripts"));
	fill_network(&p->network, t);
	fill_kernel(p, t);
}

/* ---- loading ---- */

/* The profile's own name, or its file name without the extension. */
static void ensure_name(struct node *tree, const char *path)
{
	_cleanup_free_ char *copy = xstrdup(path);
	char *base = basename(copy), *dot;
	struct node *name;

	if (node_map_get(tree, "name"))
		return;
	dot = strrchr(base, '.');
	if (dot && (streq(dot, ".yaml") || streq(dot, ".yml")))
		*dot = '\0';
	name = node_new_scalar(base, strlen(base), false);
	name->file = yaml_intern_origin(path);
	node_map_set(tree, "name", name);
}

static int locate(const char *name_or_path, char **ret)
{
	_cleanup_free_ char *names = NULL;
	char *path;

	if (looks_like_path(name_or_path)) {
		if (!file_exists(name_or_path)) {
			log_error("profile file '%s' not found", name_or_path);
			return -ENOENT;
		}
		*ret = xstrdup(name_or_path);
		return 0;
	}

	path = shipped_path(name_or_path);
	if (!file_exists(path)) {
		free(path);
		names = shipped_names_joined();
		log_error("profile '%s' not found; shipped profiles: %s", name_or_path, names);
		return -ENOENT;
	}
	*ret = path;
	return 0;
}

static int build_tree(const char *path, char *const *sets, unsigned flags, struct node **ret)
{
	struct chain chain = {0};
	struct node *tree = NULL, *result;
	int r = 0;

	r = load_layers(path, NULL, &chain, &tree);
	for (size_t i = 0; i < chain.n; i++)
		free(chain.real[i]);
	if (r < 0)
		return r;

	if (!(flags & PROFILE_IGNORE_ENVIRONMENT))
		r = apply_environment(tree);
	for (size_t i = 0; r == 0 && sets && sets[i]; i++)
		r = apply_assignment(tree, "--set", sets[i]);
	if (r < 0) {
		node_free(tree);
		return r;
	}

	drop_nulls(tree, "");
	ensure_name(tree, path);
	result = defaults_tree();
	node_merge(result, tree);
	node_free(tree);

	r = validate_section(result, "", "");
	if (r == 0)
		r = validate_combinations(result);
	if (r < 0) {
		node_free(result);
		return r;
	}
	sort_section(result, "");
	*ret = result;
	return 0;
}

static int load(const char *name_or_path, char *const *sets, unsigned flags,
		struct profile **ret)
{
	_cleanup_free_ char *path = NULL;
	struct node *tree = NULL;
	struct profile *p;
	int r;

	r = locate(name_or_path, &path);
	if (r < 0)
		return r;
	r = build_tree(path, sets, flags, &tree);
	if (r < 0)
		return r;

	p = xcalloc(1, sizeof(*p));
	p->path = TAKE_PTR(path);
	fill_profile(p, tree);
	p->tree = tree;
	*ret = p;
	return 0;
}

int profile_load_flags(const char *name_or_path, char *const *sets, unsigned flags,
		       struct profile **ret)
{
	const char *saved = log_get_stage();
	int r;

	*ret = NULL;
	log_set_stage("profile");
	r = load(name_or_path ? name_or_path : PROFILE_DEFAULT, sets, flags, ret);
	log_set_stage(saved);
	return r;
}

int profile_load(const char *name_or_path, char *const *sets, struct profile **ret)
{
	return profile_load_flags(name_or_path, sets, 0, ret);
}

void profile_free(struct profile *p)
{
	if (!p)
		return;
	free(p->name);
	free(p->description);
	free(p->path);
	free(p->base.suite);
	free(p->base.mirror);
	strv_free(p->base.components);
	free(p->base.variant);
	free(p->base.image);
	free(p->base.url);
	free(p->base.checksums);
	free(p->base.signature);
	free(p->base.keyring);
	free(p->containerd.version);
	free(p->runc.version);
	free(p->cni.version);
	free(p->faasd.version);
	free(p->faas_cli.version);
	free(p->images_from);
	free(p->faasd_basic_auth_password);
	free(p->artifacts_mirror);
	free(p->hostname);
	free(p->timezone);
	free(p->locale);
	for (size_t i = 0; i < p->n_users; i++) {
		free(p->users[i].name);
		strv_free(p->users[i].ssh_authorized_keys);
		strv_free(p->users[i].groups);
		free(p->users[i].sudo);
		free(p->users[i].shell);
		free(p->users[i].passwd);
	}
	free(p->users);
	strv_free(p->packages);
	for (size_t i = 0; i < p->n_write_files; i++) {
		free(p->write_files[i].path);
		free(p->write_files[i].content);
		free(p->write_files[i].permissions);
		free(p->write_files[i].owner);
	}
	free(p->write_files);
	node_free(p->runcmd);
	node_free(p->cloud_config);
	node_free(p->scripts);
	free(p->network.ethernet_address);
	free(p->network.ethernet_gateway);
	strv_free(p->network.nameservers);
	free(p->network.wifi_ssid);
	free(p->network.wifi_passphrase);
	free(p->network.wifi_country);
	strv_free(p->sysctl_keys);
	strv_free(p->sysctl_values);
	strv_free(p->modules);
	node_free(p->tree);
	free(p);
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **profile_list_shipped(void)
{
	_cleanup_free_ char *dir = data_path("profiles");
	char **names = xcalloc(1, sizeof(char *));
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return names;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);

		if (e->d_name[0] == '.' || !str_ends_with(e->d_name, ".yaml") || len <= 5)
			continue;
		e->d_name[len - 5] = '\0';
		strv_push(&names, e->d_name);
	}
	closedir(d);
	qsort(names, strv_length(names), sizeof(char *), compare_strings);
	return names;
}

bool profile_key_is_secret(const char *key)
{
	_cleanup_free_ char *path = xstrdup("");
	_cleanup_free_ char *copy = xstrdup(key);
	char *part, *save = NULL;
	const struct schema_key *k;
	uint64_t index;

	for (part = strtok_r(copy, ".", &save); part; part = strtok_r(NULL, ".", &save))
		path_append(&path, part, parse_uint64(part, &index) == 0);
	k = schema_find(path);
	return k && (k->flags & KEY_SECRET);
}

static const char *type_phrase(const struct schema_key *k, char *buf, size_t len)
{
	switch (k->type) {
	case KEY_SECTION:
		return "mapping";
	case KEY_STRING:
		return k->flags & KEY_MULTILINE ? "text" : "string";
	case KEY_BOOL:
		return "bool";
	case KEY_INT:
		return "integer";
	case KEY_SIZE:
		return "size";
	case KEY_ENUM:
		snprintf(buf, len, "one of %s", k->choices);
		return buf;
	case KEY_STRINGS:
		return k->flags & KEY_MULTILINE ? "list of texts" : "list of strings";
	case KEY_ENUMS:
		snprintf(buf, len, "list of %s", k->choices);
		return buf;
	case KEY_STRINGS_CSV:
		return "list of strings, or a comma-separated string";
	case KEY_ITEMS:
		return "list of mappings";
	case KEY_SCALAR_MAP:
		return "mapping of name: value";
	case KEY_FREE_LIST:
		return "list (free-form)";
	case KEY_FREE_MAP:
		return "mapping (free-form)";
	}
	return "";
}

void profile_print_schema(FILE *f)
{
	char buf[256];

	fprintf(f, "| key | type | default | meaning |\n|---|---|---|---|\n");
	for (size_t i = 0; i < ARRAY_SIZE(schema); i++) {
		const struct schema_key *k = &schema[i];
		struct strbuf type = STRBUF_INIT;

		/* '|' separates enum choices and table cells: escape it for Markdown. */
		for (const char *p = type_phrase(k, buf, sizeof(buf)); *p; p++)
			strbuf_adds(&type, *p == '|' ? " \\| " : (char[]){*p, '\0'});
		fprintf(f, "| `%s` | %s | %s%s%s | %s%s |\n", k->path, type.buf,
			k->def ? "`" : "", k->def ? k->def : "", k->def ? "`" : "", k->help,
			k->flags & KEY_REQUIRED ? " (required)" : "");
		strbuf_release(&type);
	}
}

const char *arch_name(enum arch a)
{
	return a == ARCH_ARM64 ? "arm64" : "amd64";
}

const char *arch_uname(enum arch a)
{
	return a == ARCH_ARM64 ? "aarch64" : "x86_64";
}

const char *board_name(enum board b)
{
	static const char *const names[] = {"generic", "rpi3", "rpi4"};

	return (size_t)b < ARRAY_SIZE(names) ? names[b] : "?";
}

const char *base_kind_name(enum base_kind k)
{
	return k == BASE_CLOUD_IMAGE ? "cloud-image" : "bootstrap";
}

const char *source_name(enum source s)
{
	static const char *const names[] = {"distro", "upstream", "none"};

	return (size_t)s < ARRAY_SIZE(names) ? names[s] : "?";
}

const char *delivery_name(enum delivery d)
{
	return d == DELIVERY_BAKED ? "baked" : "first-boot";
}

const char *edition_name(enum edition e)
{
	return e == EDITION_PRO ? "pro" : "ce";
}

const char *output_name(enum output o)
{
	static const char *const names[] = {"qcow2", "raw", "img", "img.xz", "squashfs",
					    "user-data", "seed"};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (o == (enum output)(1u << i))
			return names[i];
	return "?";
}
