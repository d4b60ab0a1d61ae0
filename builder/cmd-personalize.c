// SPDX-License-Identifier: MIT
/* faasd-image personalize: rewrite the cloud-init seed files on the boot partition of an image. */
#include "cli.h"
#include "commands.h"

static const struct cli_option options[] = {
	CLI_PROFILE_OPTIONS,
	CLI_OPTIONS_END,
};

static int run(const struct cli_command *self, int argc, char **argv)
{
	int first = cli_parse(self, argc, argv, NULL, NULL);

	if (first < 0)
		return first == -1 ? EXIT_OK : EXIT_USAGE;
	return cli_not_built(self, "personalizing");
}

const struct cli_command command_personalize = {
	.name = "personalize",
	.args = "IMAGE",
	.summary = "Rewrite the cloud-init seed files on the boot partition of an image.",
	.options = options,
	.run = run,
};
