// SPDX-License-Identifier: MIT
/*
 * Downloads through libcurl's easy interface into the cache. One transfer
 * is one attempt; a loop around it retries what is transient, with
 * exponential backoff and the server's Retry-After, and resumes a partial
 * file with a Range request when the server answers 206. A download is
 * hashed and checked against the lock before it is renamed into the cache;
 * on any failure its partial file is removed. CURLcodes and HTTP statuses
 * are turned into one error line and a negative errno here, at the edge.
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include "cache.h"
#include "fetch.h"
#include "log.h"
#include "paths.h"
#include "run.h"
#include "util.h"

#ifndef VERSION
#define VERSION "0.0.0"
#endif

#define MAX_REDIRECTS 5L

/* Tunables; each can be overridden by an environment variable (documented). */
static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *v = getenv(name);
	char *end;
	unsigned long long n;

	if (str_empty(v))
		return def;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || *end || end == v) {
		log_warn("ignoring %s='%s': not a number", name, v);
		return def;
	}
	return n;
}

static void curl_init_once(void)
{
	static bool done;

	if (!done) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		done = true;
	}
}

/* The last path component of a URL, without query or fragment. Caller frees. */
static char *url_basename(const char *url)
{
	size_t n = strcspn(url, "?#");
	const char *start = url;

	for (size_t i = 0; i < n; i++)
		if (url[i] == '/')
			start = url + i + 1;
	return xstrndup(start, n - (size_t)(start - url));
}

static bool is_remote(const char *s)
{
	return str_starts_with(s, "https://") || str_starts_with(s, "http://");
}

char *fetch_mirror_location(const char *mirror, const char *upstream_url)
{
	const char *p = strstr(upstream_url, "://");
	const char *host, *path;
	size_t host_len;

	p = p ? p + 3 : upstream_url;
	host = p;
	path = strchr(p, '/');
	if (!path)
		path = p + strlen(p);
	host_len = (size_t)(path - host);

	if (host_len == strlen("github.com") && strncmp(host, "github.com", host_len) == 0) {
		/* /OWNER/REPO/rest -> REPO/rest */
		const char *repo = strchr(path + 1, '/');

		if (repo)
			return path_join(mirror, repo + 1);
	}
	if (host_len == strlen("raw.githubusercontent.com") &&
	    strncmp(host, "raw.githubusercontent.com", host_len) == 0) {
		/* /OWNER/REPO/TAG/FILE -> REPO/raw/TAG/FILE */
		const char *repo = strchr(path + 1, '/');
		const char *rest = repo ? strchr(repo + 1, '/') : NULL;

		if (rest) {
			_cleanup_free_ char *name = xstrndup(repo + 1, (size_t)(rest - repo - 1));
			_cleanup_free_ char *rel = xasprintf("%s/raw/%s", name, rest + 1);

			return path_join(mirror, rel);
		}
	}
	{
		_cleanup_free_ char *rel = xasprintf("%.*s%s", (int)host_len, host, path);

		return path_join(mirror, rel);
	}
}

/* Where to read upstream_url from: a URL (*ret_url) or a local file (*ret_local). */
static void resolve_source(const char *upstream_url, const struct fetch_opts *o, char **ret_url,
			   char **ret_local)
{
	*ret_url = *ret_local = NULL;
	if (!o->mirror)
		*ret_url = xstrdup(upstream_url);
	else if (is_remote(o->mirror))
		*ret_url = fetch_mirror_location(o->mirror, upstream_url);
	else
		*ret_local = fetch_mirror_location(o->mirror, upstream_url);
}

static int check_url_allowed(const char *url, const struct fetch_opts *o)
{
	if (str_starts_with(url, "https://"))
		return 0;
	if (str_starts_with(url, "http://") && o->allow_http)
		return 0;
	if (str_starts_with(url, "http://"))
		return log_error_errno(-EPROTONOSUPPORT,
				       "refusing plain-HTTP URL '%s'; only https is allowed "
				       "unless artifacts.allow_http is set (or --allow-http)",
				       url);
	return log_error_errno(-EPROTONOSUPPORT, "refusing URL '%s': only https is allowed",
			       url);
}

/* One transfer's state, shared with libcurl's callbacks. */
struct xfer {
	CURL *curl;
	int fd;             /* file sink, or -1 */
	struct strbuf *mem; /* memory sink, or NULL */
	size_t mem_max;
	uint64_t offset;    /* bytes in the file before this attempt (Range start) */
	uint64_t received;  /* body bytes taken in this attempt */
	bool checked;       /* the final response's status was looked at */
	long status;
	int write_errno;
	bool too_big;
	bool range_mismatch;
	int64_t range_start; /* from Content-Range, -1: none */
	const char *label;
	bool bar;
	uint64_t last_draw;
};

static size_t on_header(char *data, size_t size, size_t n, void *userdata)
{
	struct xfer *x = userdata;
	size_t len = size * n;

	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0)
		x->range_start = -1; /* a new response (after a redirect or 100) */
	else if (len > 14 && strncasecmp(data, "Content-Range:", 14) == 0) {
		const char *p = data + 14;
		long long start;

		while (p < data + len && *p == ' ')
			p++;
		if (sscanf(p, "bytes %lld-", &start) == 1)
			x->range_start = start;
	}
	return len;
}

static int write_all_fd(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Restarts the file from byte 0: the server ignored our Range. */
static int restart_file(struct xfer *x)
{
	if (ftruncate(x->fd, 0) < 0 || lseek(x->fd, 0, SEEK_SET) < 0)
		return -errno;
	x->offset = 0;
	return 0;
}

static size_t on_write(char *data, size_t size, size_t n, void *userdata)
{
	struct xfer *x = userdata;
	size_t len = size * n;
	int r;

	if (!x->checked) {
		curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &x->status);
		x->checked = true;
		if (x->fd >= 0 && x->offset > 0 && x->status == 200) {
			log_debug("server ignored the range request; starting over");
			if (restart_file(x) < 0) {
				x->write_errno = errno;
				return 0;
			}
		}
		if (x->status == 206 &&
		    (x->range_start < 0 || (uint64_t)x->range_start != x->offset)) {
			x->range_mismatch = true;
			return 0;
		}
	}
	if (x->status != 200 && x->status != 206)
		return len; /* an error page: read and dropped */

	if (x->mem) {
		if (x->mem->len + len > x->mem_max) {
			x->too_big = true;
			return 0;
		}
		strbuf_add(x->mem, data, len);
	} else {
		r = write_all_fd(x->fd, data, len);
		if (r < 0) {
			x->write_errno = -r;
			return 0;
		}
	}
	x->received += len;
	return len;
}

static void draw_bar(struct xfer *x, uint64_t now, uint64_t total)
{
	char done_s[16], total_s[16];
	uint64_t done = x->offset + x->received;

	format_size(done, done_s, sizeof(done_s));
	if (total) {
		unsigned pct = (unsigned)(done * 100 / total);
		int fill = (int)(pct / 5);

		format_size(total, total_s, sizeof(total_s));
		fprintf(stderr, "\r  %-36.36s [%-20.*s] %3u%% %s/%s\033[K", x->label, fill,
			"####################", pct, done_s, total_s);
	} else {
		fprintf(stderr, "\r  %-36.36s %s\033[K", x->label, done_s);
	}
	x->last_draw = now;
}

static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct xfer *x = userdata;
	uint64_t now;

	if (interrupted())
		return 1;
	if (!x->bar)
		return 0;
	now = now_ms();
	if (now - x->last_draw >= 200)
		draw_bar(x, now, dltotal > 0 ? x->offset + (uint64_t)dltotal : 0);
	return 0;
}

/* The result of one attempt, classified. */
struct attempt {
	int error;          /* 0 or a negative errno */
	bool transient;     /* worth another attempt */
	uint64_t retry_after; /* seconds the server asked for; 0: none */
	char reason[CURL_ERROR_SIZE + 64];
};

static bool curl_code_transient(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
		return true;
	default:
		return false;
	}
}

static bool status_transient(long status)
{
	return status == 408 || status == 429 || (status >= 500 && status <= 599);
}

static void classify(struct xfer *x, CURLcode c, const char *errbuf, struct attempt *a)
{
	long redirects = 0;
	curl_off_t retry_after = 0;

	*a = (struct attempt){0};
	curl_easy_getinfo(x->curl, CURLINFO_REDIRECT_COUNT, &redirects);
	if (!x->checked)
		curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &x->status);

	if (c == CURLE_ABORTED_BY_CALLBACK && interrupted()) {
		a->error = -EINTR;
		snprintf(a->reason, sizeof(a->reason), "interrupted");
	} else if (x->write_errno) {
		a->error = -x->write_errno;
		snprintf(a->reason, sizeof(a->reason), "cannot write the download: %s",
			 strerror(x->write_errno));
	} else if (x->too_big) {
		a->error = -EFBIG;
		snprintf(a->reason, sizeof(a->reason), "response larger than %zu bytes",
			 x->mem_max);
	} else if (x->range_mismatch) {
		a->error = -EPROTO;
		a->transient = true;
		snprintf(a->reason, sizeof(a->reason), "server answered a different range");
	} else if (c == CURLE_TOO_MANY_REDIRECTS) {
		a->error = -ELOOP;
		snprintf(a->reason, sizeof(a->reason), "more than %ld redirects (a redirect loop?)",
			 MAX_REDIRECTS);
	} else if (c == CURLE_UNSUPPORTED_PROTOCOL && redirects > 0) {
		a->error = -EPROTONOSUPPORT;
		snprintf(a->reason, sizeof(a->reason),
			 "redirected to a URL whose protocol is not allowed (%s)", errbuf);
	} else if (c == CURLE_PEER_FAILED_VERIFICATION || c == CURLE_SSL_CACERT_BADFILE ||
		   c == CURLE_SSL_CERTPROBLEM) {
		a->error = -EPERM;
		snprintf(a->reason, sizeof(a->reason), "TLS verification failed: %s", errbuf);
	} else if (c == CURLE_OPERATION_TIMEDOUT) {
		a->error = -ETIMEDOUT;
		a->transient = true;
		snprintf(a->reason, sizeof(a->reason), "too slow or timed out: %s", errbuf);
	} else if (c != CURLE_OK) {
		a->error = -EIO;
		a->transient = curl_code_transient(c);
		snprintf(a->reason, sizeof(a->reason), "%s",
			 errbuf[0] ? errbuf : curl_easy_strerror(c));
	} else if (x->status == 200 || x->status == 206) {
		return;
	} else {
		a->error = x->status == 404 || x->status == 410 ? -ENOENT
			   : x->status == 401 || x->status == 403 ? -EACCES
								    : -EIO;
		a->transient = status_transient(x->status);
		snprintf(a->reason, sizeof(a->reason), "HTTP status %ld", x->status);
	}

	if (a->transient && curl_easy_getinfo(x->curl, CURLINFO_RETRY_AFTER, &retry_after) ==
				    CURLE_OK && retry_after > 0)
		a->retry_after = (uint64_t)retry_after;
}

static int setup_curl(CURL *curl, const char *url, const struct fetch_opts *o, char *errbuf)
{
	const char *protocols = o->allow_http ? "http,https" : "https";
	const char *ca = o->ca_file ? o->ca_file : getenv("FAASD_IMAGE_CA_FILE");

	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(curl, CURLOPT_MAXREDIRS, MAX_REDIRECTS);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, protocols);
	curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, protocols);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "faasd-image/" VERSION);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT,
			 (long)env_u64("FAASD_IMAGE_CONNECT_TIMEOUT", 30));
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT,
			 (long)env_u64("FAASD_IMAGE_LOW_SPEED_LIMIT", 1024));
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME,
			 (long)env_u64("FAASD_IMAGE_LOW_SPEED_TIME", 60));
	if (!str_empty(ca) && curl_easy_setopt(curl, CURLOPT_CAINFO, ca) != CURLE_OK)
		return log_error_errno(-EINVAL, "cannot use CA file '%s'", ca);
	return 0;
}

/* Sleeps ms milliseconds in small steps; -EINTR if a signal arrives. */
static int sleep_interruptible(uint64_t ms)
{
	uint64_t end = now_ms() + ms;

	while (now_ms() < end) {
		struct timespec ts = {0, 100 * 1000 * 1000};

		if (interrupted())
			return -EINTR;
		nanosleep(&ts, NULL);
	}
	return interrupted() ? -EINTR : 0;
}

/* Where one transfer writes, and what it reports back. */
struct sink {
	int fd;             /* file, appended to from its current size; or -1 */
	struct strbuf *mem; /* or memory */
	size_t mem_max;
	bool bar;
	long status;        /* the final HTTP status */
	uint64_t offset;    /* where the transfer started in the file */
};

/* One transfer of url into the sink; *at says how it went. -errno only for local trouble. */
static int transfer_once(const char *url, const struct fetch_opts *o, const char *label,
			 struct sink *sk, struct attempt *at)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct xfer x = {.fd = sk->fd, .mem = sk->mem, .mem_max = sk->mem_max, .label = label,
			 .bar = sk->bar, .range_start = -1};
	struct stat st;
	CURLcode c;
	int r;

	x.curl = curl_easy_init();
	if (!x.curl)
		return log_error_errno(-ENOMEM, "cannot start libcurl");
	r = setup_curl(x.curl, url, o, errbuf);
	if (r < 0)
		goto out;
	if (sk->mem)
		sk->mem->len = 0;
	if (sk->fd >= 0) {
		if (fstat(sk->fd, &st) < 0 || lseek(sk->fd, 0, SEEK_END) < 0) {
			r = log_error_errno(-errno, "cannot use the download file: %s",
					    strerror(errno));
			goto out;
		}
		x.offset = (uint64_t)st.st_size;
		if (x.offset > 0) {
			char range[32];

			snprintf(range, sizeof(range), "%" PRIu64 "-", x.offset);
			curl_easy_setopt(x.curl, CURLOPT_RANGE, range);
			log_info("resuming %s at byte %" PRIu64, label, x.offset);
		}
	}
	curl_easy_setopt(x.curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(x.curl, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(x.curl, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(x.curl, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(x.curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(x.curl, CURLOPT_XFERINFODATA, &x);
	curl_easy_setopt(x.curl, CURLOPT_NOPROGRESS, 0L);

	c = curl_easy_perform(x.curl);
	classify(&x, c, errbuf, at);
	if (sk->bar)
		fprintf(stderr, "\r\033[K");
	sk->status = x.status;
	sk->offset = x.offset;
out:
	curl_easy_cleanup(x.curl);
	return r;
}

/* How long to wait before attempt number attempt + 1 (0-based). */
static uint64_t retry_delay_ms(const struct attempt *at, uint64_t attempt)
{
	uint64_t base_ms = env_u64("FAASD_IMAGE_RETRY_DELAY_MS", 1000);
	uint64_t after_max = env_u64("FAASD_IMAGE_RETRY_AFTER_MAX", 120);

	if (at->retry_after)
		return (at->retry_after < after_max ? at->retry_after : after_max) * 1000;
	return base_ms << (attempt < 16 ? attempt : 16);
}

/*
 * Downloads url into fd (appending from its current size with a Range
 * request when it is not empty) or into mem, retrying what is transient.
 * Logs one error line naming label on failure.
 */
static int download(const char *url, const struct fetch_opts *o, const char *label, int fd,
		    struct strbuf *mem, size_t mem_max)
{
	uint64_t retries = env_u64("FAASD_IMAGE_RETRIES", 4), attempts = 0;
	struct sink sk = {.fd = fd, .mem = mem, .mem_max = mem_max};
	struct attempt at = {0};
	int r;

	r = check_url_allowed(url, o);
	if (r < 0)
		return r;
	curl_init_once();
	sk.bar = fd >= 0 && isatty(STDERR_FILENO) && log_get_level() >= LOG_INFO;

	for (;;) {
		uint64_t delay;

		r = transfer_once(url, o, label, &sk, &at);
		if (r < 0)
			return r;
		attempts++;

		/* A server that cannot serve our range: start the file again, now. */
		if (at.error && fd >= 0 && sk.offset > 0 && sk.status == 416) {
			struct xfer reset = {.fd = fd};

			if (restart_file(&reset) < 0)
				return log_error_errno(-errno, "cannot truncate the download: %s",
						       strerror(errno));
			attempts--;
			continue;
		}
		if (!at.error || at.error == -EINTR)
			return at.error;
		if (!at.transient || attempts > retries)
			break;

		delay = retry_delay_ms(&at, attempts - 1);
		log_warn("%s: %s from '%s'; retrying in %" PRIu64 ".%" PRIu64 " s (attempt %" PRIu64
			 " of %" PRIu64 ")",
			 label, at.reason, url, delay / 1000, delay % 1000 / 100, attempts + 1,
			 retries + 1);
		r = sleep_interruptible(delay);
		if (r < 0)
			return r;
	}

	if (at.transient)
		return log_error_errno(at.error,
				       "cannot download %s from '%s': %s (gave up after %" PRIu64
				       " attempt%s)",
				       label, url, at.reason, attempts, attempts == 1 ? "" : "s");
	return log_error_errno(at.error, "cannot download %s from '%s': %s", label, url,
			       at.reason);
}

/* Appends the local file src to fd (a directory mirror), from fd's current size. */
static int copy_local(const char *src, int fd, const char *label)
{
	_cleanup_close_ int in = -1;
	static char buf[1 << 17];
	struct stat st;

	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return log_error_errno(-errno, "cannot read %s from mirror file '%s': %s", label,
				       src, strerror(errno));
	if (fstat(fd, &st) < 0 || lseek(in, st.st_size, SEEK_SET) < 0 ||
	    lseek(fd, 0, SEEK_END) < 0)
		return log_error_errno(-errno, "cannot read '%s': %s", src, strerror(errno));

	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		int r;

		if (interrupted())
			return -EINTR;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return log_error_errno(-errno, "cannot read '%s': %s", src,
					       strerror(errno));
		if (n == 0)
			return 0;
		r = write_all_fd(fd, buf, (size_t)n);
		if (r < 0)
			return log_error_errno(r, "cannot copy %s from '%s': %s", label, src,
					       strerror(-r));
	}
}

/* Fills fd from upstream_url through the mirror, if any. */
static int fetch_into_fd(const char *upstream_url, const struct fetch_opts *o, const char *label,
			 int fd)
{
	_cleanup_free_ char *url = NULL, *local = NULL;

	resolve_source(upstream_url, o, &url, &local);
	if (local)
		return copy_local(local, fd, label);
	log_info("downloading %s from '%s'", label, url);
	return download(url, o, label, fd, NULL, 0);
}

/* Opens (and locks) the partial file for hex, registered as a temporary. */
static int open_partial(const char *path, const char *label)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);

	if (fd < 0)
		return log_error_errno(-errno, "cannot create '%s': %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int r = errno == EWOULDBLOCK ? -EBUSY : -errno;

		close(fd);
		return log_error_errno(r, "%s: another faasd-image is downloading it into '%s'",
				       label, path);
	}
	temp_register(path);
	return fd;
}

static void discard_partial(const char *path, int fd)
{
	if (fd >= 0)
		close(fd);
	unlink(path);
	temp_unregister(path);
}

/* Checks the partial file against the pin and moves it into the cache. */
static int verify_and_commit(const char *partial, int fd, const char *hex, uint64_t size,
			     const char *label, const char *from, char **ret_path)
{
	char got[SHA256_HEX_LEN + 1];
	uint64_t got_size = 0;
	int r;

	r = sha256_file(partial, got, &got_size);
	if (r < 0) {
		discard_partial(partial, fd);
		return log_error_errno(r, "cannot read '%s': %s", partial, strerror(-r));
	}
	if (size && got_size != size) {
		discard_partial(partial, fd);
		return log_error_errno(-EBADMSG,
				       "%s from '%s' has %" PRIu64 " bytes, the lock pins %" PRIu64
				       " (truncated or replaced download)",
				       label, from, got_size, size);
	}
	if (!streq(got, hex)) {
		discard_partial(partial, fd);
		return log_error_errno(-EBADMSG,
				       "sha256 mismatch for %s from '%s': expected %s, got %s",
				       label, from, hex, got);
	}
	close(fd);
	return cache_commit(partial, hex, ret_path);
}

/*
 * A partial file left by a killed run: 1 when it is already complete and
 * right (nothing to download), 0 when the download should go on from its
 * end; one that is longer than the pin, or as long but wrong, is emptied.
 */
static int partial_usable(const char *partial, int fd, const char *hex, uint64_t size)
{
	char got[SHA256_HEX_LEN + 1];
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!size || (uint64_t)st.st_size < size)
		return 0;
	if ((uint64_t)st.st_size == size && sha256_file(partial, got, NULL) == 0 &&
	    streq(got, hex))
		return 1;
	if (ftruncate(fd, 0) < 0)
		return -errno;
	return 0;
}

/* The shared body of fetch_artifact and fetch_image, once the pin is known good. */
static int fetch_pinned(const char *label, const char *upstream_url, const char *hex,
			uint64_t size, const struct fetch_opts *o, char **ret_path,
			bool *ret_cached)
{
	_cleanup_free_ char *partial = NULL, *from = NULL;
	int fd, r;

	r = cache_lookup(hex, ret_path);
	if (r == 0) {
		if (ret_cached)
			*ret_cached = true;
		return 0;
	}
	if (r != -ENOENT)
		return r;
	if (o->offline)
		return log_error_errno(-ENOENT,
				       "%s is not in the cache '%s' and --offline forbids "
				       "downloading it",
				       label, cache_dir());

	r = cache_prepare();
	if (r < 0)
		return r;
	partial = cache_partial_path(hex);
	fd = open_partial(partial, label);
	if (fd < 0)
		return fd;

	r = partial_usable(partial, fd, hex, size);
	if (r < 0) {
		discard_partial(partial, fd);
		return log_error_errno(r, "cannot use '%s': %s", partial, strerror(-r));
	}
	if (r == 0) {
		r = fetch_into_fd(upstream_url, o, label, fd);
		if (r < 0) {
			discard_partial(partial, fd);
			return r;
		}
	}

	{
		_cleanup_free_ char *url = NULL, *local = NULL;

		resolve_source(upstream_url, o, &url, &local);
		from = xstrdup(url ? url : local);
	}
	r = verify_and_commit(partial, fd, hex, size, label, from, ret_path);
	if (r == 0 && ret_cached)
		*ret_cached = false;
	return r;
}

static int unpinned_error(const char *label)
{
	return log_error_errno(-ENOKEY,
			       "no sha256 pinned for '%s'; run 'faasd-image lock --update' where "
			       "the upstream is reachable",
			       label);
}

int fetch_artifact(const struct lock_artifact *a, const struct fetch_opts *o, char **ret_path,
		   bool *ret_cached)
{
	_cleanup_free_ char *label = lock_artifact_label(a);

	if (!a->sha256)
		return unpinned_error(label);
	return fetch_pinned(label, a->url, a->sha256, a->size, o, ret_path, ret_cached);
}

static char *keyring_path(const char *keyring)
{
	if (keyring[0] == '/')
		return xstrdup(keyring);
	return data_path(keyring);
}

/* Downloads a small file (checksums, signature) to a registered temporary path. */
static int fetch_small_file(const char *upstream_url, const struct fetch_opts *o,
			    const char *label, const char *path)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r;

	r = fetch_to_memory(upstream_url, o, CHECKSUM_FILE_MAX, &buf, &len);
	if (r < 0)
		return r;
	temp_register(path);
	r = write_file_atomic(path, buf, len, 0644);
	if (r < 0)
		return log_error_errno(r, "cannot write '%s' (%s): %s", path, label, strerror(-r));
	return 0;
}

int fetch_image_checksum(const struct lock_image *img, const struct fetch_opts *o,
			 char hex[SHA256_HEX_LEN + 1])
{
	_cleanup_free_ char *label = lock_image_label(img), *name = url_basename(img->url);
	_cleanup_free_ char *dir = NULL, *sums = NULL, *sig = NULL, *keyring = NULL;
	_cleanup_free_ char *buf = NULL;
	const char *why = NULL;
	size_t len;
	int r;

	r = cache_prepare();
	if (r < 0)
		return r;
	dir = xasprintf("%s/partial/.sums.faasd-image-tmp.%ld", cache_dir(), (long)getpid());
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return log_error_errno(-errno, "cannot create '%s': %s", dir, strerror(errno));
	temp_register(dir);
	sums = path_join(dir, "SHA256SUMS");
	sig = path_join(dir, "SHA256SUMS.gpg");

	r = fetch_small_file(img->checksums_url, o, "checksums", sums);
	if (r == 0 && img->signature_url) {
		keyring = keyring_path(img->keyring);
		r = fetch_small_file(img->signature_url, o, "signature", sig);
		if (r == 0)
			r = signature_verify(keyring, sig, sums, img->checksums_url);
	} else if (r == 0) {
		log_warn("%s: its checksums file is not signed (no signature= in the lock)", label);
	}
	if (r == 0)
		r = read_file(sums, CHECKSUM_FILE_MAX, &buf, &len);
	if (r == 0) {
		r = checksum_find(buf, len, name, hex, &why);
		if (r == -ENOENT)
			log_error("%s: '%s' lists no '%s'", label, img->checksums_url, name);
		else if (r < 0)
			log_error("%s: '%s' is malformed: %s", label, img->checksums_url, why);
	}

	remove_tree(dir);
	temp_unregister(dir);
	return r;
}

int fetch_image(const struct lock_image *img, const struct fetch_opts *o, char **ret_path,
		bool *ret_cached)
{
	_cleanup_free_ char *label = lock_image_label(img);
	char signed_hex[SHA256_HEX_LEN + 1];
	int r;

	if (!img->sha256)
		return unpinned_error(label);

	r = cache_lookup(img->sha256, ret_path);
	if (r == 0) {
		if (ret_cached)
			*ret_cached = true;
		return 0;
	}
	if (r != -ENOENT)
		return r;
	if (o->offline)
		return fetch_pinned(label, img->url, img->sha256, img->size, o, ret_path,
				    ret_cached);

	/* The signed list must agree with the pin before a byte of the image is fetched. */
	r = fetch_image_checksum(img, o, signed_hex);
	if (r < 0)
		return r;
	if (!streq(signed_hex, img->sha256))
		return log_error_errno(-EBADMSG,
				       "%s: the signed checksums give %s but the lock pins %s; the "
				       "release was replaced: run 'faasd-image lock --update'",
				       label, signed_hex, img->sha256);
	return fetch_pinned(label, img->url, img->sha256, img->size, o, ret_path, ret_cached);
}

int fetch_to_memory(const char *upstream_url, const struct fetch_opts *o, size_t max,
		    char **ret, size_t *ret_len)
{
	_cleanup_free_ char *url = NULL, *local = NULL, *label = url_basename(upstream_url);
	struct strbuf sb = STRBUF_INIT;
	int r;

	if (o->offline)
		return log_error_errno(-ENOENT, "'%s' is needed and --offline forbids downloading",
				       upstream_url);
	resolve_source(upstream_url, o, &url, &local);
	if (local) {
		r = read_file(local, max, ret, ret_len);
		if (r < 0)
			return log_error_errno(r, "cannot read mirror file '%s': %s", local,
					       strerror(-r));
		return 0;
	}
	r = download(url, o, label, -1, &sb, max);
	if (r < 0) {
		strbuf_release(&sb);
		return r;
	}
	*ret = strbuf_detach(&sb, ret_len);
	return 0;
}

int fetch_unpinned(const char *upstream_url, const struct fetch_opts *o, const char *label,
		   char hex[SHA256_HEX_LEN + 1], uint64_t *ret_size)
{
	_cleanup_free_ char *partial = NULL;
	int fd, r;

	if (o->offline)
		return log_error_errno(-ENOENT, "%s is needed and --offline forbids downloading",
				       label);
	r = cache_prepare();
	if (r < 0)
		return r;
	partial = xasprintf("%s/partial/.unpinned.faasd-image-tmp.%ld", cache_dir(),
			    (long)getpid());
	unlink(partial);
	fd = open_partial(partial, label);
	if (fd < 0)
		return fd;
	r = fetch_into_fd(upstream_url, o, label, fd);
	if (r == 0)
		r = sha256_file(partial, hex, ret_size);
	if (r < 0) {
		discard_partial(partial, fd);
		return r;
	}
	close(fd);
	return cache_commit(partial, hex, NULL);
}

int fetch_remote_size(const char *upstream_url, const struct fetch_opts *o, uint64_t *ret)
{
	_cleanup_free_ char *url = NULL, *local = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	curl_off_t length = -1;
	long status = 0;
	CURL *curl;
	CURLcode c;
	int r;

	*ret = 0;
	resolve_source(upstream_url, o, &url, &local);
	if (local) {
		struct stat st;

		if (stat(local, &st) < 0)
			return log_error_errno(-errno, "cannot stat mirror file '%s': %s", local,
					       strerror(errno));
		*ret = (uint64_t)st.st_size;
		return 0;
	}
	r = check_url_allowed(url, o);
	if (r < 0)
		return r;
	curl_init_once();
	curl = curl_easy_init();
	if (!curl)
		return log_error_errno(-ENOMEM, "cannot start libcurl");
	r = setup_curl(curl, url, o, errbuf);
	if (r == 0) {
		curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
		c = curl_easy_perform(curl);
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_getinfo(curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
		if (c != CURLE_OK)
			r = log_error_errno(-EIO, "HEAD '%s' failed: %s", url,
					    errbuf[0] ? errbuf : curl_easy_strerror(c));
		else if (status == 200 && length > 0)
			*ret = (uint64_t)length;
	}
	curl_easy_cleanup(curl);
	return r;
}

static void add_item(struct fetch_item **items, size_t *n, const struct lock_artifact *a,
		     const struct lock_image *img)
{
	for (size_t i = 0; i < *n; i++)
		if ((a && (*items)[i].artifact == a) || (img && (*items)[i].image == img))
			return;
	*items = xrealloc(*items, (*n + 1) * sizeof(**items));
	(*items)[(*n)++] = (struct fetch_item){.artifact = a, .image = img};
}

static int select_component(const struct lock *l, const char *component, const char *version,
			    const char *arch, struct fetch_item **items, size_t *n)
{
	const struct lock_artifact *a;

	if (!version)
		return log_error_errno(-EINVAL, "component '%s' comes from upstream but the "
						"profile names no version", component);
	a = lock_find(l, component, version, arch);
	if (!a)
		return log_error_errno(-ENOENT, "the lock '%s' has no entry for '%s %s %s'",
				       l->path, component, version, arch);
	add_item(items, n, a, NULL);
	return 0;
}

int fetch_select(const struct profile *p, const struct lock *l, struct fetch_item **ret,
		 size_t *ret_n)
{
	static const char *const compose_files[] = {
		COMPONENT_FAASD_COMPOSE, COMPONENT_FAASD_PROMETHEUS, COMPONENT_FAASD_RESOLV,
	};
	const struct {
		const char *name;
		const struct component *c;
	} parts[] = {
		{COMPONENT_CONTAINERD, p ? &p->containerd : NULL},
		{COMPONENT_RUNC, p ? &p->runc : NULL},
		{COMPONENT_CNI, p ? &p->cni : NULL},
		{COMPONENT_FAAS_CLI, p ? &p->faas_cli : NULL},
	};
	struct fetch_item *items = NULL;
	size_t n = 0;
	const char *arch;
	int r = 0;

	if (!p) {
		for (size_t i = 0; i < l->n_artifacts; i++)
			add_item(&items, &n, &l->artifacts[i], NULL);
		for (size_t i = 0; i < l->n_images; i++)
			add_item(&items, &n, NULL, &l->images[i]);
		*ret = items;
		*ret_n = n;
		return 0;
	}

	arch = arch_name(p->arch);
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(parts); i++)
		if (parts[i].c->source == SOURCE_UPSTREAM)
			r = select_component(l, parts[i].name, parts[i].c->version, arch, &items,
					     &n);
	if (r == 0 && p->faasd.source != SOURCE_NONE && p->faasd.version) {
		if (p->delivery == DELIVERY_BAKED)
			r = select_component(l, COMPONENT_FAASD, p->faasd.version, arch, &items,
					     &n);
		for (size_t i = 0; r == 0 && i < ARRAY_SIZE(compose_files); i++)
			r = select_component(l, compose_files[i], p->faasd.version, arch, &items,
					     &n);
	}
	if (r == 0 && p->base.kind == BASE_CLOUD_IMAGE) {
		const struct lock_image *img =
			p->base.image ? lock_find_image(l, p->base.image, arch) : NULL;

		if (!img)
			r = log_error_errno(-ENOENT, "the lock '%s' has no image '%s %s'", l->path,
					    p->base.image ? p->base.image : "(none named)", arch);
		else
			add_item(&items, &n, NULL, img);
	}
	if (r < 0) {
		free(items);
		return r;
	}
	*ret = items;
	*ret_n = n;
	return 0;
}
