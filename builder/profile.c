// SPDX-License-Identifier: MIT
/* Placeholder until the loader lands: every load fails plainly. */
#include <errno.h>

#include "log.h"
#include "profile.h"
#include "util.h"

int profile_load(const char *name_or_path, char *const *sets, struct profile **ret)
{
	(void)sets;
	(void)ret;
	log_error("profile '%s': the profile loader is not built yet", name_or_path);
	return -ENOSYS;
}

void profile_free(struct profile *p)
{
	free(p);
}

char **profile_list_shipped(void)
{
	return NULL;
}
