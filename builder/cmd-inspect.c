// SPDX-License-Identifier: MIT
/* faasd-image inspect: show what is inside an image; with --check, fail on per-instance state. */
#include "cli.h"
#include "commands.h"

static const struct cli_option options[] = {
	{"check", 0, NULL, "fail if the image holds secrets or per-instance state", OPT_CHECK, NULL},
	{"json", 0, NULL, "print the findings as JSON on stdout", OPT_JSON, NULL},
	CLI_OPTIONS_END,
};

static int run(const struct cli_command *self, int argc, char **argv)
{
	int first = cli_parse(self, argc, argv, NULL, NULL);

	if (first < 0)
		return first == -1 ? EXIT_OK : EXIT_USAGE;
	return cli_not_built(self, "image inspection");
}

const struct cli_command command_inspect = {
	.name = "inspect",
	.args = "IMAGE",
	.summary = "Show what is inside an image; with --check, fail on per-instance state.",
	.options = options,
	.run = run,
};
