/* SPDX-License-Identifier: MIT */
/*
 * The one place that starts external programs (mke2fs, mcopy, qemu-img,
 * mmdebstrap, qemu, ...), always from an argv and never through a shell,
 * and the one place that owns signals and the list of temporary paths to
 * remove when a run ends early.
 */
#ifndef FAASD_IMAGE_RUN_H
#define FAASD_IMAGE_RUN_H

#include <stdbool.h>
#include <stddef.h>

struct run_opts {
	const char *cwd;         /* working directory, NULL for ours */
	char *const *env;        /* extra "NAME=value" entries, NULL-terminated */
	unsigned timeout_sec;    /* 0: no limit */
	bool passthrough;        /* show the program's output live instead of capturing it */
	const char *stdin_path;  /* file to connect to stdin; /dev/null when NULL */
	const char *stdout_path; /* file to write stdout to (stderr still captured) */
};

/*
 * Runs argv[0] (looked up in PATH) and waits for it. The child gets its own
 * process group, which is killed on timeout or when SIGINT/SIGTERM arrives.
 * Returns 0 when it exited with status 0; otherwise logs the command and the
 * last lines of its output once and returns -EIO (failed), -ETIMEDOUT,
 * -EINTR (we were interrupted) or -ENOENT (no such program). When ret_output
 * is given, it receives the captured stdout+stderr (caller frees), on
 * success and failure alike.
 */
int run_argv(char *const argv[], const struct run_opts *opts, char **ret_output);

/* Like run_argv, but quiet on failure: returns the exit status (>= 0) or a negative errno. */
int run_argv_status(char *const argv[], const struct run_opts *opts, char **ret_output);

/*
 * Starts argv[0] in the background, in its own process group, stdin from
 * /dev/null and stdout+stderr appended to opts->stdout_path (/dev/null when
 * NULL); cwd and env as for run_argv, timeout_sec and passthrough ignored.
 * The group is remembered: run_kill() ends it, and cleanup_temporaries()
 * ends any group still running, so that an interrupted run leaves no
 * program behind. Returns 0 and the pid in *ret_pid, or a negative errno.
 */
int run_spawn(char *const argv[], const struct run_opts *opts, int *ret_pid);

/*
 * True while a program from run_spawn() runs. Once it has exited, returns
 * false and, when ret_status is given, its wait status (as from waitpid).
 */
bool run_running(int pid, int *ret_status);

/* Ends a program from run_spawn(): SIGTERM to its group, SIGKILL after 5 s; reaps it. */
void run_kill(int pid);

/* True when a program of that name is in PATH. */
bool program_exists(const char *name);

/*
 * Signals. signals_install() makes SIGINT and SIGTERM set a flag rather than
 * kill us, so that every stage can unwind, remove its temporaries and leave
 * the previous outputs intact. Long loops call interrupted() and return
 * -EINTR when it is true.
 */
void signals_install(void);
bool interrupted(void);
int interrupted_signal(void);

/*
 * Temporaries: a path registered here is removed (recursively) by
 * cleanup_temporaries(), which main calls on every exit path. Unregister it
 * once it has been renamed into place.
 */
void temp_register(const char *path);
void temp_unregister(const char *path);
void cleanup_temporaries(void);

/*
 * A temporary name beside final_path that a later run can recognise as
 * stale: "DIR/.BASENAME.faasd-image-tmp.PID". Caller frees.
 */
char *temp_name_for(const char *final_path);

/* Removes stale temporaries in dir left by runs that were killed (their PID is gone). */
void remove_stale_temporaries(const char *dir);

#endif
