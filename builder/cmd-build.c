// SPDX-License-Identifier: MIT
/*
 * faasd-image build: builds the outputs of a profile (qcow2, raw, SD image,
 * squashfs, user-data, seed) through the pipeline of build.c, or with
 * --dry-run prints the plan and stops. With no command at all, faasd-image
 * runs this on the default profile.
 */
#include <errno.h>

#include "build.h"
#include "cli-profile.h"
#include "cli.h"
#include "commands.h"
#include "lock.h"
#include "log.h"
#include "paths.h"
#include "plan.h"
#include "util.h"

static const struct cli_option options[] = {
	CLI_PROFILE_OPTIONS,
	{"out-dir", 'o', "DIR", "write outputs under DIR/PROFILE (default: out)", OPT_OUT_DIR,
	 "dir"},
	{"cache", 0, "DIR", "download cache (default: $XDG_CACHE_HOME/faasd-image)", OPT_CACHE,
	 "dir"},
	{"offline", 0, NULL, "use only the cache; fail on anything missing", OPT_OFFLINE, NULL},
	{"mirror", 0, "URL|DIR", "fetch artifacts from a mirror laid out like upstream",
	 OPT_MIRROR, NULL},
	{"dry-run", 0, NULL, "print the plan and stop", OPT_DRY_RUN, NULL},
	{"json", 0, NULL, "print the summary as JSON on stdout", OPT_JSON, NULL},
	CLI_OPTIONS_END,
};

struct build_args {
	struct profile_args profile;
	const char *out_dir;
	const char *mirror;
	bool offline;
	bool dry_run;
	bool json;
};

static int handle_option(int id, const char *arg, void *userdata)
{
	struct build_args *a = userdata;

	if (profile_args_option(&a->profile, id, arg))
		return 0;
	switch (id) {
	case OPT_OUT_DIR:
		a->out_dir = arg;
		break;
	case OPT_CACHE:
		cache_dir_set(arg);
		break;
	case OPT_OFFLINE:
		a->offline = true;
		break;
	case OPT_MIRROR:
		a->mirror = arg;
		break;
	case OPT_DRY_RUN:
		a->dry_run = true;
		break;
	case OPT_JSON:
		a->json = true;
		break;
	}
	return 0;
}

static int print_plan(const struct plan *plan, bool json)
{
	struct strbuf sb = STRBUF_INIT;

	if (json)
		plan_format_json(plan, &sb);
	else
		plan_format_text(plan, &sb);
	fputs(sb.buf, stdout);
	strbuf_release(&sb);
	return EXIT_OK;
}

static int build_exit_code(int r, const struct build_report *report)
{
	if (r == -EINTR)
		return EXIT_INTERRUPTED;
	if (report->failed_stage == STAGE_FETCH)
		return EXIT_ARTIFACT;
	return EXIT_BUILD;
}

static int build(const struct build_args *a, struct plan *plan, const struct profile *p)
{
	struct build_opts opts = {
		.offline = a->offline,
		.mirror = a->mirror ? a->mirror : p->artifacts_mirror,
		.allow_http = p->allow_http,
	};
	struct build_report report;
	struct strbuf sb = STRBUF_INIT;
	int r;

	r = build_run(plan, &opts, &report);
	if (r < 0) {
		log_error("building '%s' failed in the %s stage; previous outputs in '%s' are "
			  "unchanged", plan->name, build_stage_name(report.failed_stage),
			  plan->out_dir);
		r = build_exit_code(r, &report);
		build_report_release(&report);
		return r;
	}
	if (a->json)
		build_summary_json(plan, &report, &sb);
	else
		build_summary_text(plan, &report, &sb);
	fputs(sb.buf, stdout);
	strbuf_release(&sb);
	build_report_release(&report);
	return EXIT_OK;
}

static int run(const struct cli_command *self, int argc, char **argv)
{
	struct build_args a = {.profile = PROFILE_ARGS_INIT, .out_dir = "out"};
	struct profile *p = NULL;
	struct lock *lock = NULL;
	struct plan *plan = NULL;
	int first, r, code;

	first = cli_parse(self, argc, argv, handle_option, &a);
	if (first < 0) {
		profile_args_release(&a.profile);
		return first == -1 ? EXIT_OK : EXIT_USAGE;
	}
	if (first < argc) {
		log_error("'build' takes no operands, got '%s'; use --profile", argv[first]);
		profile_args_release(&a.profile);
		return EXIT_USAGE;
	}

	log_set_stage("plan");
	if (profile_args_load(&a.profile, &p) < 0) {
		code = EXIT_PROFILE;
		goto out;
	}
	if (lock_load_default(&lock) < 0) {
		code = EXIT_ARTIFACT;
		goto out;
	}
	r = plan_make(p, lock, a.out_dir, getenv("SOURCE_DATE_EPOCH"), &plan);
	if (r < 0) {
		code = r == -EINVAL ? EXIT_PROFILE : EXIT_ARTIFACT;
		goto out;
	}

	if (a.dry_run) {
		code = print_plan(plan, a.json);
		goto out;
	}
	log_set_stage(NULL);
	code = build(&a, plan, p);
out:
	plan_free(plan);
	lock_free(lock);
	profile_free(p);
	profile_args_release(&a.profile);
	return code;
}

const struct cli_command command_build = {
	.name = "build",
	.args = NULL,
	.summary = "Build the outputs of a profile: qcow2, raw, SD image, squashfs, user-data, "
		   "seed.",
	.description = "Bootstraps a Debian root tree (cached) or opens a published cloud image, "
		       "lays the faasd stack onto it, checks it for secrets, assembles and "
		       "converts the disk, and writes "
		       "manifest.json and SHA256SUMS beside the outputs in OUT/PROFILE/. "
		       "Outputs replace the previous ones only when the whole build succeeded.",
	.options = options,
	.run = run,
};
