/* SPDX-License-Identifier: MIT */
/* The subcommands; each lives in its own cmd-*.c file. */
#ifndef FAASD_IMAGE_COMMANDS_H
#define FAASD_IMAGE_COMMANDS_H

#include "cli.h"

extern const struct cli_command command_build;
extern const struct cli_command command_render;
extern const struct cli_command command_personalize;
extern const struct cli_command command_fetch;
extern const struct cli_command command_lock;
extern const struct cli_command command_test;
extern const struct cli_command command_list;
extern const struct cli_command command_inspect;
extern const struct cli_command command_version;
extern const struct cli_command command_completion;

#endif
