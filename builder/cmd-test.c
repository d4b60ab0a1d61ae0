// SPDX-License-Identifier: MIT
/*
 * faasd-image test: boots an image in QEMU (boot.c) and prints what the
 * boot reached and when, each unit's state and the verdict, as text or as
 * JSON on stdout. Exit 0 healthy, 6 not healthy, 1 when the file is not a
 * disk image or QEMU cannot be set up, 2 usage, 3 profile.
 */
#include <errno.h>
#include <limits.h>

#include "boot.h"
#include "cli-profile.h"
#include "cli.h"
#include "commands.h"
#include "log.h"
#include "profile.h"
#include "util.h"

static const struct cli_option options[] = {
	CLI_PROFILE_OPTIONS,
	{"timeout", 0, "SECONDS", "give up after this long (default: 900)", OPT_TIMEOUT, NULL},
	{"keep", 0, NULL, "keep the overlay and the serial log", OPT_KEEP, NULL},
	{"machine", 0, "NAME", "QEMU machine: q35, virt or raspi3b", OPT_MACHINE,
	 "q35 virt raspi3b"},
	{"seed", 0, "FILE", "NoCloud seed to attach (default: render one)", OPT_SEED, "file"},
	{"mirror", 0, "URL", "host HTTP server the guest reaches as http://10.0.2.100/",
	 OPT_MIRROR, NULL},
	{"accel", 0, "NAME", "kvm or tcg (default: kvm when it really works here)", OPT_ACCEL,
	 "kvm tcg"},
	{"port", 0, "PORT", "host port on 127.0.0.1 for the gateway (default: a free one)",
	 OPT_PORT, NULL},
	{"json", 0, NULL, "print the report as JSON on stdout", OPT_JSON, NULL},
	CLI_OPTIONS_END,
};

struct args {
	struct profile_args profile;
	struct boot_opts boot;
	bool json;
};

static int parse_uint(const char *what, const char *s, unsigned max, unsigned *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v == 0 || v > max) {
		log_error("%s '%s': expected a number from 1 to %u", what, s, max);
		return -EINVAL;
	}
	*ret = (unsigned)v;
	return 0;
}

static int handle(int id, const char *arg, void *userdata)
{
	struct args *a = userdata;

	if (profile_args_option(&a->profile, id, arg))
		return 0;
	switch (id) {
	case OPT_TIMEOUT:
		return parse_uint("--timeout", arg, 86400, &a->boot.timeout_sec);
	case OPT_PORT:
		return parse_uint("--port", arg, 65535, &a->boot.port);
	case OPT_KEEP:
		a->boot.keep = true;
		return 0;
	case OPT_SEED:
		a->boot.seed = arg;
		return 0;
	case OPT_MIRROR:
		a->boot.mirror = arg;
		return 0;
	case OPT_JSON:
		a->json = true;
		return 0;
	case OPT_MACHINE:
		if (streq(arg, "q35"))
			a->boot.machine = BOOT_MACHINE_Q35;
		else if (streq(arg, "virt"))
			a->boot.machine = BOOT_MACHINE_VIRT;
		else if (streq(arg, "raspi3b"))
			a->boot.machine = BOOT_MACHINE_RASPI3B;
		else
			return log_error_errno(
			    -EINVAL, "--machine '%s': expected q35, virt or raspi3b", arg);
		return 0;
	case OPT_ACCEL:
		if (streq(arg, "kvm"))
			a->boot.accel = BOOT_ACCEL_KVM;
		else if (streq(arg, "tcg"))
			a->boot.accel = BOOT_ACCEL_TCG;
		else
			return log_error_errno(-EINVAL, "--accel '%s': expected kvm or tcg", arg);
		return 0;
	}
	return -EINVAL;
}

static void print_time(const char *label, double at)
{
	if (at < 0)
		printf("  %-12s not reached\n", label);
	else
		printf("  %-12s %6.1f s\n", label, at);
}

static void print_text(const struct boot_report *r)
{
	printf("image:        %s\n", r->image);
	printf("machine:      %s %s, %s%s%s%s\n", r->arch ? r->arch : "?",
	       r->machine ? r->machine : "?", r->accel ? r->accel : "?",
	       r->accel_reason ? " (" : "", r->accel_reason ? r->accel_reason : "",
	       r->accel_reason ? ")" : "");
	printf("seed:         %s\n", r->seed ? r->seed : "none");
	if (r->port)
		printf("gateway port: 127.0.0.1:%u\n", r->port);
	printf("milestones (seconds since QEMU started):\n");
	for (int m = 0; m < MILESTONE_COUNT; m++)
		if (m != MILESTONE_GATEWAY || r->port)
			print_time(boot_milestone_name(m), r->at[m]);
	if (r->cloud_init_line)
		printf("cloud-init:   %s\n", r->cloud_init_line);
	printf("cloud-init status: %s\n",
	       r->cloud_init_status ? r->cloud_init_status : "not reported");
	printf("units:\n");
	if (!r->n_units)
		printf("  (not reported)\n");
	for (size_t i = 0; i < r->n_units; i++)
		printf("  %-24s %s\n", r->units[i].name, r->units[i].state);
	if (r->guest_gateway >= 0)
		printf("gateway in the guest: HTTP %d\n", r->guest_gateway);
	if (r->host_gateway >= 0)
		printf("gateway from the host: %s%d\n", r->host_gateway ? "HTTP " : "no answer, ",
		       r->host_gateway);
	if (r->excerpt && *r->excerpt)
		printf("serial console (errors, failures, markers, then the last lines):\n%s",
		       r->excerpt);
	if (r->workdir)
		printf("kept:         %s (overlay, serial.log, seed)\n", r->workdir);
	printf("%s: %s (%.0f s)\n", r->passed ? "PASS" : "FAIL", r->reason, r->elapsed);
}

static void json_field(struct strbuf *sb, const char *key, const char *value, bool comma)
{
	json_escape(sb, key);
	strbuf_addc(sb, ':');
	if (value)
		json_escape(sb, value);
	else
		strbuf_adds(sb, "null");
	if (comma)
		strbuf_addc(sb, ',');
}

static void print_json(const struct boot_report *r)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addc(&sb, '{');
	json_field(&sb, "image", r->image, true);
	json_field(&sb, "arch", r->arch, true);
	json_field(&sb, "machine", r->machine, true);
	json_field(&sb, "accel", r->accel, true);
	json_field(&sb, "accel_reason", r->accel_reason, true);
	json_field(&sb, "seed", r->seed, true);
	strbuf_addf(&sb, "\"port\":%u,\"milestones\":{", r->port);
	for (int m = 0; m < MILESTONE_COUNT; m++) {
		json_escape(&sb, boot_milestone_name(m));
		if (r->at[m] < 0)
			strbuf_addf(&sb, ":null%s", m + 1 < MILESTONE_COUNT ? "," : "");
		else
			strbuf_addf(&sb, ":%.1f%s", r->at[m], m + 1 < MILESTONE_COUNT ? "," : "");
	}
	strbuf_adds(&sb, "},");
	json_field(&sb, "cloud_init_line", r->cloud_init_line, true);
	json_field(&sb, "cloud_init_status", r->cloud_init_status, true);
	strbuf_adds(&sb, "\"units\":{");
	for (size_t i = 0; i < r->n_units; i++)
		json_field(&sb, r->units[i].name, r->units[i].state, i + 1 < r->n_units);
	strbuf_adds(&sb, "},");
	json_field(&sb, "hostname", r->hostname, true);
	strbuf_addf(&sb, "\"guest_gateway\":%d,\"host_gateway\":%d,", r->guest_gateway,
		    r->host_gateway);
	strbuf_addf(&sb, "\"passed\":%s,", r->passed ? "true" : "false");
	json_field(&sb, "reason", r->reason, true);
	strbuf_addf(&sb, "\"elapsed\":%.1f,", r->elapsed);
	json_field(&sb, "kept", r->workdir, true);
	json_field(&sb, "log_excerpt", r->excerpt, false);
	strbuf_adds(&sb, "}\n");
	fputs(sb.buf, stdout);
	strbuf_release(&sb);
}

static int run(const struct cli_command *self, int argc, char **argv)
{
	struct args a = {.profile = PROFILE_ARGS_INIT};
	struct profile *profile = NULL;
	struct boot_report report;
	int first, r, code;

	log_set_stage("test");
	first = cli_parse(self, argc, argv, handle, &a);
	if (first >= 0 && argc - first != 1) {
		log_error("'test' needs exactly one IMAGE; see 'faasd-image test --help'");
		first = -2;
	}
	/* A profile only when asked for: the image carries its own configuration. */
	if (first >= 0 && (a.profile.profile || a.profile.sets) &&
	    profile_args_load(&a.profile, &profile) < 0)
		first = -3;
	profile_args_release(&a.profile);
	if (first < 0)
		return first == -1 ? EXIT_OK : first == -2 ? EXIT_USAGE : EXIT_PROFILE;
	a.boot.image = argv[first];
	a.boot.profile = profile;

	r = boot_test(&a.boot, &report);
	if (r == 0 || report.reason) {
		if (a.json)
			print_json(&report);
		else
			print_text(&report);
	}
	code = r == -EINTR     ? EXIT_INTERRUPTED
	       : r < 0	       ? EXIT_FAIL
	       : report.passed ? EXIT_OK
			       : EXIT_TEST;
	boot_report_free(&report);
	if (profile)
		profile_free(profile);
	return code;
}

const struct cli_command command_test = {
	.name = "test",
	.args = "IMAGE",
	.summary = "Boot an image in QEMU and check that cloud-init finished and faasd answers.",
	.description = "The image is never written: QEMU boots a throw-away overlay.\n"
		       "Exit 0 when cloud-init finished with status done, containerd,\n"
		       "faasd-provider and faasd are active and the gateway answered 200\n"
		       "on /healthz; 6 when not (the report says which milestone or unit\n"
		       "failed); 1 when the file is not a disk image or QEMU cannot be set\n"
		       "up. See docs/boot-test.md.",
	.options = options,
	.run = run,
};
