// SPDX-License-Identifier: MIT
/* faasd-image lock: show or refresh the artifacts lock from upstream checksum files. */
#include "cli.h"
#include "commands.h"

static const struct cli_option options[] = {
	CLI_PROFILE_OPTIONS,
	{"update", 0, NULL, "refresh versions and hashes from upstream, reporting each change", OPT_UPDATE, NULL},
	{"mirror", 0, "URL|DIR", "read checksum files from a mirror laid out like upstream", OPT_MIRROR, NULL},
	CLI_OPTIONS_END,
};

static int run(const struct cli_command *self, int argc, char **argv)
{
	int first = cli_parse(self, argc, argv, NULL, NULL);

	if (first < 0)
		return first == -1 ? EXIT_OK : EXIT_USAGE;
	return cli_not_built(self, "the artifact lock");
}

const struct cli_command command_lock = {
	.name = "lock",
	.args = NULL,
	.summary = "Show or refresh the artifacts lock from upstream checksum files.",
	.options = options,
	.run = run,
};
