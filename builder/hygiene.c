// SPDX-License-Identifier: MIT
/*
 * The secrets check of a root tree. It walks the tree without following
 * symlinks, looks at names (host keys, histories, the password file, cloud
 * state), at a few well-known files (machine ids), and at the contents of
 * every regular file for a private key block. A private key is reported
 * only when it looks like a real one (a BEGIN line, base64 lines, an END
 * line), so that a program that merely knows the marker strings (PEM
 * parsers, documentation) does not fail the build.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <ctype.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "hygiene.h"
#include "log.h"
#include "util.h"

#define TEXT_PROBE 8192
#define PASSWD_MAX (1u << 20)

struct walk {
	const char *root;
	size_t root_len;
	const struct hygiene_opts *opts;
	char **etc_needles; /* host paths and user name to look for under /etc */
	struct hygiene_report *report;
};

static void add_finding(struct hygiene_report *report, const char *path, const char *reason)
{
	report->findings = xrealloc(report->findings, (report->n + 1) * sizeof(*report->findings));
	report->findings[report->n].path = xstrdup(path);
	report->findings[report->n].reason = xstrdup(reason);
	report->n++;
}

static bool is_base64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/' || c == '=';
}

/*
 * True when a real key body follows a BEGIN marker: after the marker's
 * line, optional "Header: value" lines, then at least 64 base64 characters
 * before the next line break that is not a base64 line.
 */
static bool key_body_follows(const char *p, const char *end)
{
	size_t body = 0;

	p = memchr(p, '\n', (size_t)(end - p));
	if (!p)
		return false;
	p++;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *q;

		if (!eol)
			eol = end;
		if (eol > p && (memchr(p, ':', (size_t)(eol - p)) && body == 0)) {
			p = eol + 1; /* a PEM header line */
			continue;
		}
		for (q = p; q < eol && (is_base64_char(*q) || *q == '\r'); q++)
			;
		if (q != eol || eol == p)
			break;
		body += (size_t)(eol - p);
		p = eol + 1;
	}
	return body >= 64;
}

/* Looks for "-----BEGIN ... PRIVATE KEY-----" followed by a key body. */
static const char *find_private_key(const char *data, size_t len)
{
	const char *p = data, *end = data + len;
	static const char marker[] = "PRIVATE KEY-----";

	while ((p = memmem(p, (size_t)(end - p), marker, sizeof(marker) - 1))) {
		const char *line = p;

		while (line > data && line[-1] != '\n' && p - line < 80)
			line--;
		if (memmem(line, (size_t)(p - line), "-----BEGIN ", 11) &&
		    key_body_follows(p, end))
			return strstr(line, "OPENSSH") && strstr(line, "OPENSSH") < p
				       ? "an OpenSSH private key"
				       : "a PEM private key";
		p += sizeof(marker) - 1;
	}
	return NULL;
}

static bool word_char(char c)
{
	return c == '_' || c == '-' || isalnum((unsigned char)c);
}

static bool word_at(const char *data, size_t len, const char *hit, size_t n)
{
	bool left = hit == data || !word_char(hit[-1]);
	bool right = (size_t)(hit + n - data) >= len || !word_char(hit[n]);

	return left && right;
}

static void check_contents(struct walk *w, const char *path, const char *rel, off_t size)
{
	_cleanup_close_ int fd = -1;
	const char *reason;
	char *data;

	if (size <= 0)
		return;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	data = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (data == MAP_FAILED)
		return;

	/* Binaries are left out: libraries embed the public test keys of their self-tests. */
	if (memchr(data, '\0', (size_t)size < TEXT_PROBE ? (size_t)size : TEXT_PROBE)) {
		munmap(data, (size_t)size);
		return;
	}
	reason = find_private_key(data, (size_t)size);
	if (reason)
		add_finding(w->report, rel, reason);

	if (str_starts_with(rel, "/etc/")) {
		for (char **n = w->etc_needles; n && *n; n++) {
			size_t k = strlen(*n);
			const char *hit = memmem(data, (size_t)size, *n, k);

			while (hit && (*n)[0] != '/' && !word_at(data, (size_t)size, hit, k))
				hit = memmem(hit + 1, (size_t)(data + size - hit - 1), *n, k);
			if (hit) {
				_cleanup_free_ char *why = NULL;

				why = xasprintf("mentions the build host's '%s'", *n);

				add_finding(w->report, rel, why);
			}
		}
	}
	munmap(data, (size_t)size);
}

static const char *const history_names[] = {
	".bash_history", ".sh_history", ".zsh_history", ".ash_history",
	".python_history", ".lesshst", ".viminfo", ".mysql_history",
};

static void check_entry(struct walk *w, const char *path, const char *rel, const char *name,
			const struct stat *st)
{
	for (size_t i = 0; i < ARRAY_SIZE(history_names); i++)
		if (streq(name, history_names[i]))
			add_finding(w->report, rel, "a shell history");

	if (streq(name, "basic-auth-password"))
		add_finding(w->report, rel, "faasd's basic-auth password: a per-instance secret");

	if (str_starts_with(rel, "/etc/ssh/ssh_host_"))
		add_finding(w->report, rel, "an SSH host key: cloud-init makes them at first boot");

	if (streq(rel, "/var/lib/cloud/instance") ||
	    str_starts_with(rel, "/var/lib/cloud/instances/"))
		add_finding(w->report, rel, "cloud-init instance state: the image was booted");

	if (S_ISREG(st->st_mode) && st->st_size > 0 && str_starts_with(rel, "/var/log/"))
		add_finding(w->report, rel, "a log written at build time");

	if (S_ISREG(st->st_mode))
		check_contents(w, path, rel, st->st_size);
}

static int walk_dir(struct walk *w, const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int r = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)) && r == 0) {
		_cleanup_free_ char *child = NULL;
		const char *rel;
		struct stat st;

		if (streq(e->d_name, ".") || streq(e->d_name, ".."))
			continue;
		child = path_join(path, e->d_name);
		rel = child + w->root_len;
		if (lstat(child, &st) < 0)
			continue;
		if (streq(rel, "/proc") || streq(rel, "/sys") || streq(rel, "/dev"))
			continue;
		check_entry(w, child, rel, e->d_name, &st);
		if (S_ISDIR(st.st_mode))
			r = walk_dir(w, child);
	}
	closedir(d);
	return r == -EACCES ? 0 : r;
}

static void check_machine_id(struct walk *w, const char *rel)
{
	_cleanup_free_ char *path = xasprintf("%s%s", w->root, rel), *data = NULL;
	struct stat st;

	if (lstat(path, &st) < 0 || S_ISLNK(st.st_mode))
		return; /* missing, or a link to /etc/machine-id, which is checked itself */
	if (read_file(path, 4096, &data, NULL) < 0)
		return;
	if (!streq(data, "") && !streq(data, "uninitialized\n") && !streq(data, "uninitialized"))
		add_finding(w->report, rel, "a machine id: it must be empty so that each boot "
					    "makes its own");
}

/* The files a bootstrap copies the build host's name into. */
static const char *const host_name_files[] = {"/etc/hostname", "/etc/hosts", "/etc/mailname"};

static void check_host_name(struct walk *w, const char *rel, const char *host_name)
{
	_cleanup_free_ char *path = xasprintf("%s%s", w->root, rel), *data = NULL;
	size_t len, k = strlen(host_name);
	const char *hit;

	if (read_file(path, PASSWD_MAX, &data, &len) < 0)
		return;
	for (hit = memmem(data, len, host_name, k); hit;
	     hit = memmem(hit + 1, (size_t)(data + len - hit - 1), host_name, k)) {
		if (word_at(data, len, hit, k)) {
			_cleanup_free_ char *why = NULL;

			why = xasprintf("names the build host '%s'", host_name);

			add_finding(w->report, rel, why);
			return;
		}
	}
}

/* True when the tree's /etc/passwd has a user of that name. */
static bool tree_has_user(const char *root, const char *name)
{
	_cleanup_free_ char *path = path_join(root, "etc/passwd"), *data = NULL;
	_cleanup_free_ char *needle = xasprintf("\n%s:", name);
	_cleanup_free_ char *text = NULL;

	if (read_file(path, PASSWD_MAX, &data, NULL) < 0)
		return false;
	text = xasprintf("\n%s", data);
	return strstr(text, needle) != NULL;
}

int hygiene_check_dir(const char *root, const struct hygiene_opts *opts,
		      struct hygiene_report *report)
{
	_cleanup_strv_free_ char **needles = NULL;
	struct walk w = {
		.root = root,
		.root_len = strlen(root),
		.opts = opts,
		.report = report,
	};
	int r;

	memset(report, 0, sizeof(*report));
	while (w.root_len > 1 && root[w.root_len - 1] == '/')
		w.root_len--;

	for (char *const *p = opts ? opts->host_paths : NULL; p && *p; p++)
		if (!str_empty(*p) && !streq(*p, "/") && !streq(*p, "/root"))
			strv_push(&needles, *p);
	if (opts && !str_empty(opts->user_name) && !tree_has_user(root, opts->user_name))
		strv_push(&needles, opts->user_name);
	w.etc_needles = needles;

	r = walk_dir(&w, root);
	if (r < 0)
		return r;

	if (opts && !str_empty(opts->host_name) && !streq(opts->host_name, "localhost"))
		for (size_t i = 0; i < ARRAY_SIZE(host_name_files); i++)
			check_host_name(&w, host_name_files[i], opts->host_name);
	check_machine_id(&w, "/etc/machine-id");
	check_machine_id(&w, "/var/lib/dbus/machine-id");
	return (int)report->n;
}

void hygiene_log(const struct hygiene_report *report)
{
	for (size_t i = 0; i < report->n; i++)
		log_error("'%s': %s", report->findings[i].path, report->findings[i].reason);
}

void hygiene_report_release(struct hygiene_report *report)
{
	for (size_t i = 0; i < report->n; i++) {
		free(report->findings[i].path);
		free(report->findings[i].reason);
	}
	free(report->findings);
	report->findings = NULL;
	report->n = 0;
}
