// SPDX-License-Identifier: MIT
/* faasd-image build: build the outputs of a profile: qcow2, raw, SD image, squashfs, user-data, seed. */
#include "cli.h"
#include "commands.h"

static const struct cli_option options[] = {
	CLI_PROFILE_OPTIONS,
	{"out-dir", 'o', "DIR", "write outputs under DIR/PROFILE (default: out)", OPT_OUT_DIR, "dir"},
	{"cache", 0, "DIR", "download cache (default: $XDG_CACHE_HOME/faasd-image)", OPT_CACHE, "dir"},
	{"offline", 0, NULL, "use only the cache; fail on anything missing", OPT_OFFLINE, NULL},
	{"mirror", 0, "URL|DIR", "fetch artifacts from a mirror laid out like upstream", OPT_MIRROR, NULL},
	{"dry-run", 0, NULL, "print the plan and stop", OPT_DRY_RUN, NULL},
	{"json", 0, NULL, "print the summary as JSON on stdout", OPT_JSON, NULL},
	CLI_OPTIONS_END,
};

static int run(const struct cli_command *self, int argc, char **argv)
{
	int first = cli_parse(self, argc, argv, NULL, NULL);

	if (first < 0)
		return first == -1 ? EXIT_OK : EXIT_USAGE;
	return cli_not_built(self, "the image bake");
}

const struct cli_command command_build = {
	.name = "build",
	.args = NULL,
	.summary = "Build the outputs of a profile: qcow2, raw, SD image, squashfs, user-data, seed.",
	.options = options,
	.run = run,
};
