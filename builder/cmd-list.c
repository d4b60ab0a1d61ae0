// SPDX-License-Identifier: MIT
/* faasd-image list: list the shipped profiles, one line each. */
#include "cli.h"
#include "commands.h"

static const struct cli_option options[] = {
	{"names", 0, NULL, "print only the names", OPT_FORMAT, NULL},
	{"json", 0, NULL, "print the list as JSON on stdout", OPT_JSON, NULL},
	CLI_OPTIONS_END,
};

static int run(const struct cli_command *self, int argc, char **argv)
{
	int first = cli_parse(self, argc, argv, NULL, NULL);

	if (first < 0)
		return first == -1 ? EXIT_OK : EXIT_USAGE;
	return cli_not_built(self, "profile listing");
}

const struct cli_command command_list = {
	.name = "list",
	.args = NULL,
	.summary = "List the shipped profiles, one line each.",
	.options = options,
	.run = run,
};
