/* SPDX-License-Identifier: MIT */
/*
 * Small helpers every module shares: cleanup attributes, growable strings
 * and string vectors, whole-file reads, and the write-to-temporary-then-
 * rename discipline that keeps a previous output intact on any failure.
 * Fallible functions return 0 or a negative errno and log nothing, so that
 * the caller, which knows the context, logs once.
 */
#ifndef FAASD_IMAGE_UTIL_H
#define FAASD_IMAGE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline bool streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static inline bool str_empty(const char *s)
{
	return !s || !*s;
}

static inline bool str_starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool str_ends_with(const char *s, const char *suffix);

/* Cleanup attributes, as in systemd: the variable is freed when it leaves scope. */
static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

static inline void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

void strv_freep(char ***v);

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_strv_free_ _cleanup_(strv_freep)

/* Hands a pointer over: the cleanup attribute then sees NULL. */
#define TAKE_PTR(p)                                                                                \
	({                                                                                         \
		__typeof__(p) taken_ = (p);                                                        \
		(p) = NULL;                                                                        \
		taken_;                                                                            \
	})

/* Allocation that never returns NULL: out of memory aborts with a message. */
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable, always NUL-terminated byte string. Embedded NULs are allowed. */
struct strbuf {
	char *buf;
	size_t len;
	size_t alloc;
};

#define STRBUF_INIT {NULL, 0, 0}

void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_adds(struct strbuf *sb, const char *s);
void strbuf_addc(struct strbuf *sb, char c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Returns the buffer (never NULL) and leaves sb empty; the caller frees it. */
char *strbuf_detach(struct strbuf *sb, size_t *len);
void strbuf_release(struct strbuf *sb);

/*
 * Appends s as a JSON string literal, quotes included: '"', '\' and control
 * characters escaped, everything else (UTF-8 included) as it is.
 */
void json_escape(struct strbuf *sb, const char *s);

/* NULL-terminated string vectors. */
size_t strv_length(char *const *v);
void strv_push(char ***v, const char *s);
char **strv_copy(char *const *v);
bool strv_contains(char *const *v, const char *s);
/* Sorts v in place (strcmp order) and drops duplicates. */
void strv_sort_unique(char **v);
void strv_free(char **v);

/* Reads a whole file, at most max_size bytes (-EFBIG beyond). NUL-terminated. */
int read_file(const char *path, size_t max_size, char **ret, size_t *ret_len);

/*
 * Writes data to "path.tmp-XXXXXX" beside path with the given mode, fsyncs,
 * renames over path and fsyncs the directory. On any failure the temporary is
 * removed and path is untouched.
 */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* mkdir -p, mode for every directory it creates. */
int mkdir_p(const char *path, mode_t mode);

/* rm -rf of one tree; does not follow symlinks; missing is not an error. */
int remove_tree(const char *path);

bool file_exists(const char *path);
bool dir_exists(const char *path);

/* "a" + "/" + "b", without doubling the slash. */
char *path_join(const char *a, const char *b);

/* Parses a decimal number: digits only, no sign, no blanks; -ERANGE on overflow. */
int parse_uint64(const char *s, uint64_t *ret);

/* Parses "4G", "512M", "100K", "1073741824" (powers of 1024). */
int parse_size(const char *s, uint64_t *ret);

/* Formats a byte count for humans, "1.2 GiB". buf of at least 16 bytes. */
const char *format_size(uint64_t bytes, char *buf, size_t len);

/* Monotonic clock in milliseconds. */
uint64_t now_ms(void);

#endif
