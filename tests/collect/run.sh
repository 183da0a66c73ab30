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
#   rotation a file output with a small rotate_size (from a config file)
#            rotates into FILE.1, FILE.2, ... keeping rotate_keep; the union of
#            FILE and its rotations holds every event exactly once, also
#            after kill -9 at random moments across rotations
#   metrics  a foreground collector serves Prometheus text on a loopback
#            port; the counters equal the file and the simulator's count;
#            SIGTERM stops it cleanly (exit 0) and a restart duplicates nothing
#   tenants  two tenants against two simulators (different seeds and
#            credentials), each into its own output; a tenant whose
#            credentials are refused does not stop the other (exit 77)
#   stdout   --output - writes NDJSON events on stdout and nothing else
#   formats  one run into raw, ecs, ocsf and cef file outputs: each line is what
#            pptap normalize makes of the raw line of the same event
#
# The simulator's clock is frozen (--speed 0) and moved with /admin/clock,
# so every run is deterministic.
set -u
group=$1
PPTAP=$2
SIM=$3

STOP_PIDS=sim_pids
. "$(dirname "$0")/../lib/harness.sh"
use_credentials collector-test 'c0llect-S3cret-9'

start_sim() {
    launch_sim sim --seed 7 --speed 0 "$@"
    BASE=$SIM_URL
}

admin() { curl -sf -X POST "$BASE/admin/$1"; }

collect() { # collect [extra options]: one catch-up run into $work/state.db
    "$PPTAP" collect --base-url "$BASE" --state "$work/state.db" \
        --output "file:$work/events.ndjson" --since "${SINCE:-1d}" --once "$@" \
        2>>"$work/collect.log"
}

cursor() { # cursor NAME [TENANT]: a checkpoint of a tenant (default), as ISO 8601
    local ms
    ms=$(sqlite3 "${STATE:-$work/state.db}" "select ival from checkpoints where tenant='${2:-default}' and name='$1'")
    date -u -d "@$((ms / 1000))" +%Y-%m-%dT%H:%M:%SZ
}

# truth FROM TO: ids of the events created in [FROM, TO) that are visible now.
truth() {
    curl -sf "$BASE/admin/truth?interval=$1/$2" | jq -r 'select(.visibleNow) | .id' | sort
}

# Every id in the file once; the file's ids of [FROM, TO) equal the truth.
# The file is $EVENTS (default $work/events.ndjson), the simulator $BASE.
check_exact() {
    local from=$1 to=$2 events=${EVENTS:-$work/events.ndjson}
    # Updates (an event whose content changed) come again, marked.
    jq -r 'select(.pptap.event_type != "gap" and .pptap.update == false) | .pptap.event_id' \
        "$events" | sort >"$work/got"
    local dups updates orphans
    dups=$(uniq -d "$work/got" | wc -l)
    expect "no event delivered twice ($dups duplicates)" [ "$dups" -eq 0 ]
    jq -r 'select(.pptap.update == true) | .pptap.event_id' "$events" | sort -u \
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

state_start() { # [TENANT]: the time a new state starts from, as the collector logged it
    grep -o "\[${1:-default}\] new state: collecting from [0-9TZ:-]*" "$work/collect.log" | head -n 1 |
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
    # Verdicts that changed (active to cleared or false positive) between the
    # early and the final pass come again, marked as updates, with the change.
    updates=$(jq -c 'select(.pptap.update == true)' "$work/events.ndjson" | wc -l)
    expect "changed events delivered again as updates ($updates)" [ "$updates" -gt 0 ]
    changed=$(jq -c 'select(.pptap.event_type | test("^messages")) |
            [.pptap.event_id, .pptap.update, ([.threatsInfoMap[].threatStatus] | join(","))]' \
        "$work/events.ndjson" | jq -s -r 'group_by(.[0])[] | select(length > 1) |
            select(([.[] | select(.[1] == false)] | length) == 1 and
                   (map(.[2]) | unique | length) == length) | .[0][0]' | wc -l)
    upd_msgs=$(jq -r 'select(.pptap.update == true and (.pptap.event_type | test("^messages"))) |
            .pptap.event_id' "$work/events.ndjson" | sort -u | wc -l)
    expect "every updated message carries a new verdict ($changed of $upd_msgs)" \
        [ "$changed" -ge 1 -a "$changed" -eq "$upd_msgs" ]
    # The command line records its requests in the collector's ledger.
    before=$(sqlite3 "$work/state.db" "select count(*) from ledger")
    "$PPTAP" --base-url "$BASE" --ledger "$work/state.db" siem all --since 1h >/dev/null \
        2>>"$work/collect.log"
    after=$(sqlite3 "$work/state.db" "select count(*) from ledger where pool='siem-other'")
    expect "pptap --ledger siem recorded its request ($before -> $after)" [ "$after" -eq $((before + 1)) ]
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
rotation)
    # Two rotating outputs get the same lines: "all" keeps every rotation,
    # "few" keeps 2, so its files must equal the newest three of "all".
    SINCE=1d
    start_sim --rate 300 --start 2026-06-01T12:00:00Z
    cat >"$work/pptap.conf" <<EOF
[service]
state = $work/state.db
[tenant default]
base_url = $BASE
principal = $PPTAP_PRINCIPAL
secret_env = PPTAP_SECRET
since = $SINCE
[output all]
type = file
path = $work/all.ndjson
rotate_size = 300k
rotate_keep = 100
[output few]
type = file
path = $work/few.ndjson
rotate_size = 300k
rotate_keep = 2
EOF
    kills=0
    runs=0
    while [ $runs -lt 60 ]; do
        runs=$((runs + 1))
        "$PPTAP" collect --config "$work/pptap.conf" --once 2>>"$work/collect.log" &
        pid=$!
        sleep "0.$(printf '%03d' $((RANDOM % 500 + 20)))"
        if kill -0 "$pid" 2>/dev/null; then
            kill -9 "$pid" 2>/dev/null
            wait "$pid" 2>/dev/null
            kills=$((kills + 1))
            [ $kills -ge 8 ] && break
        else
            wait "$pid"
            rc=$?
            [ $rc -eq 0 ] && [ $kills -ge 5 ] && break
            if [ $rc -eq 0 ]; then admin "clock?advance=2h" >/dev/null; fi
        fi
    done
    "$PPTAP" collect --config "$work/pptap.conf" --once 2>>"$work/collect.log"
    expect "the last run completes" [ $? -eq 0 ]
    expect "killed at least 5 times ($kills)" [ $kills -ge 5 ]
    n=$(ls "$work" | grep -c '^all\.ndjson\.[0-9]*$')
    expect "rotated at least 5 times ($n rotations)" [ "$n" -ge 5 ]
    expect "rotations numbered 1..$n without holes" \
        [ "$(ls "$work" | grep '^all\.ndjson\.[0-9]*$' | sed 's/.*\.//' | sort -n | tr '\n' ' ')" = "$(seq -s ' ' "$n") " ]
    expect "the log says so" grep -q 'output all: rotated' "$work/collect.log"
    # Each rotated file passed rotate_size just before it was rotated, by
    # less than one window's lines, and ends with a whole line.
    small=0
    for k in $(seq "$n"); do
        sz=$(stat -c %s "$work/all.ndjson.$k")
        [ "$sz" -ge 307200 ] || small=$((small + 1))
        [ "$(tail -c 1 "$work/all.ndjson.$k" | od -An -c | tr -d ' ')" = '\n' ] || small=$((small + 1))
    done
    expect "every rotated file reached rotate_size and ends with a newline ($small bad)" [ $small -eq 0 ]
    # The union, oldest first: FILE.n ... FILE.1 FILE.
    : >"$work/events.ndjson"
    for k in $(seq "$n" -1 1); do cat "$work/all.ndjson.$k" >>"$work/events.ndjson"; done
    cat "$work/all.ndjson" >>"$work/events.ndjson"
    expect "every line of the union is a JSON event" \
        [ "$(jq -c . "$work/events.ndjson" | wc -l)" -eq "$(wc -l <"$work/events.ndjson")" ]
    # FILE.1 is the newest: last written before FILE, after FILE.2.
    order=$(for k in $(seq "$n" -1 1) ""; do
        find "$work" -maxdepth 1 -name "all.ndjson${k:+.$k}" -printf '%T@\n'
    done | sort -c -g 2>&1 | wc -l)
    expect "FILE.(k+1) was written before FILE.k" [ "$order" -eq 0 ]
    START=$(state_start)
    check_exact "$START" "$(cursor final)"
    # rotate_keep = 2: FILE, FILE.1, FILE.2 and nothing older.
    expect "rotate_keep 2 keeps few.ndjson.1 and .2 only" \
        [ "$(ls "$work" | grep '^few\.ndjson' | tr '\n' ' ')" = "few.ndjson few.ndjson.1 few.ndjson.2 " ]
    same=0
    for f in "" .1 .2; do cmp -s "$work/few.ndjson$f" "$work/all.ndjson$f" && same=$((same + 1)); done
    expect "the kept files are the newest ones ($same of 3 identical)" [ $same -eq 3 ]
    # A rotation killed after FILE -> FILE.1, before position 0 was
    # committed; the next run is killed once the new FILE is longer than the
    # stale position. The run after must not cut FILE at the stale offset.
    cat >"$work/r.conf" <<EOF
[service]
state = $work/r.db
[tenant default]
base_url = $BASE
principal = $PPTAP_PRINCIPAL
secret_env = PPTAP_SECRET
since = 20m
[output r]
type = file
path = $work/r.ndjson
rotate_size = 1G
EOF
    "$PPTAP" collect --config "$work/r.conf" --once 2>>"$work/collect.log"
    stale=$(stat -c %s "$work/r.ndjson")
    mv "$work/r.ndjson" "$work/r.ndjson.1"
    admin "clock?advance=3h" >/dev/null
    "$PPTAP" collect --config "$work/r.conf" --once 2>>"$work/collect.log" &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        [ "$(stat -c %s "$work/r.ndjson" 2>/dev/null || echo 0)" -gt "$stale" ] &&
            kill -STOP "$pid" && break
    done
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    "$PPTAP" collect --config "$work/r.conf" --once 2>>"$work/collect.log"
    expect "after an interrupted rotation and a kill: the run completes" [ $? -eq 0 ]
    cat "$work/r.ndjson.1" "$work/r.ndjson" >"$work/events.ndjson"
    expect "every line is a whole JSON event" \
        [ "$(jq -c . "$work/events.ndjson" 2>/dev/null | wc -l)" -eq "$(wc -l <"$work/events.ndjson")" ]
    STATE=$work/r.db
    START=$(grep -o '\[default\] new state: collecting from [0-9TZ:-]*' "$work/collect.log" |
        tail -n 1 | awk '{print $NF}')
    check_exact "$START" "$(cursor final)"
    ;;
metrics)
    start_sim --rate 300 --start 2026-06-01T12:00:00Z
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "$PPTAP" collect --base-url "$BASE" --state "$work/state.db" \
        --output "file:$work/events.ndjson" --since 1d --metrics "127.0.0.1:$port" \
        2>>"$work/collect.log" &
    pid=$!
    # Caught up: the lag gauge is set once nothing is due.
    for _ in $(seq 300); do
        curl -sf "http://127.0.0.1:$port/metrics" >"$work/metrics" 2>/dev/null &&
            grep -q '^pptap_lag_seconds{tenant="default"} [1-9]' "$work/metrics" && break
        sleep 0.1
    done
    curl -sf -D "$work/headers" "http://127.0.0.1:$port/metrics" >"$work/metrics"
    expect "metrics served" [ -s "$work/metrics" ]
    expect "Prometheus text content type" grep -qi '^content-type: text/plain; version=0.0.4' "$work/headers"
    bad=$(grep -v '^# \(HELP\|TYPE\) pptap_[a-z_]* ' "$work/metrics" |
        grep -v '^pptap_output_[a-z_]*{output="[A-Za-z0-9_.-]*",type="[a-z]*"} [0-9]\+$' |
        grep -cv '^pptap_[a-z_]*{tenant="default"\(,type="[a-zA-Z]*"\|,pool="[a-z-]*"\)\?} -\?[0-9]\+$')
    expect "every line is a HELP, a TYPE or a sample ($bad others)" [ "$bad" -eq 0 ]
    expect "events written to the output are counted per output" \
        grep -q '^pptap_output_events_total{output="[A-Za-z0-9_.-]*",type="file"} [1-9]' "$work/metrics"
    expect "no output failures" \
        grep -q '^pptap_output_failures_total{output="[A-Za-z0-9_.-]*",type="file"} 0$' "$work/metrics"
    untyped=0
    for m in $(grep -v '^#' "$work/metrics" | sed 's/{.*//' | sort -u); do
        grep -q "^# TYPE $m \(counter\|gauge\)$" "$work/metrics" || untyped=$((untyped + 1))
    done
    expect "every metric has a TYPE ($untyped without)" [ $untyped -eq 0 ]
    metric() { # metric NAME [TYPE]
        if [ -n "${2:-}" ]; then
            grep "^$1{tenant=\"default\",type=\"$2\"} " "$work/metrics" | awk '{print $2}'
        else
            grep -E "^$1\{tenant=\"default\"(,pool=\"siem-other\")?\} " "$work/metrics" |
                awk '{print $2}'
        fi
    }
    wrong=0
    for t in clicksPermitted clicksBlocked messagesDelivered messagesBlocked; do
        lines=$(jq -r "select(.pptap.event_type == \"$t\") | 1" "$work/events.ndjson" | wc -l)
        [ "$(metric pptap_events_total $t)" = "$lines" ] || {
            wrong=$((wrong + 1))
            echo "  $t: metric $(metric pptap_events_total $t), file $lines"
        }
    done
    expect "events_total by type equals the file's lines by type ($wrong wrong)" [ $wrong -eq 0 ]
    expect "events were delivered" [ "$(wc -l <"$work/events.ndjson")" -gt 100 ]
    simreq=$(curl -sf "$BASE/admin/pools" | jq '.siem.requests')
    expect "requests_total ($(metric pptap_requests_total)) equals the simulator's siem pool ($simreq)" \
        [ "$(metric pptap_requests_total)" = "$simreq" ]
    ledger=$(sqlite3 "$work/state.db" "select count(*) from ledger where tenant='default'")
    expect "and the ledger ($ledger)" [ "$(metric pptap_requests_total)" = "$ledger" ]
    for m in pptap_dedupe_hits_total pptap_updates_total pptap_quarantined_total pptap_gaps_total \
        pptap_throttled_total pptap_auth_failures_total pptap_budget_left; do
        expect "$m present" [ -n "$(metric $m)" ]
    done
    expect "no gaps, quarantines, 429s or 401s" [ "$(metric pptap_gaps_total)$(metric pptap_quarantined_total)$(metric pptap_throttled_total)$(metric pptap_auth_failures_total)" = 0000 ]
    updates=$(jq -r 'select(.pptap.update == true) | 1' "$work/events.ndjson" | wc -l)
    expect "updates_total equals the updates in the file ($updates)" [ "$(metric pptap_updates_total)" = "$updates" ]
    lag=$(metric pptap_lag_seconds)
    final=$(metric pptap_final_cursor_seconds)
    now=$(date -u -d "$(sim_now)" +%s)
    # Nothing is due: the last final window ended at least the horizon (35 min)
    # ago, and less than a window plus the horizon (95 min) ago.
    expect "lag sane: 2100 <= $lag < 5700 s" [ "$lag" -ge 2100 -a "$lag" -lt 5700 ]
    expect "lag is the server time minus the final cursor ($now - $final ~ $lag)" \
        [ $((now - final - lag)) -ge -5 -a $((now - final - lag)) -le 5 ]
    expect "final cursor is the store's" [ "$(date -u -d "@$final" +%Y-%m-%dT%H:%M:%SZ)" = "$(cursor final)" ]
    budget=$(metric pptap_budget_left)
    # (With the simulator's clock frozen, a request can be stamped a second
    # after the server time of a later check: the gauge may count fewer.)
    expect "budget_left within 90 % of 1800 minus the requests ($budget, $ledger requests)" \
        [ "$budget" -ge $((1620 - ledger)) -a "$budget" -lt 1620 ]
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/other")
    expect "other paths 404 ($code)" [ "$code" = 404 ]
    t0=$(date +%s%N)
    kill -TERM "$pid"
    rc=
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid"; rc=$?; break; }
        sleep 0.05
    done
    ms=$((($(date +%s%N) - t0) / 1000000))
    [ -z "$rc" ] && { kill -9 "$pid"; wait "$pid" 2>/dev/null; rc=killed; }
    expect "SIGTERM: exits 0 within 5 s (rc $rc, ${ms} ms)" [ "$rc" = 0 ]
    expect "SIGTERM: the log says it stopped" grep -q 'stopping: every delivered window is checkpointed' "$work/collect.log"
    expect "SIGTERM: the metrics port is closed" sh -c "! curl -sf http://127.0.0.1:$port/metrics >/dev/null"
    n1=$(wc -l <"$work/events.ndjson")
    collect
    expect "restart with --once exits 0" [ $? -eq 0 ]
    admin "clock?advance=2h" >/dev/null
    collect
    expect "and once more two hours later" [ $? -eq 0 ]
    expect "the later run delivered more ($n1 -> $(wc -l <"$work/events.ndjson"))" \
        [ "$(wc -l <"$work/events.ndjson")" -gt "$n1" ]
    START=$(state_start)
    check_exact "$START" "$(cursor final)"
    ;;
tenants)
    start_sim --rate 200 --start 2026-06-01T12:00:00Z
    BASE_A=$BASE
    # The second simulator: another seed, another credential.
    printf '%s' 'b3ta-S3cret-other' >"$work/b.secret"
    chmod 600 "$work/b.secret"
    launch_sim sim_b --seed 11 --speed 0 --rate 150 --start 2026-06-01T12:00:00Z \
        --principal tenant-b --secret-file "$work/b.secret"
    BASE_B=$SIM_URL
    printf '%s' 'wrong-secret' >"$work/bad.secret"
    chmod 600 "$work/bad.secret"
    tenants_conf() { # tenants_conf STATE SECRET_B
        cat <<EOF
[service]
state = $1
[tenant beta]
base_url = $BASE_B
principal = tenant-b
secret_file = $2
outputs = out-b
[tenant alpha]
base_url = $BASE_A
principal = $PPTAP_PRINCIPAL
secret_env = PPTAP_SECRET
outputs = out-a
[output out-a]
type = file
path = $work/a.ndjson
[output out-b]
type = file
path = $work/b.ndjson
EOF
    }
    tenants_conf "$work/state.db" "$work/b.secret" >"$work/pptap.conf"
    "$PPTAP" collect --config "$work/pptap.conf" --once 2>>"$work/collect.log"
    expect "two tenants: exit 0" [ $? -eq 0 ]
    admin "clock?advance=2h" >/dev/null
    curl -sf -X POST "$BASE_B/admin/clock?advance=2h" >/dev/null
    "$PPTAP" collect --config "$work/pptap.conf" --once 2>>"$work/collect.log"
    expect "two tenants, second run: exit 0" [ $? -eq 0 ]
    expect "a.ndjson holds alpha's events only" \
        [ "$(jq -r '.pptap.tenant' "$work/a.ndjson" | sort -u)" = alpha ]
    expect "b.ndjson holds beta's events only" \
        [ "$(jq -r '.pptap.tenant' "$work/b.ndjson" | sort -u)" = beta ]
    START=$(state_start alpha)
    EVENTS=$work/a.ndjson BASE=$BASE_A check_exact "$START" "$(cursor final alpha)"
    START=$(state_start beta)
    EVENTS=$work/b.ndjson BASE=$BASE_B check_exact "$START" "$(cursor final beta)"
    expect "each simulator was asked by its own tenant only" \
        [ "$(curl -sf "$BASE_A/admin/requests?last=100000" | jq '[.requests[] | select(.auth != "valid")] | length')$(curl -sf "$BASE_B/admin/requests?last=100000" | jq '[.requests[] | select(.auth != "valid")] | length')" = 00 ]
    # Beta's credentials refused: alpha still collects everything, exit 77.
    rm -f "$work/a.ndjson" "$work/b.ndjson"
    : >"$work/collect.log"
    tenants_conf "$work/state2.db" "$work/bad.secret" >"$work/pptap.conf"
    t0=$(date +%s)
    "$PPTAP" collect --config "$work/pptap.conf" --once 2>>"$work/collect.log"
    rc=$?
    expect "refused credentials: exit 77 ($rc)" [ $rc -eq 77 ]
    expect "without waiting for the retry ($(($(date +%s) - t0)) s)" [ $(($(date +%s) - t0)) -lt 30 ]
    expect "the log says the credentials were refused and when it retries" \
        grep -q '\[beta\] .*the API refused the credentials.*retrying in 15 min' "$work/collect.log"
    expect "beta delivered nothing" [ ! -s "$work/b.ndjson" ]
    START=$(state_start alpha)
    EVENTS=$work/a.ndjson BASE=$BASE_A STATE=$work/state2.db check_exact "$START" "$(STATE=$work/state2.db cursor final alpha)"
    if grep -rqF -e 'b3ta-S3cret-other' -e 'wrong-secret' "$work"/*.log "$work"/*.ndjson; then
        fail "a secret appears in a log or an output"
    fi
    ;;
stdout)
    start_sim --rate 300 --start 2026-06-01T12:00:00Z
    "$PPTAP" collect --base-url "$BASE" --state "$work/state.db" --output - --since 1d --once \
        -v >"$work/stdout.ndjson" 2>>"$work/collect.log"
    expect "exits 0" [ $? -eq 0 ]
    lines=$(wc -l <"$work/stdout.ndjson")
    events=$(jq -c 'select(.pptap.event_id != null and .pptap.tenant == "default")' "$work/stdout.ndjson" | wc -l)
    expect "stdout holds NDJSON events only ($events of $lines lines)" [ "$lines" -gt 100 -a "$events" -eq "$lines" ]
    expect "stdout ends with a newline" [ "$(tail -c 1 "$work/stdout.ndjson" | od -An -c | tr -d ' ')" = '\n' ]
    expect "the logs went to stderr" grep -q 'pptap: collect: .*new state: collecting from' "$work/collect.log"
    expect "no event went to stderr" sh -c "! grep -q event_id '$work/collect.log'"
    START=$(state_start)
    EVENTS=$work/stdout.ndjson check_exact "$START" "$(cursor final)"
    ;;
formats)
    # One run into four file outputs, one per format: the collector renders
    # each event as `pptap normalize` renders the raw line of that event.
    start_sim --rate 300 --start 2026-06-01T12:00:00Z
    cat >"$work/pptap.conf" <<EOF
[service]
state = $work/state.db
[tenant default]
base_url = $BASE
principal = $PPTAP_PRINCIPAL
secret_env = PPTAP_SECRET
since = 1d
[output raw]
type = file
path = $work/events.ndjson
[output ecs]
type = file
path = $work/ecs.ndjson
format = ecs
[output ocsf]
type = file
path = $work/ocsf.ndjson
format = ocsf
[output cef]
type = file
path = $work/cef.log
format = cef
EOF
    "$PPTAP" collect --config "$work/pptap.conf" --once 2>>"$work/collect.log"
    expect "exits 0" [ $? -eq 0 ]
    n=$(wc -l <"$work/events.ndjson")
    expect "events collected ($n)" [ "$n" -gt 100 ]
    for f in ecs ocsf cef; do
        out=$work/$f.ndjson
        [ $f = cef ] && out=$work/cef.log
        expect "$f: one line per event" [ "$(wc -l <"$out")" -eq "$n" ]
        "$PPTAP" normalize --format $f "$work/events.ndjson" >"$work/$f.again" 2>>"$work/collect.log"
        expect "$f: pptap normalize of the raw lines gives the collector's lines" \
            cmp -s "$out" "$work/$f.again"
    done
    expect "ecs: every event_id of the raw output, once" \
        [ "$(jq -r .pptap.event_id "$work/ecs.ndjson" | sort | uniq -u | wc -l)" -eq "$n" ]
    expect "ecs: the same event_ids as the raw output" \
        cmp -s <(jq -r .pptap.event_id "$work/ecs.ndjson" | sort) <(jq -r .pptap.event_id "$work/events.ndjson" | sort)
    expect "ocsf: valid JSON with class 4009 or 4012" \
        [ "$(jq -r 'select(.class_uid == 4009 or .class_uid == 4012) | .class_uid' "$work/ocsf.ndjson" | wc -l)" -eq "$n" ]
    expect "cef: every line is a CEF record" [ "$(grep -c '^CEF:0|Proofpoint|TAP|' "$work/cef.log")" -eq "$n" ]
    ;;
*)
    echo "unknown group $group"
    exit 2
    ;;
esac

no_secret_in "the secret appears in a log or an output" "$work"/*.log "$work"/events.ndjson
finish
