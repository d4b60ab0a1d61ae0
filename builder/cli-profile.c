// SPDX-License-Identifier: MIT
/* --profile and --set for every command that loads a profile; see cli-profile.h. */
#include "cli-profile.h"
#include "cli.h"
#include "util.h"

int profile_args_option(struct profile_args *args, int id, const char *arg)
{
	switch (id) {
	case OPT_PROFILE:
		args->profile = arg;
		return 1;
	case OPT_SET:
		strv_push(&args->sets, arg);
		return 1;
	default:
		return 0;
	}
}

int profile_args_handler(int id, const char *arg, void *userdata)
{
	profile_args_option(userdata, id, arg);
	return 0;
}

int profile_args_load(const struct profile_args *args, struct profile **ret)
{
	return profile_load(args->profile ? args->profile : PROFILE_DEFAULT, args->sets, ret);
}

void profile_args_release(struct profile_args *args)
{
	strv_free(args->sets);
	args->sets = NULL;
}
