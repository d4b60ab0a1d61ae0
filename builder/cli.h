/* SPDX-License-Identifier: MIT */
/*
 * Command-line tables. Each subcommand describes itself once, in a struct
 * cli_command with its option table; --help text, the man page's option
 * lists and the bash completion are all generated from these tables, so
 * they cannot disagree with what the parser accepts.
 */
#ifndef FAASD_IMAGE_CLI_H
#define FAASD_IMAGE_CLI_H

#include <stdbool.h>
#include <stddef.h>

/* Exit codes, documented in --help and faasd-image(1). */
enum exit_code {
	EXIT_OK = 0,
	EXIT_FAIL = 1,        /* the operation failed */
	EXIT_USAGE = 2,       /* bad command line */
	EXIT_PROFILE = 3,     /* no such profile, or an invalid one */
	EXIT_ARTIFACT = 4,    /* a download or a verification failed */
	EXIT_BUILD = 5,       /* a build step failed */
	EXIT_TEST = 6,        /* the booted image did not become healthy */
	EXIT_CHECK = 7,       /* inspect --check found something that must not be there */
	EXIT_NOT_BUILT = 8,   /* this stage of faasd-image is not built yet */
	EXIT_INTERRUPTED = 130,
};

/* Option ids above 255, so that they never clash with short option letters. */
enum option_id {
	OPT_HELP = 256,
	OPT_VERBOSE,
	OPT_QUIET,
	OPT_PROFILE,
	OPT_SET,
	OPT_JSON,
	OPT_OUTPUT,
	OPT_STDOUT,
	OPT_PROVIDER,
	OPT_CACHE,
	OPT_OFFLINE,
	OPT_MIRROR,
	OPT_UPDATE,
	OPT_TIMEOUT,
	OPT_KEEP,
	OPT_MACHINE,
	OPT_CHECK,
	OPT_DRY_RUN,
	OPT_OUT_DIR,
	OPT_SEED,
	OPT_FORMAT,
	OPT_ACCEL,
	OPT_PORT,
	OPT_INTO,
	OPT_ALLOW_HTTP,
	OPT_BOOT_FETCH_URL,
	OPT_MISSING,
	OPT_LOCK,       /* fetch, lock: the lock file to use instead of the shipped one */
	OPT_ALL,        /* fetch: every entry of the lock, without a profile */
	OPT_CANARY,     /* inspect: a string to look for in every byte of the disk */
};

struct cli_option {
	const char *long_name;
	int short_name; /* 0: none */
	const char *arg;  /* NULL: a flag; else the argument's name in --help */
	const char *help;
	int id;
	const char *complete; /* completion hint: "profile", "file", "dir", or a word list */
};

struct cli_command {
	const char *name;
	const char *args; /* the synopsis after the options, "IMAGE" */
	const char *summary;
	const char *description; /* a paragraph for --help, may be NULL */
	const struct cli_option *options; /* terminated by an entry with long_name NULL */
	int (*run)(const struct cli_command *self, int argc, char **argv);
};

/* Options every subcommand takes. */
#define CLI_COMMON_OPTIONS                                                                         \
	{"help", 'h', NULL, "show this help and exit", OPT_HELP, NULL},                            \
	{"verbose", 'v', NULL, "say more (repeat for debug output)", OPT_VERBOSE, NULL},           \
	{"quiet", 'q', NULL, "say only errors", OPT_QUIET, NULL}

#define CLI_PROFILE_OPTIONS                                                                        \
	{"profile", 'p', "PROFILE", "a shipped profile's name or a YAML file (default: qemu)",     \
	 OPT_PROFILE, "profile"},                                                                  \
	{"set", 's', "KEY=VALUE", "override a profile key, e.g. hostname=pi1 (repeatable)",        \
	 OPT_SET, NULL}

#define CLI_OPTIONS_END {NULL, 0, NULL, NULL, 0, NULL}

/*
 * Parses argv against cmd's options plus the common ones. For each option,
 * calls handle(id, optarg, userdata), which returns 0 or a negative value
 * to stop with a usage error (after logging it). -h/-v/-q are handled here.
 * Returns the index of the first operand, or -1 after printing help
 * (exit 0) or -2 on a usage error (exit 2; the message is already out).
 */
int cli_parse(const struct cli_command *cmd, int argc, char **argv,
	      int (*handle)(int id, const char *arg, void *userdata), void *userdata);

void cli_print_help(const struct cli_command *cmd);

/* The subcommands, for main, help and completion. Terminated by NULL. */
extern const struct cli_command *const cli_commands[];

/* Prints a bash completion script generated from the tables. */
void cli_print_bash_completion(void);

/* One clear line, exit code EXIT_NOT_BUILT: for a stage that does not exist yet. */
int cli_not_built(const struct cli_command *cmd, const char *what);

#endif
