// SPDX-License-Identifier: MIT
/*
 * External programs, signals and temporaries. Programs are started with
 * posix_spawn-like fork+exec from an argv, in their own process group, with
 * their output captured through a pipe and shown only when they fail. The
 * signal handler does nothing but record the signal; the wait loop here and
 * the progress callbacks elsewhere notice it and unwind.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "log.h"
#include "run.h"
#include "util.h"

#define OUTPUT_TAIL_LINES 20
#define CAPTURE_MAX (16u << 20)

static volatile sig_atomic_t caught_signal;
static char **temporaries;

static void on_signal(int sig)
{
	caught_signal = sig;
}

void signals_install(void)
{
	struct sigaction sa = {0};

	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

bool interrupted(void)
{
	return caught_signal != 0;
}

int interrupted_signal(void)
{
	return caught_signal;
}

bool program_exists(const char *name)
{
	const char *path = getenv("PATH");
	_cleanup_free_ char *copy = NULL;
	char *dir, *save = NULL;

	if (strchr(name, '/'))
		return access(name, X_OK) == 0;
	copy = xstrdup(path ? path : "/usr/bin:/bin");
	for (dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		_cleanup_free_ char *full = path_join(dir, name);

		if (access(full, X_OK) == 0)
			return true;
	}
	return false;
}

static void child_exec(char *const argv[], const struct run_opts *opts, int out_fd)
{
	int in_fd;

	setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);

	in_fd = open(opts && opts->stdin_path ? opts->stdin_path : "/dev/null", O_RDONLY);
	if (in_fd < 0)
		_exit(126);
	dup2(in_fd, STDIN_FILENO);

	if (opts && opts->stdout_path) {
		int fd = open(opts->stdout_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (fd < 0)
			_exit(126);
		dup2(fd, STDOUT_FILENO);
	} else if (out_fd >= 0) {
		dup2(out_fd, STDOUT_FILENO);
	}
	if (out_fd >= 0)
		dup2(out_fd, STDERR_FILENO);

	if (opts && opts->cwd && chdir(opts->cwd) < 0)
		_exit(126);
	/* mtools and friends stamp local time into what they write: never the host's zone. */
	putenv("TZ=UTC");
	for (char *const *e = opts ? opts->env : NULL; e && *e; e++)
		putenv(*e);

	execvp(argv[0], argv);
	_exit(errno == ENOENT ? 127 : 126);
}

static void kill_group(pid_t pid)
{
	kill(-pid, SIGTERM);
	for (int i = 0; i < 50; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		usleep(100000);
	}
	kill(-pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Reads the child's output until it exits, the deadline passes or we are interrupted. */
static int collect(pid_t pid, int fd, const struct run_opts *opts, struct strbuf *out, int *status)
{
	uint64_t deadline = opts && opts->timeout_sec ? now_ms() + opts->timeout_sec * 1000ull : 0;
	bool open_pipe = fd >= 0;

	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		pid_t w;

		if (caught_signal) {
			kill_group(pid);
			return -EINTR;
		}
		if (deadline && now_ms() > deadline) {
			kill_group(pid);
			return -ETIMEDOUT;
		}

		if (open_pipe && poll(&pfd, 1, 200) > 0) {
			char buf[8192];
			ssize_t n = read(fd, buf, sizeof(buf));

			if (n > 0 && out->len < CAPTURE_MAX)
				strbuf_add(out, buf, (size_t)n);
			if (n > 0)
				continue;
			if (n == 0)
				open_pipe = false;
		} else if (!open_pipe) {
			usleep(50000);
		}

		w = waitpid(pid, status, open_pipe ? WNOHANG : WNOHANG);
		if (w == pid && !open_pipe)
			return 0;
		if (w == pid) {
			/* Drain what is left; grandchildren may hold the pipe, so do not block. */
			char buf[8192];
			ssize_t n;

			fcntl(fd, F_SETFL, O_NONBLOCK);
			while ((n = read(fd, buf, sizeof(buf))) > 0 && out->len < CAPTURE_MAX)
				strbuf_add(out, buf, (size_t)n);
			return 0;
		}
	}
}

int run_argv_status(char *const argv[], const struct run_opts *opts, char **ret_output)
{
	struct strbuf out = STRBUF_INIT;
	bool capture = !(opts && opts->passthrough);
	int pipefd[2] = {-1, -1};
	int status = 0, r;
	pid_t pid;

	if (capture && pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		r = -errno;
		if (capture) {
			close(pipefd[0]);
			close(pipefd[1]);
		}
		return r;
	}
	if (pid == 0)
		child_exec(argv, opts, capture ? pipefd[1] : -1);

	setpgid(pid, pid);
	if (capture)
		close(pipefd[1]);

	r = collect(pid, capture ? pipefd[0] : -1, opts, &out, &status);
	if (capture)
		close(pipefd[0]);

	if (ret_output)
		*ret_output = strbuf_detach(&out, NULL);
	else
		strbuf_release(&out);
	if (r < 0)
		return r;

	if (WIFEXITED(status)) {
		if (WEXITSTATUS(status) == 127 && !program_exists(argv[0]))
			return -ENOENT;
		return WEXITSTATUS(status);
	}
	return 128 + WTERMSIG(status);
}

static void log_output_tail(const char *output)
{
	const char *p, *start = output;
	int lines = 0;

	if (str_empty(output))
		return;
	for (p = output + strlen(output); p > output; p--) {
		if (p[-1] == '\n' && p[0] != '\0' && ++lines > OUTPUT_TAIL_LINES) {
			start = p;
			break;
		}
	}
	/* The tool's own words, unchanged, after our one line. */
	fputs(start, stderr);
	if (output[strlen(output) - 1] != '\n')
		fputc('\n', stderr);
}

int run_argv(char *const argv[], const struct run_opts *opts, char **ret_output)
{
	_cleanup_free_ char *output = NULL;
	int r;

	log_debug("running '%s'", argv[0]);
	r = run_argv_status(argv, opts, &output);
	if (r == -ENOENT)
		log_error("program '%s' not found; run ci/install-deps.sh", argv[0]);
	else if (r == -ETIMEDOUT)
		log_error("'%s' did not finish within %u s", argv[0], opts ? opts->timeout_sec : 0);
	else if (r == -EINTR)
		log_debug("'%s' stopped: interrupted", argv[0]);
	else if (r < 0)
		log_error("cannot run '%s': %s", argv[0], strerror(-r));
	else if (r > 0) {
		log_error("'%s' failed with exit status %d:", argv[0], r);
		log_output_tail(output);
		r = -EIO;
	}

	if (ret_output)
		*ret_output = TAKE_PTR(output);
	return r;
}

/* Background programs from run_spawn(); a handful at most. */
struct spawned {
	pid_t pid;
	bool exited;
	int status;
};

static struct spawned spawned[8];

static struct spawned *spawned_find(pid_t pid)
{
	for (size_t i = 0; i < ARRAY_SIZE(spawned); i++)
		if (spawned[i].pid == pid && pid > 0)
			return &spawned[i];
	return NULL;
}

static void spawn_child(char *const argv[], const struct run_opts *opts)
{
	const char *out = opts && opts->stdout_path ? opts->stdout_path : "/dev/null";
	int in_fd, out_fd;

	setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);

	in_fd = open("/dev/null", O_RDONLY);
	out_fd = open(out, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (in_fd < 0 || out_fd < 0)
		_exit(126);
	dup2(in_fd, STDIN_FILENO);
	dup2(out_fd, STDOUT_FILENO);
	dup2(out_fd, STDERR_FILENO);

	if (opts && opts->cwd && chdir(opts->cwd) < 0)
		_exit(126);
	for (char *const *e = opts ? opts->env : NULL; e && *e; e++)
		putenv(*e);

	execvp(argv[0], argv);
	_exit(errno == ENOENT ? 127 : 126);
}

int run_spawn(char *const argv[], const struct run_opts *opts, int *ret_pid)
{
	struct spawned *slot = spawned_find(0);
	pid_t pid;

	for (size_t i = 0; !slot && i < ARRAY_SIZE(spawned); i++)
		if (spawned[i].pid == 0)
			slot = &spawned[i];
	if (!slot)
		return -EMFILE;

	log_debug("starting '%s' in the background", argv[0]);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		spawn_child(argv, opts);

	setpgid(pid, pid);
	*slot = (struct spawned){.pid = pid};
	*ret_pid = pid;
	return 0;
}

bool run_running(int pid, int *ret_status)
{
	struct spawned *s = spawned_find(pid);

	if (!s)
		return false;
	if (!s->exited && waitpid(pid, &s->status, WNOHANG) == pid)
		s->exited = true;
	if (s->exited && ret_status)
		*ret_status = s->status;
	return !s->exited;
}

void run_kill(int pid)
{
	struct spawned *s = spawned_find(pid);

	if (!s)
		return;
	if (!s->exited)
		kill_group(pid);
	*s = (struct spawned){0};
}

void temp_register(const char *path)
{
	strv_push(&temporaries, path);
}

void temp_unregister(const char *path)
{
	size_t n = strv_length(temporaries);

	for (size_t i = 0; i < n; i++) {
		if (!streq(temporaries[i], path))
			continue;
		free(temporaries[i]);
		memmove(&temporaries[i], &temporaries[i + 1], (n - i) * sizeof(char *));
		return;
	}
}

void cleanup_temporaries(void)
{
	size_t n = strv_length(temporaries);

	/* A program still running may hold a temporary open: end it first. */
	for (size_t i = 0; i < ARRAY_SIZE(spawned); i++)
		if (spawned[i].pid > 0)
			run_kill(spawned[i].pid);

	/* Newest first: a file inside a temporary directory goes before the directory. */
	while (n-- > 0) {
		remove_tree(temporaries[n]);
		free(temporaries[n]);
		temporaries[n] = NULL;
	}
	free(temporaries);
	temporaries = NULL;
}

#define TEMP_MARK ".faasd-image-tmp."

char *temp_name_for(const char *final_path)
{
	const char *slash = strrchr(final_path, '/');

	if (!slash)
		return xasprintf(".%s" TEMP_MARK "%ld", final_path, (long)getpid());
	return xasprintf("%.*s/.%s" TEMP_MARK "%ld", (int)(slash - final_path), final_path,
			 slash + 1, (long)getpid());
}

void remove_stale_temporaries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		const char *mark = strstr(e->d_name, TEMP_MARK);
		long pid;

		if (!mark)
			continue;
		pid = strtol(mark + strlen(TEMP_MARK), NULL, 10);
		if (pid <= 0 || (kill((pid_t)pid, 0) < 0 && errno == ESRCH)) {
			_cleanup_free_ char *p = path_join(dir, e->d_name);

			log_info("removing '%s', left by an interrupted run", p);
			remove_tree(p);
		}
	}
	closedir(d);
}
