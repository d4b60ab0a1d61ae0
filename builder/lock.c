// SPDX-License-Identifier: MIT
/*
 * The artifacts lock: a line-oriented text file, one entry per line, read
 * by a strict parser that rejects anything it does not understand with
 * the file and line, and written back in one stable order. The parser is a
 * pure function of a buffer so that it can be fuzzed; it never touches the
 * network and never guesses a missing hash. See docs/artifacts.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>

#include "lock.h"
#include "log.h"
#include "paths.h"
#include "util.h"

#define MAX_TOKENS 16
#define MAX_URL 2048

struct parse_state {
	const char *name;
	unsigned line;
	struct lock *lock;
	bool have_epoch;
	unsigned *artifact_lines;
	unsigned *image_lines;
};

static int parse_error(const struct parse_state *st, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int parse_error(const struct parse_state *st, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("'%s':%u: %s", st->name, st->line, msg);
	return -EINVAL;
}

static bool is_hex_lower(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static bool sha256_valid(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!is_hex_lower(s[i]))
			return false;
	return i == 64;
}

static bool word_valid(const char *s, const char *extra)
{
	if (!*s || strlen(s) > 128)
		return false;
	for (; *s; s++) {
		bool ok = (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
			  (*s >= 'A' && *s <= 'Z') || strchr(extra, *s);

		if (!ok)
			return false;
	}
	return true;
}

/* http(s)://host[:port]/path with no space, quote or control character. */
static bool url_valid(const char *s)
{
	const char *p, *host;

	if (strlen(s) > MAX_URL)
		return false;
	if (str_starts_with(s, "https://"))
		p = s + 8;
	else if (str_starts_with(s, "http://"))
		p = s + 7;
	else
		return false;

	host = p;
	if (*p == '[') {
		while (*p && *p != ']')
			p++;
		if (*p != ']')
			return false;
		p++;
	} else {
		while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		       (*p >= '0' && *p <= '9') || *p == '.' || *p == '-')
			p++;
	}
	if (p == host)
		return false;
	if (*p == ':') {
		const char *digits = ++p;

		while (*p >= '0' && *p <= '9')
			p++;
		if (p == digits || p - digits > 5)
			return false;
	}
	if (*p != '/')
		return false;
	for (; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || strchr("\"'<>\\^`{|}", *p))
			return false;
	return true;
}

static bool path_valid(const char *s)
{
	if (!*s || strlen(s) > 1024)
		return false;
	for (; *s; s++)
		if (*s <= ' ' || *s >= 0x7f)
			return false;
	return true;
}

/* A lock number: decimal, without leading zeros, so that each has one spelling. */
static int parse_u64(const char *s, uint64_t *ret)
{
	if (s[0] == '0' && s[1])
		return -EINVAL;
	return parse_uint64(s, ret);
}

/* Splits a line in place on runs of blanks. */
static int tokenize(char *line, char **tok, size_t max, size_t *ret_n)
{
	size_t n = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		if (n == max)
			return -E2BIG;
		tok[n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = '\0';
	}
	*ret_n = n;
	return 0;
}

struct fields {
	const char *sha256, *size, *checksum, *checksums, *signature, *keyring;
};

/* key=value fields after the positional ones; allowed is a list like "sha256 size checksum". */
static int parse_fields(const struct parse_state *st, char **tok, size_t n, const char *allowed,
			struct fields *f)
{
	static const struct {
		const char *key;
		size_t offset;
	} keys[] = {
		{"sha256", offsetof(struct fields, sha256)},
		{"size", offsetof(struct fields, size)},
		{"checksum", offsetof(struct fields, checksum)},
		{"checksums", offsetof(struct fields, checksums)},
		{"signature", offsetof(struct fields, signature)},
		{"keyring", offsetof(struct fields, keyring)},
	};

	for (size_t i = 0; i < n; i++) {
		char *eq = strchr(tok[i], '=');
		const char **slot = NULL;
		size_t k;

		if (!eq || eq == tok[i])
			return parse_error(st, "expected KEY=VALUE, got '%s'", tok[i]);
		*eq = '\0';
		for (k = 0; k < ARRAY_SIZE(keys); k++)
			if (streq(keys[k].key, tok[i]))
				break;
		if (k == ARRAY_SIZE(keys) || !strstr(allowed, keys[k].key))
			return parse_error(st, "unknown field '%s' (expected one of: %s)", tok[i],
					   allowed);
		/* "checksum" must not match inside "checksums" of the allowed list. */
		if (streq(tok[i], "checksum") && !strstr(allowed, "checksum "))
			return parse_error(st, "unknown field '%s' (expected one of: %s)", tok[i],
					   allowed);
		slot = (const char **)((char *)f + keys[k].offset);
		if (*slot)
			return parse_error(st, "field '%s' given twice", tok[i]);
		if (!eq[1])
			return parse_error(st, "field '%s' has an empty value", tok[i]);
		*slot = eq + 1;
	}

	if (f->sha256 && !sha256_valid(f->sha256))
		return parse_error(st, "sha256 must be 64 lower-case hex digits, got '%s'",
				   f->sha256);
	if (f->checksum && !url_valid(f->checksum))
		return parse_error(st, "checksum is not an http(s) URL: '%s'", f->checksum);
	if (f->checksums && !url_valid(f->checksums))
		return parse_error(st, "checksums is not an http(s) URL: '%s'", f->checksums);
	if (f->signature && !url_valid(f->signature))
		return parse_error(st, "signature is not an http(s) URL: '%s'", f->signature);
	if (f->keyring && !path_valid(f->keyring))
		return parse_error(st, "keyring is not a valid path: '%s'", f->keyring);
	return 0;
}

static int parse_size_field(const struct parse_state *st, const char *s, uint64_t *ret)
{
	*ret = 0;
	if (s && parse_u64(s, ret) < 0)
		return parse_error(st, "size must be a decimal byte count, got '%s'", s);
	return 0;
}

static int parse_artifact(struct parse_state *st, char **tok, size_t n)
{
	struct lock *l = st->lock;
	struct fields f = {0};
	struct lock_artifact *a;
	uint64_t size;
	int r;

	if (n < 5)
		return parse_error(st, "expected 'artifact COMPONENT VERSION ARCH URL "
				       "[sha256=HEX] [size=N] [checksum=URL]'");
	if (!word_valid(tok[1], "-") || strpbrk(tok[1], "ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
		return parse_error(st, "invalid component name '%s' (a-z, 0-9, '-')", tok[1]);
	if (!word_valid(tok[2], ".+~_-"))
		return parse_error(st, "invalid version '%s'", tok[2]);
	if (!streq(tok[3], "amd64") && !streq(tok[3], "arm64") && !streq(tok[3], "all"))
		return parse_error(st, "invalid arch '%s' (expected amd64, arm64 or all)", tok[3]);
	if (!url_valid(tok[4]))
		return parse_error(st, "not an http(s) URL: '%s'", tok[4]);
	r = parse_fields(st, tok + 5, n - 5, "sha256 size checksum ", &f);
	if (r < 0)
		return r;
	r = parse_size_field(st, f.size, &size);
	if (r < 0)
		return r;

	for (size_t i = 0; i < l->n_artifacts; i++) {
		const struct lock_artifact *o = &l->artifacts[i];

		if (streq(o->component, tok[1]) && streq(o->version, tok[2]) &&
		    streq(o->arch, tok[3]))
			return parse_error(st, "duplicate entry '%s %s %s' (first on line %u)",
					   tok[1], tok[2], tok[3], st->artifact_lines[i]);
	}

	l->artifacts = xrealloc(l->artifacts, (l->n_artifacts + 1) * sizeof(*l->artifacts));
	st->artifact_lines = xrealloc(st->artifact_lines, (l->n_artifacts + 1) * sizeof(unsigned));
	st->artifact_lines[l->n_artifacts] = st->line;
	a = &l->artifacts[l->n_artifacts++];
	*a = (struct lock_artifact){
		.component = xstrdup(tok[1]),
		.version = xstrdup(tok[2]),
		.arch = xstrdup(tok[3]),
		.url = xstrdup(tok[4]),
		.sha256 = f.sha256 ? xstrdup(f.sha256) : NULL,
		.size = size,
		.checksum_url = f.checksum ? xstrdup(f.checksum) : NULL,
	};
	return 0;
}

static int parse_image(struct parse_state *st, char **tok, size_t n)
{
	struct lock *l = st->lock;
	struct fields f = {0};
	struct lock_image *img;
	uint64_t size;
	int r;

	if (n < 4)
		return parse_error(st, "expected 'image NAME ARCH URL checksums=URL "
				       "[signature=URL keyring=PATH] [sha256=HEX] [size=N]'");
	if (!word_valid(tok[1], ".-_"))
		return parse_error(st, "invalid image name '%s'", tok[1]);
	if (!streq(tok[2], "amd64") && !streq(tok[2], "arm64"))
		return parse_error(st, "invalid arch '%s' (expected amd64 or arm64)", tok[2]);
	if (!url_valid(tok[3]))
		return parse_error(st, "not an http(s) URL: '%s'", tok[3]);
	r = parse_fields(st, tok + 4, n - 4, "sha256 size checksums signature keyring", &f);
	if (r < 0)
		return r;
	if (!f.checksums)
		return parse_error(st, "image '%s' needs checksums=URL", tok[1]);
	if (!!f.signature != !!f.keyring)
		return parse_error(st, "image '%s': signature= and keyring= go together", tok[1]);
	r = parse_size_field(st, f.size, &size);
	if (r < 0)
		return r;

	for (size_t i = 0; i < l->n_images; i++)
		if (streq(l->images[i].name, tok[1]) && streq(l->images[i].arch, tok[2]))
			return parse_error(st, "duplicate image '%s %s' (first on line %u)",
					   tok[1], tok[2], st->image_lines[i]);

	l->images = xrealloc(l->images, (l->n_images + 1) * sizeof(*l->images));
	st->image_lines = xrealloc(st->image_lines, (l->n_images + 1) * sizeof(unsigned));
	st->image_lines[l->n_images] = st->line;
	img = &l->images[l->n_images++];
	*img = (struct lock_image){
		.name = xstrdup(tok[1]),
		.arch = xstrdup(tok[2]),
		.url = xstrdup(tok[3]),
		.sha256 = f.sha256 ? xstrdup(f.sha256) : NULL,
		.size = size,
		.checksums_url = xstrdup(f.checksums),
		.signature_url = f.signature ? xstrdup(f.signature) : NULL,
		.keyring = f.keyring ? xstrdup(f.keyring) : NULL,
	};
	return 0;
}

static int parse_line(struct parse_state *st, char *line)
{
	char *tok[MAX_TOKENS];
	size_t n;
	uint64_t epoch;

	for (const char *p = line; *p; p++) {
		if (*p == '\r')
			return parse_error(st, "carriage return (the lock uses '\\n' line ends)");
		if ((unsigned char)*p < ' ' && *p != '\t')
			return parse_error(st, "control character 0x%02x", (unsigned char)*p);
		if ((unsigned char)*p >= 0x7f)
			return parse_error(st, "non-ASCII byte 0x%02x", (unsigned char)*p);
	}

	if (tokenize(line, tok, MAX_TOKENS, &n) < 0)
		return parse_error(st, "too many fields (at most %d)", MAX_TOKENS);
	if (n == 0 || tok[0][0] == '#')
		return 0;

	if (streq(tok[0], "source-date-epoch")) {
		if (st->have_epoch)
			return parse_error(st, "source-date-epoch given twice");
		if (n != 2 || parse_u64(tok[1], &epoch) < 0)
			return parse_error(st, "expected 'source-date-epoch SECONDS'");
		st->lock->source_date_epoch = epoch;
		st->have_epoch = true;
		return 0;
	}
	if (!st->have_epoch)
		return parse_error(st, "the lock must start with 'source-date-epoch SECONDS'");
	if (streq(tok[0], "artifact"))
		return parse_artifact(st, tok, n);
	if (streq(tok[0], "image"))
		return parse_image(st, tok, n);
	return parse_error(st, "unknown entry '%s' (expected artifact or image)", tok[0]);
}

int lock_parse(const char *name, const char *buf, size_t len, struct lock **ret)
{
	struct parse_state st = {.name = name};
	const char *p = buf, *end = buf + len;
	int r = 0;

	if (len > LOCK_MAX_SIZE) {
		log_error("'%s': lock larger than %u bytes", name, LOCK_MAX_SIZE);
		return -EFBIG;
	}

	st.lock = xcalloc(1, sizeof(*st.lock));
	st.lock->path = xstrdup(name);

	while (p < end && r == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char line[LOCK_MAX_LINE + 1];

		st.line++;
		if (n > LOCK_MAX_LINE) {
			r = parse_error(&st, "line longer than %d bytes", LOCK_MAX_LINE);
			break;
		}
		if (memchr(p, '\0', n)) {
			r = parse_error(&st, "NUL byte in line");
			break;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		r = parse_line(&st, line);
		p += n + (nl ? 1 : 0);
	}
	if (r == 0 && !st.have_epoch) {
		st.line = st.line ? st.line : 1;
		r = parse_error(&st, "no 'source-date-epoch SECONDS' line");
	}

	free(st.artifact_lines);
	free(st.image_lines);
	if (r < 0) {
		lock_free(st.lock);
		return r;
	}
	*ret = st.lock;
	return 0;
}

int lock_load(const char *path, struct lock **ret)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r;

	r = read_file(path, LOCK_MAX_SIZE, &buf, &len);
	if (r == -EFBIG)
		return log_error_errno(r, "'%s': lock larger than %u bytes", path, LOCK_MAX_SIZE);
	if (r < 0)
		return log_error_errno(r, "cannot read lock '%s': %s", path, strerror(-r));
	return lock_parse(path, buf, len, ret);
}

char *lock_default_path(void)
{
	const char *env = getenv("FAASD_IMAGE_LOCK");

	if (!str_empty(env))
		return xstrdup(env);
	return data_path("profiles/artifacts.lock");
}

int lock_load_default(struct lock **ret)
{
	_cleanup_free_ char *path = lock_default_path();

	return lock_load(path, ret);
}

void lock_free(struct lock *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n_artifacts; i++) {
		struct lock_artifact *a = &l->artifacts[i];

		free(a->component);
		free(a->version);
		free(a->arch);
		free(a->url);
		free(a->sha256);
		free(a->checksum_url);
	}
	for (size_t i = 0; i < l->n_images; i++) {
		struct lock_image *img = &l->images[i];

		free(img->name);
		free(img->arch);
		free(img->url);
		free(img->sha256);
		free(img->checksums_url);
		free(img->signature_url);
		free(img->keyring);
	}
	free(l->artifacts);
	free(l->images);
	free(l->path);
	free(l);
}

static int compare_artifacts(const void *x, const void *y)
{
	const struct lock_artifact *a = *(const struct lock_artifact *const *)x;
	const struct lock_artifact *b = *(const struct lock_artifact *const *)y;
	int c = strcmp(a->component, b->component);

	if (c == 0)
		c = strverscmp(a->version, b->version);
	if (c == 0)
		c = strcmp(a->arch, b->arch);
	return c;
}

static int compare_images(const void *x, const void *y)
{
	const struct lock_image *a = *(const struct lock_image *const *)x;
	const struct lock_image *b = *(const struct lock_image *const *)y;
	int c = strcmp(a->name, b->name);

	return c ? c : strcmp(a->arch, b->arch);
}

static void format_lock(const struct lock *l, struct strbuf *out)
{
	_cleanup_free_ const struct lock_artifact **as = NULL;
	_cleanup_free_ const struct lock_image **is = NULL;

	as = xcalloc(l->n_artifacts, sizeof(*as));
	is = xcalloc(l->n_images, sizeof(*is));
	for (size_t i = 0; i < l->n_artifacts; i++)
		as[i] = &l->artifacts[i];
	for (size_t i = 0; i < l->n_images; i++)
		is[i] = &l->images[i];
	qsort(as, l->n_artifacts, sizeof(*as), compare_artifacts);
	qsort(is, l->n_images, sizeof(*is), compare_images);

	strbuf_adds(out, "# faasd-image artifacts lock: written by 'faasd-image lock --update'.\n"
			 "# Format and the origin of every hash: docs/artifacts.md.\n");
	strbuf_addf(out, "source-date-epoch %" PRIu64 "\n", l->source_date_epoch);

	if (l->n_artifacts)
		strbuf_addc(out, '\n');
	for (size_t i = 0; i < l->n_artifacts; i++) {
		const struct lock_artifact *a = as[i];

		strbuf_addf(out, "artifact %s %s %s %s", a->component, a->version, a->arch, a->url);
		if (a->sha256)
			strbuf_addf(out, " sha256=%s", a->sha256);
		if (a->size)
			strbuf_addf(out, " size=%" PRIu64, a->size);
		if (a->checksum_url)
			strbuf_addf(out, " checksum=%s", a->checksum_url);
		strbuf_addc(out, '\n');
	}

	if (l->n_images)
		strbuf_addc(out, '\n');
	for (size_t i = 0; i < l->n_images; i++) {
		const struct lock_image *img = is[i];

		strbuf_addf(out, "image %s %s %s", img->name, img->arch, img->url);
		if (img->sha256)
			strbuf_addf(out, " sha256=%s", img->sha256);
		if (img->size)
			strbuf_addf(out, " size=%" PRIu64, img->size);
		strbuf_addf(out, " checksums=%s", img->checksums_url);
		if (img->signature_url)
			strbuf_addf(out, " signature=%s keyring=%s", img->signature_url,
				    img->keyring);
		strbuf_addc(out, '\n');
	}
}

int lock_save(const struct lock *l, const char *path)
{
	struct strbuf out = STRBUF_INIT;
	int r;

	format_lock(l, &out);
	r = write_file_atomic(path, out.buf, out.len, 0644);
	strbuf_release(&out);
	if (r < 0)
		return log_error_errno(r, "cannot write lock '%s': %s", path, strerror(-r));
	return 0;
}

const struct lock_artifact *lock_find(const struct lock *l, const char *component,
				      const char *version, const char *arch)
{
	const struct lock_artifact *any = NULL;

	for (size_t i = 0; i < l->n_artifacts; i++) {
		const struct lock_artifact *a = &l->artifacts[i];

		if (!streq(a->component, component) || !streq(a->version, version))
			continue;
		if (streq(a->arch, arch))
			return a;
		if (streq(a->arch, "all"))
			any = a;
	}
	return any;
}

const struct lock_image *lock_find_image(const struct lock *l, const char *name,
					 const char *arch)
{
	for (size_t i = 0; i < l->n_images; i++)
		if (streq(l->images[i].name, name) && streq(l->images[i].arch, arch))
			return &l->images[i];
	return NULL;
}

char *lock_artifact_label(const struct lock_artifact *a)
{
	return xasprintf("%s %s %s", a->component, a->version, a->arch);
}

char *lock_image_label(const struct lock_image *img)
{
	return xasprintf("%s %s", img->name, img->arch);
}
