#!/bin/sh
# SPDX-License-Identifier: MIT
# House style that a script can check: SPDX lines, width, shortcoming marks.
set -eu
sh "$FAASD_IMAGE_TOP/ci/check-style.sh"
