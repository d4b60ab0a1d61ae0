// SPDX-License-Identifier: MIT
/*
 * faasd-image personalize: gives an existing Raspberry Pi image the seed of
 * a profile (personalize.c): user-data, meta-data with a new instance-id
 * and network-config, rewritten on its boot partition in place, in
 * seconds, without root or mounts. Nothing else of the image changes.
 * Exit 0 done, 1 the image was refused or could not be written, 2 usage,
 * 3 profile.
 */
#include <errno.h>

#include "board-rpi.h"
#include "cli-profile.h"
#include "cli.h"
#include "commands.h"
#include "lock.h"
#include "log.h"
#include "personalize.h"

static const struct cli_option options[] = {
	CLI_PROFILE_OPTIONS,
	CLI_OPTIONS_END,
};

static int personalize(const char *image, const struct profile_args *args)
{
	struct profile *p = NULL;
	struct lock *l = NULL;
	int code = EXIT_OK;

	if (profile_args_load(args, &p) < 0)
		return EXIT_PROFILE;
	if (!board_is_rpi(p->board)) {
		log_error("profile '%s' is for board %s; personalize takes a Raspberry Pi profile "
			  "(rpi3, rpi4, or one that extends them)", p->name, board_name(p->board));
		profile_free(p);
		return EXIT_PROFILE;
	}
	/* The lock only matters when the profile names an artifacts mirror. */
	if (lock_load_default(&l) < 0 && p->artifacts_mirror) {
		profile_free(p);
		return EXIT_ARTIFACT;
	}
	if (personalize_image(image, p, l) < 0)
		code = EXIT_FAIL;
	lock_free(l);
	profile_free(p);
	return code;
}

static int run(const struct cli_command *self, int argc, char **argv)
{
	struct profile_args args = PROFILE_ARGS_INIT;
	int first, code;

	log_set_stage("personalize");
	first = cli_parse(self, argc, argv, profile_args_handler, &args);
	if (first < 0) {
		profile_args_release(&args);
		return first == -1 ? EXIT_OK : EXIT_USAGE;
	}
	if (argc - first != 1 || !args.profile) {
		if (argc - first != 1)
			log_error("personalize takes one IMAGE, got %d", argc - first);
		else
			log_error("name the image's profile with --profile (rpi3, rpi4 or a YAML "
				  "file extending them)");
		profile_args_release(&args);
		return EXIT_USAGE;
	}
	code = personalize(argv[first], &args);
	profile_args_release(&args);
	return code;
}

const struct cli_command command_personalize = {
	.name = "personalize",
	.args = "IMAGE",
	.summary = "Rewrite the cloud-init seed files on the boot partition of an image.",
	.description =
		"Renders user-data, meta-data (with a new instance-id, so that cloud-init runs "
		"its per-instance steps again at the next boot) and network-config from the "
		"profile and replaces those three files on the FAT partition labelled "
		"system-boot of a raw Raspberry Pi image, in place, with mtools: no root, mounts "
		"or loop devices. Nothing else in the image changes. A .img.xz must be "
		"decompressed first; a qcow2 is refused.",
	.options = options,
	.run = run,
};
