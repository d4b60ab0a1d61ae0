// SPDX-License-Identifier: MIT
/* faasd-image render: render the cloud-init user-data of a profile for multipass or a VPS provider. */
#include "cli.h"
#include "commands.h"

static const struct cli_option options[] = {
	CLI_PROFILE_OPTIONS,
	{"provider", 0, "NAME", "size and encode for aws, hetzner, digitalocean, linode, openstack or generic",
	 OPT_PROVIDER, "aws hetzner digitalocean linode openstack generic"},
	{"output", 'o', "FILE", "write the user-data to FILE", OPT_OUTPUT, "file"},
	{"stdout", 0, NULL, "write the user-data to standard output", OPT_STDOUT, NULL},
	{"seed", 0, "FILE", "write a NoCloud seed image (vfat, label cidata) to FILE", OPT_SEED, "file"},
	CLI_OPTIONS_END,
};

static int run(const struct cli_command *self, int argc, char **argv)
{
	int first = cli_parse(self, argc, argv, NULL, NULL);

	if (first < 0)
		return first == -1 ? EXIT_OK : EXIT_USAGE;
	return cli_not_built(self, "rendering");
}

const struct cli_command command_render = {
	.name = "render",
	.args = NULL,
	.summary = "Render the cloud-init user-data of a profile for multipass or a VPS provider.",
	.options = options,
	.run = run,
};
