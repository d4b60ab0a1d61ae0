// SPDX-License-Identifier: MIT
/*
 * faasd-image inspect: show what is inside an image (OS, kernels, component
 * versions, enabled units, how faasd is delivered) and what must not be in
 * it (secrets, per-instance state); with --check, exit 7 when anything of
 * the latter is found, so that a user can check an image before sharing or
 * after receiving it. The report goes to stdout, as text or JSON.
 */
#include <errno.h>

#include "cli.h"
#include "commands.h"
#include "inspect.h"
#include "log.h"
#include "util.h"

static const struct cli_option options[] = {
	{"check", 0, NULL, "fail if the image holds secrets or per-instance state", OPT_CHECK,
	 NULL},
	{"json", 0, NULL, "print the findings as JSON on stdout", OPT_JSON, NULL},
	{"canary", 0, "STRING", "also look for STRING in every byte of the disk, free blocks "
	 "included (with --check: found is a finding)", OPT_CANARY, NULL},
	CLI_OPTIONS_END,
};

struct inspect_args {
	bool check;
	bool json;
	const char *canary;
};

static int handle(int id, const char *arg, void *userdata)
{
	struct inspect_args *a = userdata;

	switch (id) {
	case OPT_CHECK:
		a->check = true;
		break;
	case OPT_JSON:
		a->json = true;
		break;
	case OPT_CANARY:
		if (str_empty(arg)) {
			log_error("--canary needs a non-empty string");
			return -EINVAL;
		}
		a->canary = arg;
		break;
	}
	return 0;
}

static int run(const struct cli_command *self, int argc, char **argv)
{
	struct inspect_args args = {0};
	struct inspect_report report;
	struct inspect_opts opts = {0};
	struct strbuf out = STRBUF_INIT;
	size_t findings;
	int first = cli_parse(self, argc, argv, handle, &args);
	int r;

	if (first < 0)
		return first == -1 ? EXIT_OK : EXIT_USAGE;
	if (argc - first != 1) {
		log_error("inspect takes exactly one image; see --help");
		return EXIT_USAGE;
	}
	log_set_stage("inspect");
	opts.canary = args.canary;

	r = inspect_image(argv[first], &opts, &report);
	if (r < 0) {
		inspect_report_release(&report);
		return r == -EINTR ? EXIT_INTERRUPTED : EXIT_FAIL;
	}

	if (args.json)
		inspect_format_json(&report, &out);
	else
		inspect_format_text(&report, &out);
	fwrite(out.buf, 1, out.len, stdout);
	fflush(stdout);
	strbuf_release(&out);

	findings = report.findings.n + (report.canary_found ? 1 : 0);
	if (args.check && findings > 0) {
		hygiene_log(&report.findings);
		if (report.canary_found)
			log_error("'%s': the canary string is in the disk's bytes", argv[first]);
		log_error("%zu finding(s): '%s' is not fit to share", findings, argv[first]);
	}
	inspect_report_release(&report);
	return args.check && findings > 0 ? EXIT_CHECK : EXIT_OK;
}

const struct cli_command command_inspect = {
	.name = "inspect",
	.args = "IMAGE",
	.summary = "Show what is inside an image; with --check, fail on per-instance state.",
	.description = "Opens IMAGE (qcow2 or raw, a Raspberry Pi .img included) read-only in a "
		       "libguestfs appliance, without booting it, and prints its OS, kernels, "
		       "component versions, enabled units and how faasd is delivered, then "
		       "every secret or piece of per-instance state found (private keys, SSH "
		       "host keys, a machine id, cloud-init instance state, faasd's password, "
		       "shell histories, logs). With --check the exit status is 7 when "
		       "anything was found.",
	.options = options,
	.run = run,
};
