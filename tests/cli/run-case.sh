#!/bin/sh
# Runs one CLI case: tests/cli/cases/NAME.sh with $PPTAP set to the binary,
# in a scratch directory, and compares stdout, stderr and the exit status with
# NAME.out, NAME.err (empty when absent) and NAME.rc (0 when absent).
set -u
case_file=$1
PPTAP=$2
export PPTAP
dir=$(dirname "$case_file")
name=$(basename "$case_file" .sh)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CASES="$dir"
ROOT=$(cd "$dir/../../.." && pwd)
export ROOT
(cd "$work" && sh "$case_file" >"$work/stdout" 2>"$work/stderr")
rc=$?
fail=0
want_rc=0
[ -f "$dir/$name.rc" ] && want_rc=$(cat "$dir/$name.rc")
if [ "$rc" != "$want_rc" ]; then
    echo "exit status: want $want_rc, got $rc"
    fail=1
fi
for stream in out err; do
    exp="$dir/$name.$stream"
    got="$work/std$stream"
    [ -f "$exp" ] || exp=/dev/null
    if ! cmp -s "$exp" "$got"; then
        echo "std$stream differs:"
        diff -u "$exp" "$got" | head -n 40
        fail=1
    fi
done
exit $fail
