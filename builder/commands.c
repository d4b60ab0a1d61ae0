// SPDX-License-Identifier: MIT
/*
 * The table of subcommands, and the two small ones that need nothing but
 * the tables: version and completion. Kept out of main.c so that the unit
 * tests and fuzzers, which link everything but main, see the same table.
 */
#include "cli.h"
#include "commands.h"
#include "log.h"
#include "util.h"

#ifndef VERSION
#define VERSION "0.0.0"
#endif

const struct cli_command *const cli_commands[] = {
	&command_build,   &command_render, &command_personalize, &command_fetch,
	&command_lock,    &command_test,   &command_list,        &command_inspect,
	&command_version, &command_completion, NULL,
};

static int run_version(const struct cli_command *self, int argc, char **argv)
{
	int optind_ = cli_parse(self, argc, argv, NULL, NULL);

	if (optind_ < 0)
		return optind_ == -1 ? EXIT_OK : EXIT_USAGE;
	printf("faasd-image %s\n", VERSION);
	return EXIT_OK;
}

const struct cli_command command_version = {
	.name = "version",
	.summary = "Print the version of faasd-image.",
	.run = run_version,
};

static int run_completion(const struct cli_command *self, int argc, char **argv)
{
	int first = cli_parse(self, argc, argv, NULL, NULL);

	if (first < 0)
		return first == -1 ? EXIT_OK : EXIT_USAGE;
	if (first >= argc || !streq(argv[first], "bash")) {
		log_error("'completion' needs a shell name; only 'bash' is supported");
		return EXIT_USAGE;
	}
	cli_print_bash_completion();
	return EXIT_OK;
}

const struct cli_command command_completion = {
	.name = "completion",
	.args = "bash",
	.summary = "Print a shell completion script generated from the option tables.",
	.description = "Load it with: source <(faasd-image completion bash)",
	.run = run_completion,
};

