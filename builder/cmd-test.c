// SPDX-License-Identifier: MIT
/* faasd-image test: boot an image in QEMU and check that cloud-init finished and faasd answers. */
#include "cli.h"
#include "commands.h"

static const struct cli_option options[] = {
	CLI_PROFILE_OPTIONS,
	{"timeout", 0, "SECONDS", "give up after this long (default: 900)", OPT_TIMEOUT, NULL},
	{"keep", 0, NULL, "keep the overlay and the serial log", OPT_KEEP, NULL},
	{"machine", 0, "NAME", "QEMU machine: q35, virt or raspi3b", OPT_MACHINE, "q35 virt raspi3b"},
	{"seed", 0, "FILE", "NoCloud seed to attach (default: render one from the profile)", OPT_SEED, "file"},
	{"json", 0, NULL, "print the report as JSON on stdout", OPT_JSON, NULL},
	CLI_OPTIONS_END,
};

static int run(const struct cli_command *self, int argc, char **argv)
{
	int first = cli_parse(self, argc, argv, NULL, NULL);

	if (first < 0)
		return first == -1 ? EXIT_OK : EXIT_USAGE;
	return cli_not_built(self, "the boot test");
}

const struct cli_command command_test = {
	.name = "test",
	.args = "IMAGE",
	.summary = "Boot an image in QEMU and check that cloud-init finished and faasd answers.",
	.options = options,
	.run = run,
};
