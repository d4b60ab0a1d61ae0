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
