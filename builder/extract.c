// SPDX-License-Identifier: MIT
/*
 * Release tarballs through libarchive, read as untrusted input: one pass
 * checks every header and copies the allowed members to temporaries in the
 * target directory; only when the whole archive passed are they renamed
 * into place. The archive's own paths, owners, times and modes are never
 * applied to the file system.
 */
#define _GNU_SOURCE
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "extract.h"
#include "log.h"
#include "run.h"
#include "util.h"

/* Strips any leading "./" (and lone "."), which tar writes for relative members. */
static const char *strip_dot(const char *p)
{
	while (p[0] == '.' && p[1] == '/')
		p += 2;
	if (streq(p, "."))
		return p + 1;
	return p;
}

bool archive_path_safe(const char *path)
{
	const char *p = path;

	if (!*p || *p == '/')
		return false;
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 0)
			return false; /* "a//b" */
		if ((n == 2 && p[0] == '.' && p[1] == '.') || (n == 1 && p[0] == '.'))
			return false;
		p += n;
		if (*p == '/')
			p++;
	}
	return true;
}

bool archive_symlink_safe(const char *path, const char *target)
{
	long depth = 0;
	const char *p;

	if (!*target || *target == '/')
		return false;
	/* The link's directory depth. */
	for (p = path; *p; p++)
		if (*p == '/' && p[1])
			depth++;
	for (p = target; *p;) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (--depth < 0)
				return false;
		} else if (n > 0 && !(n == 1 && p[0] == '.')) {
			depth++;
		}
		p += n;
		if (*p == '/')
			p++;
	}
	return true;
}

struct pending {
	char *tmp;
	char *final;
};

struct install {
	const char *tarball;
	char *const *members;
	const char *target_dir;
	struct pending *files;
	size_t n_files;
};

static void install_abort(struct install *in)
{
	for (size_t i = 0; i < in->n_files; i++) {
		unlink(in->files[i].tmp);
		temp_unregister(in->files[i].tmp);
		free(in->files[i].tmp);
		free(in->files[i].final);
	}
	free(in->files);
	in->files = NULL;
	in->n_files = 0;
}

static int reject(const struct install *in, const char *member, const char *why)
{
	log_error("archive '%s': refusing member '%s': %s", in->tarball, member, why);
	return -EBADMSG;
}

/* Checks one header; 0 when it is acceptable. */
static int check_entry(const struct install *in, struct archive_entry *e, const char *name)
{
	mode_t type = archive_entry_filetype(e);
	mode_t mode = archive_entry_perm(e) | (archive_entry_mode(e) & (S_ISUID | S_ISGID));
	const char *hardlink = archive_entry_hardlink(e);
	const char *raw = archive_entry_pathname(e);

	if (!raw)
		return reject(in, "?", "a member without a readable name");
	if (raw[0] == '/')
		return reject(in, raw, "absolute path");
	if (*name && !archive_path_safe(name))
		return reject(in, raw, "path with '..' or an empty component");
	if (mode & (S_ISUID | S_ISGID))
		return reject(in, raw, "setuid or setgid bit");
	if (hardlink) {
		const char *t = strip_dot(hardlink);

		if (hardlink[0] == '/' || !archive_path_safe(t))
			return reject(in, raw, "hard link leaving the tree");
		return 0;
	}
	switch (type) {
	case AE_IFREG:
	case AE_IFDIR:
		return 0;
	case AE_IFLNK: {
		const char *target = archive_entry_symlink(e);

		if (!target || !archive_symlink_safe(name, target))
			return reject(in, raw, "symbolic link leaving the tree");
		return 0;
	}
	default:
		return reject(in, raw, "device node, FIFO or socket");
	}
}

static int wanted_index(const struct install *in, const char *name)
{
	for (size_t i = 0; in->members[i]; i++)
		if (streq(strip_dot(in->members[i]), name))
			return (int)i;
	return -1;
}

/* Copies the current member's data to a new temporary beside its final name. */
static int extract_member(struct install *in, struct archive *a, struct archive_entry *e,
			  const char *name)
{
	_cleanup_free_ char *base = NULL, *final = NULL, *tmp = NULL;
	const char *slash = strrchr(name, '/');
	int64_t size = archive_entry_size(e);
	uint64_t total = 0;
	int fd, r = 0;

	if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e))
		return reject(in, name, "an installed member must be a regular file");
	if (size < 0 || (uint64_t)size > ARCHIVE_MEMBER_MAX)
		return reject(in, name, "member larger than 512 MiB");
	base = xstrdup(slash ? slash + 1 : name);
	final = path_join(in->target_dir, base);
	for (size_t i = 0; i < in->n_files; i++)
		if (streq(in->files[i].final, final))
			return reject(in, name, "two members install the same file name");

	tmp = temp_name_for(final);
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0700);
	if (fd < 0)
		return log_error_errno(-errno, "cannot create '%s': %s", tmp, strerror(errno));
	temp_register(tmp);
	in->files = xrealloc(in->files, (in->n_files + 1) * sizeof(*in->files));
	in->files[in->n_files++] = (struct pending){.tmp = xstrdup(tmp), .final = xstrdup(final)};

	for (;;) {
		const void *buf;
		size_t len;
		la_int64_t off;
		int k = archive_read_data_block(a, &buf, &len, &off);

		if (k == ARCHIVE_EOF)
			break;
		if (k != ARCHIVE_OK) {
			r = log_error_errno(-EBADMSG, "archive '%s': cannot read member '%s': %s",
					    in->tarball, name, archive_error_string(a));
			break;
		}
		if (interrupted()) {
			r = -EINTR;
			break;
		}
		/* Sparse holes are written as data: the output is a plain file. */
		if ((uint64_t)off != total || total + len > ARCHIVE_MEMBER_MAX) {
			r = reject(in, name, "sparse or oversized member");
			break;
		}
		while (len > 0) {
			ssize_t w = write(fd, buf, len);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				r = log_error_errno(-errno, "cannot write '%s': %s", tmp,
						    strerror(errno));
				break;
			}
			buf = (const char *)buf + w;
			len -= (size_t)w;
			total += (uint64_t)w;
		}
		if (r < 0)
			break;
	}
	if (r == 0 && fchmod(fd, 0755) < 0)
		r = log_error_errno(-errno, "cannot chmod '%s': %s", tmp, strerror(errno));
	if (r == 0 && fsync(fd) < 0)
		r = log_error_errno(-errno, "cannot sync '%s': %s", tmp, strerror(errno));
	close(fd);
	return r;
}

static int read_archive(struct install *in, struct archive *a)
{
	struct archive_entry *e;
	bool *seen = xcalloc(strv_length(in->members) + 1, sizeof(bool));
	int r = 0, k;

	while ((k = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *raw = archive_entry_pathname(e);
		const char *name;
		size_t n;
		char *trimmed;
		int idx;

		name = strip_dot(raw ? raw : "");
		n = strlen(name);
		trimmed = xstrndup(name, n && name[n - 1] == '/' ? n - 1 : n);
		r = check_entry(in, e, trimmed);
		idx = r == 0 ? wanted_index(in, trimmed) : -1;
		if (idx >= 0) {
			if (seen[idx])
				r = reject(in, trimmed, "member appears twice");
			else
				r = extract_member(in, a, e, trimmed);
			seen[idx] = true;
		}
		free(trimmed);
		if (r < 0)
			break;
	}
	if (r == 0 && k != ARCHIVE_EOF)
		r = log_error_errno(-EBADMSG, "archive '%s' is damaged: %s", in->tarball,
				    archive_error_string(a));
	for (size_t i = 0; r == 0 && in->members[i]; i++)
		if (!seen[i])
			r = log_error_errno(-ENOENT, "archive '%s' has no member '%s'",
					    in->tarball, in->members[i]);
	free(seen);
	return r;
}

int archive_install_members(const char *tarball, char *const *members, const char *target_dir)
{
	struct install in = {.tarball = tarball, .members = members, .target_dir = target_dir};
	struct archive *a;
	int r;

	if (!dir_exists(target_dir))
		return log_error_errno(-ENOENT, "target directory '%s' does not exist", target_dir);

	a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, tarball, 65536) != ARCHIVE_OK) {
		r = log_error_errno(-EBADMSG, "cannot open archive '%s': %s", tarball,
				    archive_error_string(a));
		archive_read_free(a);
		return r;
	}
	r = read_archive(&in, a);
	archive_read_free(a);
	if (r < 0) {
		install_abort(&in);
		return r;
	}

	for (size_t i = 0; i < in.n_files; i++) {
		if (rename(in.files[i].tmp, in.files[i].final) < 0) {
			r = log_error_errno(-errno, "cannot rename '%s' to '%s': %s",
					    in.files[i].tmp, in.files[i].final, strerror(errno));
			install_abort(&in);
			return r;
		}
		temp_unregister(in.files[i].tmp);
		free(in.files[i].tmp);
		in.files[i].tmp = xstrdup("");
	}
	{
		_cleanup_close_ int dfd = open(target_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dfd >= 0)
			fsync(dfd);
	}
	for (size_t i = 0; i < in.n_files; i++) {
		free(in.files[i].tmp);
		free(in.files[i].final);
	}
	free(in.files);
	return 0;
}
