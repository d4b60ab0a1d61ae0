// SPDX-License-Identifier: MIT
/*
 * Value checks, one small function each. They only look at the text: a
 * value that passes here can still fail later for a reason only a later
 * stage can see (a mirror that does not answer, a key nobody holds).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>

#include "validate.h"

void validate_quote(struct strbuf *sb, const char *s, size_t len)
{
	size_t shown = len > 60 ? 60 : len;

	strbuf_addc(sb, '\'');
	for (size_t i = 0; i < shown; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			strbuf_addf(sb, "\\x%02x", c);
		else
			strbuf_addc(sb, (char)c);
	}
	if (shown < len)
		strbuf_adds(sb, "...");
	strbuf_addc(sb, '\'');
}

static void quoted(struct strbuf *why, const char *s)
{
	validate_quote(why, s, strlen(s));
}

static bool all_chars(const char *s, const char *set)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(set, *s))
			return false;
	return true;
}

bool validate_hostname(const char *s, struct strbuf *why)
{
	size_t total = strlen(s), label = 0;
	const char *p, *start = s;

	if (total == 0 || total > 253)
		goto bad;
	for (p = s;; p++) {
		if (*p == '.' || *p == '\0') {
			label = (size_t)(p - start);
			if (label == 0 || label > 63 || start[0] == '-' || p[-1] == '-')
				goto bad;
			if (*p == '\0')
				return true;
			start = p + 1;
			continue;
		}
		if (!isalnum((unsigned char)*p) && *p != '-')
			goto bad;
	}
bad:
	quoted(why, s);
	strbuf_adds(why, " is not a valid hostname (RFC 1123: letters, digits and '-', "
			 "at most 63 per label)");
	return false;
}

static int base64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Strict base64 (padding required); returns the decoded length or -EINVAL. */
static ssize_t base64_decode(const char *s, size_t len, unsigned char *out)
{
	size_t n = 0;

	if (len == 0 || len % 4 != 0)
		return -EINVAL;
	for (size_t i = 0; i < len; i += 4) {
		int v[4];
		size_t pad = 0;

		for (size_t j = 0; j < 4; j++) {
			if (s[i + j] == '=' && i + 4 == len && j >= 2) {
				v[j] = 0;
				pad++;
				continue;
			}
			if (pad)
				return -EINVAL;
			v[j] = base64_value(s[i + j]);
			if (v[j] < 0)
				return -EINVAL;
		}
		out[n++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			out[n++] = (unsigned char)((v[1] & 0xf) << 4 | v[2] >> 2);
		if (pad < 1)
			out[n++] = (unsigned char)((v[2] & 0x3) << 6 | v[3]);
	}
	return (ssize_t)n;
}

static const char *const ssh_key_types[] = {
	"ssh-ed25519",
	"ssh-rsa",
	"ecdsa-sha2-nistp256",
	"ecdsa-sha2-nistp384",
	"ecdsa-sha2-nistp521",
	"sk-ssh-ed25519@openssh.com",
	"sk-ecdsa-sha2-nistp256@openssh.com",
};

/* The key type the base64 body names in its first field (a 32-bit length, then text). */
static bool ssh_body_type(const char *body, size_t len, struct strbuf *type)
{
	_cleanup_free_ unsigned char *raw = xmalloc(len / 4 * 3 + 1);
	ssize_t n = base64_decode(body, len, raw);
	uint32_t tlen;

	if (n < 4)
		return false;
	tlen = (uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 | (uint32_t)raw[2] << 8 | raw[3];
	if (tlen == 0 || tlen > 64 || (size_t)n < 4 + (size_t)tlen + 4)
		return false;
	strbuf_add(type, raw + 4, tlen);
	return true;
}

bool validate_ssh_public_key(const char *s, struct strbuf *why)
{
	struct strbuf embedded = STRBUF_INIT;
	const char *sp = strchr(s, ' '), *body, *end;
	size_t type_len;
	bool ok;

	if (str_starts_with(s, "-----BEGIN")) {
		strbuf_adds(why, "this is a private key; give the public key (the .pub file)");
		return false;
	}
	type_len = sp ? (size_t)(sp - s) : strlen(s);
	ok = false;
	for (size_t i = 0; i < ARRAY_SIZE(ssh_key_types); i++)
		if (strlen(ssh_key_types[i]) == type_len && !strncmp(s, ssh_key_types[i], type_len))
			ok = true;
	if (!ok) {
		validate_quote(why, s, type_len);
		strbuf_adds(why, " is not an SSH public key type (expected 'TYPE BASE64 [COMMENT]' "
				 "with TYPE ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256/384/521 "
				 "or sk-*)");
		return false;
	}

	body = sp ? sp + 1 : s + type_len;
	while (*body == ' ')
		body++;
	end = body + strcspn(body, " ");
	if (end == body) {
		strbuf_adds(why, "SSH public key has no key data after its type (expected "
				 "'TYPE BASE64 [COMMENT]')");
		return false;
	}
	if (!ssh_body_type(body, (size_t)(end - body), &embedded)) {
		strbuf_adds(why, "SSH public key data is not valid base64 of a public key");
		strbuf_release(&embedded);
		return false;
	}
	if (embedded.len != type_len || memcmp(embedded.buf, s, type_len) != 0) {
		strbuf_adds(why, "SSH public key says ");
		validate_quote(why, s, type_len);
		strbuf_adds(why, " but its data holds a ");
		validate_quote(why, embedded.buf, embedded.len);
		strbuf_adds(why, " key");
		strbuf_release(&embedded);
		return false;
	}
	strbuf_release(&embedded);
	return true;
}

bool validate_user_name(const char *s, struct strbuf *why)
{
	size_t len = strlen(s);

	if (len >= 1 && len <= 32 && (islower((unsigned char)s[0]) || s[0] == '_')) {
		bool ok = true;

		for (const char *p = s + 1; *p; p++)
			if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789_-", *p))
				ok = false;
		if (ok)
			return true;
	}
	quoted(why, s);
	strbuf_adds(why, " is not a valid user name (lower-case letters, digits, '_' and '-', "
			 "starting with a letter or '_', at most 32)");
	return false;
}

bool validate_group_name(const char *s, struct strbuf *why)
{
	struct strbuf ignored = STRBUF_INIT;
	bool ok = validate_user_name(s, &ignored);

	strbuf_release(&ignored);
	if (ok)
		return true;
	quoted(why, s);
	strbuf_adds(why, " is not a valid group name (lower-case letters, digits, '_' and '-', "
			 "starting with a letter or '_', at most 32)");
	return false;
}

bool validate_ssid(const char *s, struct strbuf *why)
{
	size_t len = strlen(s);

	if (len >= 1 && len <= 32)
		return true;
	strbuf_addf(why, "SSID is %zu bytes; expected 1 to 32", len);
	return false;
}

bool validate_owner(const char *s, struct strbuf *why)
{
	_cleanup_free_ char *copy = xstrdup(s);
	char *colon = strchr(copy, ':');
	struct strbuf ignored = STRBUF_INIT;
	bool ok;

	if (colon)
		*colon = '\0';
	ok = validate_user_name(copy, &ignored) &&
	     (!colon || validate_user_name(colon + 1, &ignored));
	strbuf_release(&ignored);
	if (ok)
		return true;
	quoted(why, s);
	strbuf_adds(why, " is not an owner (expected 'user' or 'user:group')");
	return false;
}

bool validate_url(const char *s, struct strbuf *why)
{
	const char *host = NULL;
	size_t host_len;

	if (str_starts_with(s, "https://"))
		host = s + 8;
	else if (str_starts_with(s, "http://"))
		host = s + 7;

	if (!host) {
		quoted(why, s);
		if (str_starts_with(s, "file:"))
			strbuf_adds(why, " is a file:// URL; expected an http:// or https:// URL "
					 "(for a local directory give its path to --mirror)");
		else
			strbuf_adds(why, " is not a URL (expected http:// or https:// and a host)");
		return false;
	}
	host_len = strcspn(host, "/?#");
	if (host_len == 0 || memchr(host, '@', host_len) || strpbrk(s, " \t\"<>\\^`{|}")) {
		quoted(why, s);
		strbuf_adds(why, " is not a URL (expected http:// or https:// and a host, "
				 "no credentials, no spaces)");
		return false;
	}
	return true;
}

bool validate_url_or_abs_path(const char *s, struct strbuf *why)
{
	if (s[0] == '/')
		return validate_abs_path(s, why);
	return validate_url(s, why);
}

bool validate_sha256_hex(const char *s, struct strbuf *why)
{
	size_t len = strlen(s);

	if (len == 64 && strspn(s, "0123456789abcdef") == 64)
		return true;
	quoted(why, s);
	strbuf_adds(why, " is not a sha256 (expected 64 lower-case hex digits)");
	return false;
}

bool validate_timezone(const char *s, struct strbuf *why)
{
	const char *p = s;
	unsigned parts = 0;

	if (streq(s, "UTC"))
		return true;
	while (*p) {
		size_t n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				     "0123456789_+-");

		if (n == 0 || !isalpha((unsigned char)p[0]) || n > 32)
			break;
		parts++;
		p += n;
		if (*p == '/' && p[1])
			p++;
		else if (*p)
			break;
	}
	if (*p == '\0' && parts >= 2 && parts <= 3)
		return true;
	quoted(why, s);
	strbuf_adds(why, " is not a time zone (expected 'UTC' or Area/City such as "
			 "'Europe/London')");
	return false;
}

bool validate_locale(const char *s, struct strbuf *why)
{
	const char *p = s;
	size_t n;

	if (streq(s, "C") || streq(s, "POSIX"))
		return true;
	if (str_starts_with(s, "C.")) {
		p = s + 1;
	} else {
		n = strspn(p, "abcdefghijklmnopqrstuvwxyz");
		if (n < 2 || n > 3)
			goto bad;
		p += n;
		if (*p == '_') {
			n = strspn(p + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
			if (n != 2)
				goto bad;
			p += 3;
		}
	}
	if (*p == '.') {
		n = strspn(p + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				  "0123456789-");
		if (n == 0)
			goto bad;
		p += 1 + n;
	}
	if (*p == '@') {
		n = strspn(p + 1, "abcdefghijklmnopqrstuvwxyz");
		if (n == 0)
			goto bad;
		p += 1 + n;
	}
	if (*p == '\0')
		return true;
bad:
	quoted(why, s);
	strbuf_adds(why, " is not a locale (expected e.g. 'C.UTF-8' or 'en_GB.UTF-8')");
	return false;
}

static bool is_ip(const char *s, int *family)
{
	unsigned char buf[16];

	if (inet_pton(AF_INET, s, buf) == 1) {
		*family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, buf) == 1) {
		*family = AF_INET6;
		return true;
	}
	return false;
}

bool validate_ip_address(const char *s, struct strbuf *why)
{
	int family;

	if (is_ip(s, &family))
		return true;
	quoted(why, s);
	strbuf_adds(why, " is not an IP address (expected e.g. '192.168.1.1' or '2001:db8::1')");
	return false;
}

bool validate_cidr(const char *s, struct strbuf *why)
{
	_cleanup_free_ char *copy = xstrdup(s);
	char *slash = strchr(copy, '/'), *end;
	unsigned long prefix;
	int family;

	if (!slash)
		goto bad;
	*slash = '\0';
	if (!is_ip(copy, &family) || !isdigit((unsigned char)slash[1]))
		goto bad;
	errno = 0;
	prefix = strtoul(slash + 1, &end, 10);
	if (errno || *end || prefix > (family == AF_INET ? 32u : 128u))
		goto bad;
	return true;
bad:
	quoted(why, s);
	strbuf_adds(why, " is not an address with a prefix length (expected CIDR such as "
			 "'192.168.1.50/24')");
	return false;
}

bool validate_abs_path(const char *s, struct strbuf *why)
{
	const char *p;

	if (s[0] != '/') {
		quoted(why, s);
		strbuf_adds(why, " is not an absolute path (expected it to start with '/')");
		return false;
	}
	for (p = s; (p = strstr(p, "..")); p += 2) {
		if ((p == s || p[-1] == '/') && (p[2] == '/' || p[2] == '\0')) {
			quoted(why, s);
			strbuf_adds(why, " has a '..' part (expected a path without '..')");
			return false;
		}
	}
	return true;
}

bool validate_permissions(const char *s, struct strbuf *why)
{
	size_t len = strlen(s);

	if ((len == 3 || len == 4) && strspn(s, "01234567") == len)
		return true;
	quoted(why, s);
	strbuf_adds(why, " is not a file mode (expected an octal string such as '0644')");
	return false;
}

bool validate_wifi_passphrase(const char *s, struct strbuf *why)
{
	size_t len = strlen(s);

	if (len >= 8 && len <= 63)
		return true;
	strbuf_addf(why, "passphrase is %zu characters; WPA2 needs 8 to 63", len);
	return false;
}

bool validate_country_code(const char *s, struct strbuf *why)
{
	if (strlen(s) == 2 && isupper((unsigned char)s[0]) && isupper((unsigned char)s[1]))
		return true;
	quoted(why, s);
	strbuf_adds(why, " is not a country code (expected two capital letters such as 'GB')");
	return false;
}

bool validate_module_name(const char *s, struct strbuf *why)
{
	if (*s && strlen(s) <= 64 && all_chars(s, "_-"))
		return true;
	quoted(why, s);
	strbuf_adds(why, " is not a kernel module name (letters, digits, '_' and '-')");
	return false;
}

bool validate_package_name(const char *s, struct strbuf *why)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789+.-");
	const char *p = s + n;

	if (n >= 2 && isalnum((unsigned char)s[0]) &&
	    (*p == '\0' || (*p == '=' && p[1] && all_chars(p + 1, ".+~:-"))))
		return true;
	quoted(why, s);
	strbuf_adds(why, " is not a Debian package name (expected 'name' or 'name=version')");
	return false;
}

bool validate_version(const char *s, struct strbuf *why)
{
	if (*s && isalnum((unsigned char)s[0]) && strlen(s) <= 64 && all_chars(s, "._+~-"))
		return true;
	quoted(why, s);
	strbuf_adds(why, " is not a version (expected e.g. '1.7.27')");
	return false;
}

bool validate_profile_name(const char *s, struct strbuf *why)
{
	if (*s && isalnum((unsigned char)s[0]) && strlen(s) <= 64 && all_chars(s, "._-"))
		return true;
	quoted(why, s);
	strbuf_adds(why, " is not a profile name (letters, digits, '.', '_' and '-', "
			 "at most 64)");
	return false;
}

bool validate_word(const char *s, struct strbuf *why)
{
	if (*s && isalnum((unsigned char)s[0]) && strlen(s) <= 128 && all_chars(s, "._+-"))
		return true;
	quoted(why, s);
	strbuf_adds(why, " is not a single word (letters, digits, '.', '_', '+' and '-')");
	return false;
}

bool validate_crypt_hash(const char *s, struct strbuf *why)
{
	if (s[0] == '$' && strchr(s + 1, '$') && !strpbrk(s, " :"))
		return true;
	strbuf_adds(why, "not a crypt(3) hash such as '$6$...' (make one with 'mkpasswd'); "
			 "clear-text passwords are not accepted");
	return false;
}

bool validate_sysctl_key(const char *s, struct strbuf *why)
{
	if (*s && isalpha((unsigned char)s[0]) && all_chars(s, "._-/"))
		return true;
	quoted(why, s);
	strbuf_adds(why, " is not a sysctl name (expected e.g. 'net.ipv4.ip_forward')");
	return false;
}

bool validate_secret(const char *s, struct strbuf *why)
{
	if (*s && !strpbrk(s, " \t"))
		return true;
	strbuf_adds(why, "expected a non-empty secret without blanks");
	return false;
}

bool validate_arch(const char *s, struct strbuf *why)
{
	static const char *const arm32[] = {"armhf", "armv7", "armv7l", "arm", "armel", "armv6"};

	if (streq(s, "amd64") || streq(s, "arm64"))
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(arm32); i++) {
		if (streq(s, arm32[i])) {
			quoted(why, s);
			strbuf_adds(why, " is 32-bit Arm, which faasd dropped in 0.19.0; use arm64 "
					 "(a Raspberry Pi 3, 4 or 5 runs a 64-bit OS)");
			return false;
		}
	}
	quoted(why, s);
	strbuf_adds(why, " is not one of amd64, arm64");
	return false;
}
