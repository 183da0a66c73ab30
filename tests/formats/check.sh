#!/bin/sh
# check.sh PPTAP FORMAT TYPE — the event-format test of one format and type:
#  1. `pptap normalize --format FORMAT --type TYPE events/TYPE.ndjson` exits 0,
#     says nothing on stderr and writes expected/FORMAT/TYPE.ndjson byte for
#     byte (expected/cef/TYPE.cef for CEF), one line per input event;
#  2. every line is a JSON object (all formats but cef);
#  3. the raw lines of the same events, normalized again without --type, give
#     the same output (the event_id and type travel in the raw envelope).
set -u
pptap=$1
fmt=$2
type=$3
dir=$(cd "$(dirname "$0")" && pwd)
events=$dir/events/$type.ndjson
ext=ndjson
[ "$fmt" = cef ] && ext=cef
want=$dir/expected/$fmt/$type.$ext
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0

"$pptap" normalize --format "$fmt" --type "$type" "$events" >"$work/out" 2>"$work/err"
rc=$?
if [ "$rc" != 0 ] || [ -s "$work/err" ]; then
    echo "exit status $rc, stderr:"
    cat "$work/err"
    fail=1
fi
if ! cmp -s "$want" "$work/out"; then
    echo "output differs from ${want#"$dir"/}:"
    diff -u "$want" "$work/out" | head -n 40
    fail=1
fi
n_in=$(grep -c . "$events")
n_out=$(wc -l <"$work/out" | tr -d ' ')
if [ "$n_in" != "$n_out" ]; then
    echo "$n_in events in, $n_out lines out"
    fail=1
fi
if [ "$fmt" != cef ]; then
    python3 -c '
import json, sys
for n, line in enumerate(sys.stdin, 1):
    try:
        doc = json.loads(line)
    except ValueError as e:
        sys.exit("line %d is not JSON: %s" % (n, e))
    if not isinstance(doc, dict):
        sys.exit("line %d is not a JSON object" % n)
' <"$work/out" || fail=1
fi
"$pptap" normalize --format raw --type "$type" "$events" |
    "$pptap" normalize --format "$fmt" >"$work/again" 2>"$work/err2"
if ! cmp -s "$work/out" "$work/again" || [ -s "$work/err2" ]; then
    echo "raw lines normalized again differ:"
    cat "$work/err2"
    diff -u "$work/out" "$work/again" | head -n 20
    fail=1
fi
exit $fail
