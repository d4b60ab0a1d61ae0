/* SPDX-License-Identifier: MIT */
/*
 * The --profile and --set options, shared by every command that loads a
 * profile (build, render, fetch, test, list --show). A command keeps a
 * struct profile_args, hands OPT_PROFILE and OPT_SET to
 * profile_args_option() from its cli_parse() handler (or uses
 * profile_args_handler directly when it has no options of its own), then
 * calls profile_args_load() and returns EXIT_PROFILE if that fails:
 *
 *	struct profile_args args = PROFILE_ARGS_INIT;
 *	int first = cli_parse(self, argc, argv, profile_args_handler, &args);
 *	...
 *	if (profile_args_load(&args, &p) < 0)
 *		return EXIT_PROFILE;   (the one-line error is already out)
 *	...
 *	profile_args_release(&args);
 */
#ifndef FAASD_IMAGE_CLI_PROFILE_H
#define FAASD_IMAGE_CLI_PROFILE_H

#include "profile.h"

struct profile_args {
	const char *profile; /* --profile, NULL: PROFILE_DEFAULT; points into argv */
	char **sets;         /* --set, in order; owned */
};

#define PROFILE_ARGS_INIT {NULL, NULL}

/*
 * Takes OPT_PROFILE and OPT_SET. Returns 1 when it took the option, 0 when
 * id is not one of them (the caller handles it), never fails.
 */
int profile_args_option(struct profile_args *args, int id, const char *arg);

/* A cli_parse() handler for commands whose only options are the profile ones. */
int profile_args_handler(int id, const char *arg, void *userdata);

/*
 * profile_load() with the parsed options. Returns 0 and *ret (caller frees
 * with profile_free), or a negative errno after logging one line; the
 * caller then returns EXIT_PROFILE.
 */
int profile_args_load(const struct profile_args *args, struct profile **ret);

void profile_args_release(struct profile_args *args);

#endif
