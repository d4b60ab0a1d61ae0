// SPDX-License-Identifier: MIT
/* faasd-image fetch: download and verify every artifact a profile needs into the cache. */
#include "cli.h"
#include "commands.h"

static const struct cli_option options[] = {
	CLI_PROFILE_OPTIONS,
	{"cache", 0, "DIR", "download cache (default: $XDG_CACHE_HOME/faasd-image)", OPT_CACHE, "dir"},
	{"offline", 0, NULL, "use only the cache; fail on anything missing", OPT_OFFLINE, NULL},
	{"mirror", 0, "URL|DIR", "fetch artifacts from a mirror laid out like upstream", OPT_MIRROR, NULL},
	CLI_OPTIONS_END,
};

static int run(const struct cli_command *self, int argc, char **argv)
{
	int first = cli_parse(self, argc, argv, NULL, NULL);

	if (first < 0)
		return first == -1 ? EXIT_OK : EXIT_USAGE;
	return cli_not_built(self, "the artifact stage");
}

const struct cli_command command_fetch = {
	.name = "fetch",
	.args = NULL,
	.summary = "Download and verify every artifact a profile needs into the cache.",
	.options = options,
	.run = run,
};
