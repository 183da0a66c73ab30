#!/bin/bash
# Collector tests against pptap-sim (label "collect").
#
# Usage: run.sh GROUP PPTAP PPTAP_SIM
#
#   e2e      catch up a day with late indexing; the file holds every visible
#            ground-truth event of the final range exactly once; after the
#            clock moves on, the late events arrive, still exactly once
#   crash    kill -9 the collector at random moments (at least 20 times) while
#            it catches up three days; after the restarts the file holds every
#            event exactly once
#   faults   10 % mixed injected faults (5xx, resets, truncation, bad JSON,
#            slow): nothing lost, nothing duplicated
#   budget   a simulated week of live collection (a run every 5 minutes of the
#            simulator's clock) stays under the share of every pool, counted
#            by the simulator; an induced 429 parks the pool
#   outage   a 10-day outage: one gap record for what is past 7 days, then the
#            last 7 days backfilled completely
#
# The simulator's clock is frozen (--speed 0) and moved with /admin/clock,
# so every run is deterministic.
set -u
group=$1
PPTAP=$2
SIM=$3

work=$(mktemp -d)
sim_pid=
failures=0
checks=0

cleanup() {
    [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
    [ -n "${KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export NO_PROXY=127.0.0.1 no_proxy=127.0.0.1
export PPTAP_PRINCIPAL=collector-test PPTAP_SECRET='c0llect-S3cret-9'
export PPTAP_SIM_PRINCIPAL=$PPTAP_PRINCIPAL PPTAP_SIM_SECRET=$PPTAP_SECRET

fail() {
    echo "FAIL [$group] $*"
    failures=$((failures + 1))
}

expect() { # expect DESCRIPTION CONDITION...
    local what=$1
    shift
    if "$@"; then checks=$((checks + 1)); else fail "$what"; fi
}

start_sim() {
    "$SIM" --port 0 --port-file "$work/url" --seed 7 --speed 0 "$@" >"$work/sim.out" \
        2>"$work/sim.err" &
    sim_pid=$!
    for _ in $(seq 100); do
        [ -s "$work/url" ] && break
        sleep 0.05
    done
    BASE=$(cat "$work/url")
    [ -n "$BASE" ] || { echo "pptap-sim did not start"; cat "$work/sim.err"; exit 1; }
}

admin() { curl -sf -X POST "$BASE/admin/$1"; }

sim_now() { curl -sf "$BASE/admin/clock" | jq -r '.now' | sed 's/\.[0-9]*Z$/Z/'; }

collect() { # collect [extra options]: one catch-up run into $work/state.db
    "$PPTAP" collect --base-url "$BASE" --state "$work/state.db" \
        --output "file:$work/events.ndjson" --since "${SINCE:-1d}" --once "$@" \
        2>>"$work/collect.log"
}

cursor() { # cursor NAME: a checkpoint of the default tenant, as ISO 8601
    local ms
    ms=$(sqlite3 "$work/state.db" "select ival from checkpoints where tenant='default' and name='$1'")
    date -u -d "@$((ms / 1000))" +%Y-%m-%dT%H:%M:%SZ
}

# truth FROM TO: ids of the events created in [FROM, TO) that are visible now.
truth() {
    curl -sf "$BASE/admin/truth?interval=$1/$2" | jq -r 'select(.visibleNow) | .id' | sort
}

# Every id in the file once; the file's ids of [FROM, TO) equal the truth.
check_exact() {
    local from=$1 to=$2
    # Updates (an event whose content changed) come again, marked.
    jq -r 'select(.pptap.event_type != "gap" and .pptap.update == false) | .pptap.event_id' \
        "$work/events.ndjson" | sort >"$work/got"
    local dups updates orphans
    dups=$(uniq -d "$work/got" | wc -l)
    expect "no event delivered twice ($dups duplicates)" [ "$dups" -eq 0 ]
    jq -r 'select(.pptap.update == true) | .pptap.event_id' "$work/events.ndjson" | sort -u \
        >"$work/updated"
    updates=$(wc -l <"$work/updated")
    orphans=$(comm -23 "$work/updated" "$work/got" | wc -l)
    expect "every update follows its first delivery ($updates updates, $orphans orphans)" \
        [ "$orphans" -eq 0 ]
    truth "$from" "$to" >"$work/truth"
    local missing
    missing=$(comm -23 "$work/truth" "$work/got" | wc -l)
    expect "every ground-truth event of $from/$to delivered ($missing missing of $(wc -l <"$work/truth"))" \
        [ "$missing" -eq 0 ]
    expect "ground truth not empty" [ -s "$work/truth" ]
    # Nothing the simulator never created.
    truth "$START" "$(sim_now)" >"$work/all"
    local foreign
    foreign=$(comm -13 "$work/all" "$work/got" | wc -l)
    expect "nothing delivered that the simulator did not create ($foreign)" [ "$foreign" -eq 0 ]
}

state_start() { # the time a new state starts from, as the collector logged it
    grep -o 'new state: collecting from [0-9TZ:-]*' "$work/collect.log" | head -n 1 |
        awk '{print $NF}'
}

case $group in
e2e)
    start_sim --rate 2000 --start 2026-06-01T12:00:00Z
    collect
    expect "first run exits 0" [ $? -eq 0 ]
    START=$(state_start)
    F1=$(cursor final)
    check_exact "$START" "$F1"
    n1=$(wc -l <"$work/events.ndjson")
    # Late-indexed events of the last windows are not visible yet; two hours
    # later they are, and the final passes pick them up.
    admin "clock?advance=2h" >/dev/null
    collect
    expect "second run exits 0" [ $? -eq 0 ]
    F2=$(cursor final)
    expect "final cursor advanced ($F1 -> $F2)" [ "$F2" \> "$F1" ]
    check_exact "$START" "$F2"
    n2=$(wc -l <"$work/events.ndjson")
    late=$(jq -r 'select(.pptap.event_type != "gap") | .pptap.event_id' "$work/events.ndjson" |
        tail -n $((n2 - n1)) | sort | comm -12 - <(curl -sf \
        "$BASE/admin/truth?interval=$START/$F2" | jq -r 'select(.late) | .id' | sort) | wc -l)
    expect "late-condemned events arrived ($late)" [ "$late" -gt 0 ]
    expect "raw format: every line has the pptap envelope" \
        [ "$(jq -r 'select(.pptap.event_id and .pptap.tenant == "default" and (.pptap.update | type) == "boolean") | 1' "$work/events.ndjson" | wc -l)" -eq "$n2" ]
    ;;
crash)
    SINCE=3d
    start_sim --rate 1500 --start 2026-06-01T12:00:00Z
    kills=0
    runs=0
    while [ $runs -lt 200 ]; do
        runs=$((runs + 1))
        # Started directly (not through a function) so that $! is pptap.
        "$PPTAP" collect --base-url "$BASE" --state "$work/state.db" \
            --output "file:$work/events.ndjson" --since "$SINCE" --once 2>>"$work/collect.log" &
        pid=$!
        # Kill at a random moment: before, during or after a window's
        # writes, fsync and commit.
        sleep "0.$(printf '%03d' $((RANDOM % 600 + 20)))"
        if kill -0 "$pid" 2>/dev/null; then
            kill -9 "$pid" 2>/dev/null
            wait "$pid" 2>/dev/null
            kills=$((kills + 1))
            [ $kills -ge 25 ] && break
        else
            wait "$pid"
            rc=$?
            [ $rc -eq 0 ] && [ $kills -ge 20 ] && break
            # Caught up: move the clock on so later runs have windows to do.
            if [ $rc -eq 0 ]; then admin "clock?advance=1h" >/dev/null; fi
        fi
    done
    collect
    expect "the last run completes" [ $? -eq 0 ]
    expect "killed at least 20 times ($kills)" [ $kills -ge 20 ]
    expect "no second collector ever ran on the state" \
        sh -c "! grep -q 'database is locked' '$work/collect.log'"
    START=$(state_start)
    check_exact "$START" "$(cursor final)"
    ;;
faults)
    SINCE=3d
    start_sim --rate 2000 --start 2026-06-01T12:00:00Z --fault-seed 3 --fault-5xx 0.02 \
        --fault-reset 0.02 --fault-truncate 0.02 --fault-badjson 0.02 --fault-slow 0.02 \
        --fault-slow-ms 300
    for attempt in 1 2 3 4 5 6; do
        collect && break
    done
    START=$(state_start)
    check_exact "$START" "$(cursor final)"
    faults=$(curl -sf "$BASE/admin/requests?last=100000" | jq '[.requests[] | select(.fault != null)] | length')
    expect "faults were injected ($faults)" [ "${faults:-0}" -gt 3 ]
    ;;
budget)
    start_sim --rate 300 --start 2026-06-01T12:00:00Z --pool siem=1800
    SINCE=1h
    collect
    # A week of live collection: one run every 5 minutes of simulated time.
    for i in $(seq "${BUDGET_RUNS:-2016}"); do
        admin "clock?advance=5m" >/dev/null
        collect || { fail "live run $i failed"; break; }
    done
    siem=$(curl -sf "$BASE/admin/pools" | jq '.siem.used24h')
    cp=$(curl -sf "$BASE/admin/pools" | jq '.["siem-clicks-permitted"].used24h')
    expect "siem pool used ($siem) under 90 % of 1800 in the last 24 h" [ "${siem:-9999}" -lt 1620 ]
    expect "clicks/permitted pool unused by the /all collector ($cp)" [ "${cp:-1}" -eq 0 ]
    per_day=$(sqlite3 "$work/state.db" "select count(*) from ledger where tenant='default' and at > (select max(at) from ledger) - 86400000")
    expect "ledger: under 400 requests a day ($per_day in the last 24 h)" [ "$per_day" -lt 400 ]
    START=$(state_start)
    check_exact "$START" "$(cursor final)"
    # A 429: the pool is parked, the run says so and exits 75.
    admin "pools?siem=1" >/dev/null
    admin "clock?advance=10m" >/dev/null
    collect
    rc=$?
    expect "throttled run exits 75 ($rc)" [ $rc -eq 75 ]
    expect "the 429 is logged with its pool" grep -q "429, pool siem" "$work/collect.log"
    ;;
outage)
    start_sim --rate 300 --start 2026-06-01T12:00:00Z
    collect
    expect "first run exits 0" [ $? -eq 0 ]
    START=$(state_start)
    admin "clock?advance=10d" >/dev/null
    collect
    expect "run after the outage exits 0" [ $? -eq 0 ]
    gaps=$(jq -c 'select(.pptap.event_type == "gap") | .pptap' "$work/events.ndjson")
    expect "exactly one gap record on the output" [ "$(printf '%s\n' "$gaps" | grep -c .)" -eq 1 ]
    gfrom=$(printf '%s' "$gaps" | jq -r .from)
    gto=$(printf '%s' "$gaps" | jq -r .to)
    stored=$(sqlite3 "$work/state.db" "select count(*) from gaps where tenant='default'")
    expect "one gap record in the store ($stored)" [ "$stored" -eq 1 ]
    limit=$(($(date -u -d "$(sim_now)" +%s) - 7 * 86400))
    past=$(($(date -u -d "$gto" +%s) - limit))
    expect "the gap ends within the first hour after the 7-day limit ($gto, +${past}s)" \
        [ "$past" -ge 0 -a "$past" -le 3600 ]
    expect "the gap starts where collection stopped ($gfrom)" [ "$gfrom" \< "$gto" ]
    # Complete before the outage, and for the backfilled 7 days.
    F=$(cursor final)
    jq -r 'select(.pptap.event_type != "gap") | .pptap.event_id' "$work/events.ndjson" | sort >"$work/got"
    truth "$gto" "$F" >"$work/truth"
    missing=$(comm -23 "$work/truth" "$work/got" | wc -l)
    expect "backfill complete ($missing missing of $(wc -l <"$work/truth"))" [ "$missing" -eq 0 ]
    expect "no duplicates" [ "$(uniq -d "$work/got" | wc -l)" -eq 0 ]
    ;;
*)
    echo "unknown group $group"
    exit 2
    ;;
esac

if grep -rqF "$PPTAP_SECRET" "$work"/*.log "$work"/events.ndjson 2>/dev/null; then
    fail "the secret appears in a log or an output"
fi
echo "$checks passed, $failures failed"
[ $failures -eq 0 ]
