// SPDX-License-Identifier: MIT
/*
 * faasd-standin: a test double for faasd, used only by faasd-image's tests.
 * It is published in the test world where the real faasd release would be,
 * so that an image can fetch, verify, install and start "faasd" without the
 * Internet. It is plainly not faasd: every line it prints names it.
 *
 *   up        reads ./docker-compose.yaml (the unit's WorkingDirectory is
 *             /var/lib/faasd), checks that every service's image is present
 *             in containerd's "openfaas" namespace (`ctr -n openfaas images
 *             ls -q`), fails with a clear message if one is missing, then
 *             serves the gateway's /healthz itself on port 8080 (it does not
 *             start the containers).
 *   provider  serves port 8081: 200 with the basic auth found in
 *             $secret_mount_path (default /var/lib/faasd/secrets)
 *             basic-auth-user and basic-auth-password, 401 otherwise.
 *   collect   a no-op that says so.
 *   version   says what it is.
 *
 * Test-only overrides: FAASD_STANDIN_CTR (the ctr program),
 * FAASD_STANDIN_GATEWAY_PORT, FAASD_STANDIN_PROVIDER_PORT.
 * It must never be mistaken for faasd, and it never talks to the network
 * beyond answering on its own ports.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define NAME "faasd-standin (test double for faasd; not faasd)"
#define STANDIN_VERSION "0.19.7-standin"
#define MAX_SERVICES 32
#define MAX_REQUEST 8192

struct service {
	char name[128];
	char image[256];
};

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints one line on stdout, prefixed with the stand-in's name. */
static void say(const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", NAME);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	if ((*s == '"' || *s == '\'') && end > s + 1 && end[-1] == *s) {
		end[-1] = '\0';
		s++;
	}
	return s;
}

/*
 * Finds the services of a compose file and their images, by indentation:
 * the keys one level under "services:" are service names, an "image:" key
 * below one is its image. Returns the number found, or -errno.
 */
static int compose_read(const char *path, struct service *svc, int max)
{
	char line[1024];
	FILE *f;
	int n = 0, in_services = 0, svc_indent = -1;

	f = fopen(path, "re");
	if (!f)
		return -errno;

	while (fgets(line, sizeof(line), f)) {
		char *p = line, *key;
		int indent = 0;

		while (*p == ' ') {
			p++;
			indent++;
		}
		if (*p == '#' || *p == '\n' || *p == '\0')
			continue;
		if (indent == 0) {
			in_services = strncmp(p, "services:", 9) == 0;
			svc_indent = -1;
			continue;
		}
		if (!in_services)
			continue;
		if (svc_indent < 0)
			svc_indent = indent;
		if (indent == svc_indent && n < max && strchr(p, ':')) {
			*strchr(p, ':') = '\0';
			snprintf(svc[n].name, sizeof(svc[n].name), "%s", trim(p));
			svc[n].image[0] = '\0';
			n++;
		} else if (indent > svc_indent && n > 0 && strncmp(p, "image:", 6) == 0) {
			key = trim(p + 6);
			snprintf(svc[n - 1].image, sizeof(svc[n - 1].image), "%s", key);
		}
	}

	fclose(f);
	return n;
}

/*
 * Runs `CTR -n openfaas images ls -q` and stores its output in buf.
 * Returns 0, or -EIO when ctr could not run or failed.
 */
static int images_list(char *buf, size_t size)
{
	const char *ctr = getenv("FAASD_STANDIN_CTR");
	int pfd[2], status;
	size_t len = 0;
	ssize_t r;
	pid_t pid;

	if (!ctr || !*ctr)
		ctr = "ctr";
	if (pipe(pfd) < 0)
		return -errno;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		close(pfd[1]);
		execlp(ctr, ctr, "-n", "openfaas", "images", "ls", "-q", (char *)NULL);
		_exit(127);
	}

	close(pfd[1]);
	while (len + 1 < size && (r = read(pfd[0], buf + len, size - 1 - len)) > 0)
		len += r;
	buf[len] = '\0';
	close(pfd[0]);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		return -EIO;
	return 0;
}

static int image_present(const char *list, const char *ref)
{
	size_t n = strlen(ref);
	const char *p = list;

	while ((p = strstr(p, ref))) {
		if ((p == list || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void base64_encode(const unsigned char *in, size_t n, char *out)
{
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		*out++ = b64[in[i] >> 2];
		*out++ = b64[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
		*out++ = b64[((in[i + 1] & 15) << 2) | (in[i + 2] >> 6)];
		*out++ = b64[in[i + 2] & 63];
	}
	if (i + 1 == n) {
		*out++ = b64[in[i] >> 2];
		*out++ = b64[(in[i] & 3) << 4];
		*out++ = '=';
		*out++ = '=';
	} else if (i + 2 == n) {
		*out++ = b64[in[i] >> 2];
		*out++ = b64[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
		*out++ = b64[(in[i + 1] & 15) << 2];
		*out++ = '=';
	}
	*out = '\0';
}

/* Reads the first line of DIR/NAME into buf, trimmed. Returns 0 or -errno. */
static int secret_read(const char *dir, const char *name, char *buf, size_t size)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(buf, size, f))
		buf[0] = '\0';
	fclose(f);
	memmove(buf, trim(buf), strlen(trim(buf)) + 1);
	return buf[0] ? 0 : -ENODATA;
}

static const char *secrets_dir(void)
{
	const char *d = getenv("secret_mount_path");

	return d && *d ? d : "/var/lib/faasd/secrets";
}

/* The expected Authorization value ("Basic ...") into out; 0 or -errno. */
static int auth_expected(char *out, size_t size)
{
	char user[256], pass[256], pair[520];
	int r;

	r = secret_read(secrets_dir(), "basic-auth-user", user, sizeof(user));
	if (r < 0)
		return r;
	r = secret_read(secrets_dir(), "basic-auth-password", pass, sizeof(pass));
	if (r < 0)
		return r;
	snprintf(pair, sizeof(pair), "%s:%s", user, pass);
	if (size < 6 + 4 * (strlen(pair) / 3 + 1) + 1)
		return -ENAMETOOLONG;
	strcpy(out, "Basic ");
	base64_encode((const unsigned char *)pair, strlen(pair), out + 6);
	return 0;
}

static int equal_const_time(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char d = la != lb;

	for (i = 0; i < la && i < lb; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

static void reply(int fd, int code, const char *reason, const char *extra, const char *body)
{
	char head[512];
	int n;

	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
		     "X-Served-By: faasd-standin\r\n%sConnection: close\r\n\r\n",
		     code, reason, strlen(body), extra ? extra : "");
	if (write(fd, head, n) < 0 || write(fd, body, strlen(body)) < 0)
		return;
}

/* Reads one request head; returns its length or -1. */
static int request_read(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t r;

	while (len + 1 < size) {
		r = read(fd, buf + len, size - 1 - len);
		if (r <= 0)
			return -1;
		len += r;
		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
			return len;
	}
	return -1;
}

static const char *header_value(char *req, const char *name)
{
	size_t n = strlen(name);
	char *line = strchr(req, '\n');

	while (line && line[1]) {
		line++;
		if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
			char *v = line + n + 1, *end = strpbrk(v, "\r\n");

			if (end)
				*end = '\0';
			return trim(v);
		}
		line = strchr(line, '\n');
	}
	return NULL;
}

enum role { ROLE_GATEWAY, ROLE_PROVIDER };

static void handle(int fd, enum role role)
{
	char req[MAX_REQUEST], method[16] = "", path[256] = "", expected[1024];
	const char *auth;

	if (request_read(fd, req, sizeof(req)) < 0)
		return;
	if (sscanf(req, "%15s %255s", method, path) != 2) {
		reply(fd, 400, "Bad Request", NULL, "bad request\n");
		return;
	}

	if (role == ROLE_GATEWAY) {
		if (strcmp(path, "/healthz") == 0) {
			reply(fd, 200, "OK", NULL, "OK\n");
			say("gateway: %s %s 200", method, path);
		} else {
			reply(fd, 404, "Not Found", NULL, NAME " serves only /healthz\n");
			say("gateway: %s %s 404", method, path);
		}
		return;
	}

	auth = header_value(req, "Authorization");
	if (auth_expected(expected, sizeof(expected)) < 0 || !auth ||
	    !equal_const_time(auth, expected)) {
		reply(fd, 401, "Unauthorized",
		      "WWW-Authenticate: Basic realm=\"faasd-standin\"\r\n", "unauthorized\n");
		say("provider: %s %s 401", method, path);
		return;
	}
	reply(fd, 200, "OK", NULL, "OK\n");
	say("provider: %s %s 200", method, path);
}

static int port_from_env(const char *var, int def)
{
	const char *v = getenv(var);
	int p = v ? atoi(v) : 0;

	return p > 0 && p < 65536 ? p : def;
}

/* Serves forever on PORT (all interfaces). Returns -errno if it cannot. */
static int serve(int port, enum role role)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct timeval tv = { .tv_sec = 5 };
	int one = 1, fd, c;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_addr.s_addr = htonl(INADDR_ANY);
	sa.sin_port = htons(port);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	say("%s listening on port %d", role == ROLE_GATEWAY ? "gateway" : "provider", port);

	for (;;) {
		c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return -errno;
		}
		setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		handle(c, role);
		close(c);
	}
}

static int cmd_up(void)
{
	struct service svc[MAX_SERVICES];
	static char list[65536];
	int n, i, r, missing = 0;

	n = compose_read("docker-compose.yaml", svc, MAX_SERVICES);
	if (n < 0) {
		say("up: cannot read 'docker-compose.yaml' in the working directory: %s",
		    strerror(-n));
		return 1;
	}
	if (n == 0) {
		say("up: 'docker-compose.yaml' names no services");
		return 1;
	}

	r = images_list(list, sizeof(list));
	if (r < 0) {
		say("up: cannot list the images of containerd namespace 'openfaas' "
		    "(is containerd running?)");
		return 1;
	}

	for (i = 0; i < n; i++) {
		if (!svc[i].image[0]) {
			say("up: service '%s' has no image", svc[i].name);
			missing++;
		} else if (!image_present(list, svc[i].image)) {
			say("up: image '%s' of service '%s' is missing from containerd "
			    "namespace 'openfaas'; a stand-in cannot pull it",
			    svc[i].image, svc[i].name);
			missing++;
		} else {
			say("up: service '%s': image '%s' present", svc[i].name, svc[i].image);
		}
	}
	if (missing) {
		say("up: %d image(s) missing, not starting", missing);
		return 1;
	}

	say("up: serving the gateway's /healthz itself (no containers are started)");
	r = serve(port_from_env("FAASD_STANDIN_GATEWAY_PORT", 8080), ROLE_GATEWAY);
	say("up: cannot serve: %s", strerror(-r));
	return 1;
}

static int cmd_provider(void)
{
	char expected[1024];
	int r;

	r = auth_expected(expected, sizeof(expected));
	if (r < 0) {
		say("provider: cannot read basic-auth-user and basic-auth-password in '%s': %s",
		    secrets_dir(), strerror(-r));
		return 1;
	}

	r = serve(port_from_env("FAASD_STANDIN_PROVIDER_PORT", 8081), ROLE_PROVIDER);
	say("provider: cannot serve: %s", strerror(-r));
	return 1;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	signal(SIGPIPE, SIG_IGN);

	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		say("version %s", STANDIN_VERSION);
		say("this is a test double for faasd, made by faasd-image's tests; "
		    "it is not faasd");
		return 0;
	}
	if (strcmp(cmd, "up") == 0)
		return cmd_up();
	if (strcmp(cmd, "provider") == 0)
		return cmd_provider();
	if (strcmp(cmd, "collect") == 0) {
		say("collect: does nothing in the stand-in");
		return 0;
	}

	say("usage: faasd {up|provider|collect|version}");
	return 2;
}
