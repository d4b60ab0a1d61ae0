#!/bin/sh
# SPDX-License-Identifier: MIT
# The command line: help for every command, exit codes for bad usage, the
# version, a completion script that bash accepts, and a man page that names
# every command and option the parser knows.
set -eu
. "$FAASD_IMAGE_TOP/tests/lib/common.sh"
tmpdir_new
TMP=$TMPDIR_NEW

fi=$FAASD_IMAGE
man=$FAASD_IMAGE_TOP/docs/faasd-image.1
sed 's/\\//g' "$man" >"$TMP/man.txt"
commands=$("$fi" --help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } /^$/ { on = 0 }')
[ -n "$commands" ] || die "no commands in --help"

for c in $commands; do
	"$fi" "$c" --help >"$TMP/help" || die "'$c --help' failed"
	grep -q "^usage: faasd-image $c" "$TMP/help" || die "'$c --help' has no usage line"
	grep -q '^exit status:' "$TMP/help" || die "'$c --help' lists no exit codes"
	grep -q "^\.SS $c\$" "$man" || grep -q "^\.SS $c " "$man" || die "man page lacks command '$c'"
	for opt in $(grep -oE -- '--[a-z][a-z0-9-]*' "$TMP/help" | sort -u); do
		grep -qF -- "$opt" "$TMP/man.txt" || die "man page lacks option '$opt' of '$c'"
	done
done

set +e
"$fi" nosuchcommand 2>"$TMP/err"
rc=$?
set -e
assert_eq 2 "$rc" "unknown command exit code"
assert_eq 1 "$(wc -l <"$TMP/err")" "lines for an unknown command"

set +e
"$fi" render --nosuchoption 2>"$TMP/err"
rc=$?
set -e
assert_eq 2 "$rc" "unknown option exit code"
assert_contains "$(cat "$TMP/err")" "unknown option '--nosuchoption'"

"$fi" --version | grep -qE '^faasd-image [0-9]+\.[0-9]+\.[0-9]+$' || die "bad --version output"
"$fi" completion bash >"$TMP/completion.bash"
bash -n "$TMP/completion.bash" || die "completion script is not valid bash"
for c in $commands; do
	grep -q "^	$c)" "$TMP/completion.bash" || die "completion lacks '$c'"
done
# The completion offers the same options as --help.
bash -c ". '$TMP/completion.bash'; COMP_WORDS=(faasd-image render --pro); COMP_CWORD=2;
	_faasd_image; printf '%s\n' \"\${COMPREPLY[@]}\"" | grep -qx -- '--profile' ||
	die "completion does not offer --profile for render"
echo ok
