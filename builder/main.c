// SPDX-License-Identifier: MIT
/*
 * faasd-image: builds faasd appliances (qcow2, raw, Raspberry Pi SD images,
 * squashfs) and the cloud-init user-data that sets them up. main() parses the
 * global options, dispatches to a subcommand and is the only place that
 * exits; it also removes every registered temporary on the way out.
 */
#include <errno.h>

#include "cli.h"
#include "commands.h"
#include "log.h"
#include "run.h"
#include "util.h"

#ifndef VERSION
#define VERSION "0.0.0"
#endif

static void print_usage(FILE *f)
{
	fprintf(f, "usage: faasd-image [-v|-q] COMMAND [OPTIONS] [ARGS]\n\n"
		   "Builds faasd appliances and the cloud-init user-data that sets them up.\n\n"
		   "commands:\n");
	for (size_t i = 0; cli_commands[i]; i++)
		fprintf(f, "  %-12s %s\n", cli_commands[i]->name, cli_commands[i]->summary);
	fprintf(f, "\nWith no command, 'build' runs on the default profile.\n"
		   "'faasd-image COMMAND --help' describes each command.\n");
}

static const struct cli_command *find_command(const char *name)
{
	for (size_t i = 0; cli_commands[i]; i++)
		if (streq(cli_commands[i]->name, name))
			return cli_commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct cli_command *cmd;
	int i, r;

	signals_install();

	/* Global options before the subcommand. */
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (streq(argv[i], "-v") || streq(argv[i], "--verbose"))
			log_set_level(log_get_level() + 1);
		else if (streq(argv[i], "-q") || streq(argv[i], "--quiet"))
			log_set_level(LOG_ERROR);
		else if (streq(argv[i], "--version")) {
			printf("faasd-image %s\n", VERSION);
			return EXIT_OK;
		} else if (streq(argv[i], "-h") || streq(argv[i], "--help")) {
			print_usage(stdout);
			return EXIT_OK;
		} else
			break;
	}

	if (i >= argc || argv[i][0] == '-') {
		/* No command: build the default profile, passing any options on. */
		cmd = &command_build;
		argv[i - 1] = (char *)cmd->name;
		i--;
	} else {
		cmd = find_command(argv[i]);
		if (!cmd) {
			log_error("unknown command '%s'; see 'faasd-image --help'", argv[i]);
			return EXIT_USAGE;
		}
	}

	r = cmd->run(cmd, argc - i, argv + i);

	cleanup_temporaries();
	if (interrupted()) {
		log_set_stage(NULL);
		log_error("interrupted by signal %d; temporaries removed, previous outputs kept",
			  interrupted_signal());
		return EXIT_INTERRUPTED;
	}
	return r;
}
