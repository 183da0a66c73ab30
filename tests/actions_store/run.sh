#!/bin/bash
# Tests of the store-backed SOAR actions (Search Events, Enrich Entities,
# Get Message Details, Get Click Forensics) against pptap-sim. CTest labels
# "actions;integration".
#
# Usage: run.sh GROUP PPTAP PPTAP_SIM
#
# Every group starts its own simulator (port 0, fixed seed, frozen clock at
# 2026-06-01T12:00:00Z) and seeds a store by running `pptap collect --once`
# for the last day; the store then covers [start, final) completely (the
# collector's checkpoints). The actions run with `pptap action NAME --state
# STORE` and PPTAP_NOW at the simulator's time; the tests compare their JSON
# results with the simulator's ground truth (/admin/truth), with the events
# the collector wrote, and with what the simulator received
# (/admin/requests).
#
#   search   Search Events from the store (zero API requests), beyond the
#            store (1-hour slices, one request per slice with every status,
#            request count = announced cost), store plus API, stop at Max
#            Results, Clicks Permitted in its own pool, unknown scope
#   budget   over Max API Requests: refused with the cost, nothing spent;
#            over the pool's budget in the ledger: refused; 429 on the SIEM
#            pool: the throttling message naming the pool
#   enrich   Enrich Entities on known and unknown users, URLs and hashes
#   message  Get Message Details by GUID, by Message-ID and by entity, a
#            multi-recipient message, partly found, none found
#   clicks   Get Click Forensics by URL (rewritten link) and by user
set -u
group=$1
PPTAP=$2
SIM=$3

NOW=2026-06-01T12:00:00Z
. "$(dirname "$0")/../lib/harness.sh"
unset PPTAP_CONFIG PPTAP_SECRET_FILE PPTAP_STATE PPTAP_LEDGER PPTAP_TENANT
use_credentials actions-test 'st0re-Act1ons-5ecret'
export PPTAP_NOW=$NOW

# same DESCRIPTION FILE1 FILE2: two sorted lists are equal (and say how not).
not_grep() { ! grep -q "$@"; }

same() {
    local what=$1 a=$2 b=$3
    if cmp -s "$a" "$b"; then
        checks=$((checks + 1))
    else
        fail "$what: $(comm -23 "$a" "$b" | wc -l) only in the first, $(comm -13 "$a" "$b" | wc -l) only in the second"
    fi
}

STATE=$work/state.db
EVENTS=$work/events.ndjson

start_sim() {
    launch_sim sim --seed 11 --rate 200 --speed 0 --start "$NOW"
    BASE=$SIM_URL
}

# The collector fills the store with the last day.
seed_store() {
    "$PPTAP" collect --base-url "$BASE" --state "$STATE" --output "file:$EVENTS" --since 1d \
        --once 2>>"$work/collect.log" || { echo "collect failed"; cat "$work/collect.log"; exit 1; }
    # the events as the store holds them: the last delivery of each event_id
    jq -c 'select(.pptap.event_type != "gap")' "$EVENTS" |
        jq -s -c 'group_by(.pptap.event_id)[] | last' >"$work/latest.ndjson"
}

checkpoint() { sqlite3 "$STATE" "select ival from checkpoints where tenant='default' and name='$1'"; }

# action NAME REQUEST-JSON: runs the action; result in $work/out.json, exit status in $rc.
action() {
    printf '%s' "$2" >"$work/req.json"
    "$PPTAP" --base-url "$BASE" action "$1" --state "$STATE" --input "$work/req.json" \
        >"$work/out.json" 2>"$work/err.txt"
    rc=$?
}

r() { jq -r "$1" "$work/out.json"; }

api_total() { curl -sf "$BASE/admin/requests?last=0" | jq '.total'; }

# The API requests made since total N: one JSON object per line.
requests_since() {
    local n=$(($(api_total) - $1))
    if [ "$n" -le 0 ]; then return 0; fi
    curl -sf "$BASE/admin/requests?last=$n" | jq -c '.requests[]'
}

ledger_count() { sqlite3 "$STATE" "select count(*) from ledger where pool='$1'"; }

# truth FROM TO JQ-STATUS-FILTER: ids of the events created in [FROM, TO)
# that are visible now and pass the filter (a jq test on the statuses).
truth() {
    curl -sf "$BASE/admin/truth?interval=$1/$2" |
        jq -r "select(.visibleNow and ([.threats[].threatStatus] | any($3))) | .id" | sort
}

iso() { date -u -d "@$(($1 / 1000))" +%Y-%m-%dT%H:%M:%SZ; }

# newest WHAT N FROM TO [TYPE]: the result's events ($work/got, sorted ids)
# are N of the newest visible active or cleared events of [FROM, TO) by
# creation time: every event newer than the N-th is there, none older
# (events created at the same moment as the N-th may come in any order).
newest() {
    local what=$1 n=$2
    curl -sf "$BASE/admin/truth?interval=$3/$4" |
        jq -r "select(.visibleNow and ([.threats[].threatStatus] | any($ACTIVE_CLEARED))) | [.created, .id] | @tsv" |
        sort -r >"$work/by-created"
    local cut
    cut=$(sed -n "${n}p" "$work/by-created" | cut -f1)
    awk -F'\t' -v c="$cut" '$1 > c {print $2}' "$work/by-created" | sort >"$work/must"
    awk -F'\t' -v c="$cut" '$1 >= c {print $2}' "$work/by-created" | sort >"$work/may"
    expect "$what: $n events" [ "$(wc -l <"$work/got")" -eq "$n" ]
    expect "$what: every event newer than the ${n}th ($(wc -l <"$work/must"))" \
        [ "$(comm -23 "$work/must" "$work/got" | wc -l)" -eq 0 ]
    expect "$what: none older than the ${n}th" [ "$(comm -13 "$work/may" "$work/got" | wc -l)" -eq 0 ]
}

start_sim
seed_store
START=$(checkpoint start)
FINAL=$(checkpoint final)
NOW_MS=$(($(date -u -d "$NOW" +%s) * 1000))
expect "the collector recorded where coverage starts" [ -n "$START" ]
expect "the collector's endpoint is recorded" \
    [ "$(sqlite3 "$STATE" "select tval from checkpoints where name='endpoint'")" = all ]
ACTIVE_CLEARED='. == "active" or . == "cleared"'

case $group in
search)
    # 1. Inside the store's range: from the store, no request.
    from=$(iso $((START + 3600000)))
    to=$(iso $((START + 4 * 3600000)))
    t0=$(api_total)
    l0=$(ledger_count siem-other)
    action search-events "{\"parameters\": {\"Time Frame\": \"Custom\", \"Start Time\": \"$from\",
        \"End Time\": \"$to\", \"Max Results To Return\": 1000}}"
    expect "store search exits 0 ($rc)" [ "$rc" -eq 0 ]
    expect "store search: source store" [ "$(r .json_result.source)" = store ]
    expect "store search: no API request planned or made" \
        [ "$(r '.json_result.api_requests | "\(.planned) \(.made)"')" = "0 0" ]
    expect "store search: the simulator received nothing" [ "$(api_total)" -eq "$t0" ]
    expect "store search: the ledger is unchanged" [ "$(ledger_count siem-other)" -eq "$l0" ]
    expect "store search: completed, result true" \
        [ "$(r '"\(.execution_state) \(.result_value)"')" = "completed true" ]
    expect "store search: message" \
        grep -q '^Successfully returned events from Proofpoint TAP\.$' <(r .output_message)
    expect "store search: the message names the source" \
        grep -q 'Source: the local store' <(r .output_message)
    r '.json_result.events[].id' | sort >"$work/got"
    truth "$from" "$to" "$ACTIVE_CLEARED" >"$work/want"
    expect "store search: under Max Results ($(wc -l <"$work/want") events)" \
        [ "$(wc -l <"$work/want")" -gt 100 -a "$(wc -l <"$work/want")" -lt 1000 ]
    same "store search: the events of the ground truth (active, cleared)" "$work/want" "$work/got"
    expect "store search: every event has its eventType" \
        [ "$(r '[.json_result.events[] | select(.eventType | test("^(clicks|messages)(Permitted|Blocked|Delivered)$"))] | length')" \
            -eq "$(wc -l <"$work/got")" ]

    # 1b. False Positive only, Messages Blocked, from the store.
    action search-events "{\"parameters\": {\"Time Frame\": \"Custom\", \"Start Time\": \"$from\",
        \"End Time\": \"$to\", \"Threat Status\": \"False Positive\",
        \"Event Type\": \"Messages Blocked\", \"Max Results To Return\": 1000}}"
    r '.json_result.events[].id' | sort >"$work/got"
    curl -sf "$BASE/admin/truth?interval=$from/$to&type=messagesBlocked" |
        jq -r 'select(.visibleNow and ([.threats[].threatStatus] | any(. == "falsePositive"))) | .id' |
        sort >"$work/want"
    expect "false positives: some in the truth" [ -s "$work/want" ]
    same "false positive blocked messages from the store" "$work/want" "$work/got"
    expect "false positives: source store, no request" \
        [ "$(r '"\(.json_result.source) \(.json_result.api_requests.made)"')" = "store 0" ]

    # 2. Before the store's range: the API, one request per hour, all
    #    statuses in each request.
    from=2026-05-29T00:00:00Z
    to=2026-05-29T03:00:00Z
    t0=$(api_total)
    l0=$(ledger_count siem-other)
    action search-events "{\"parameters\": {\"Time Frame\": \"Custom\", \"Start Time\": \"$from\",
        \"End Time\": \"$to\", \"Max Results To Return\": 1000}}"
    expect "API search exits 0 ($rc: $(cat "$work/err.txt"))" [ "$rc" -eq 0 ]
    expect "API search: source api" [ "$(r .json_result.source)" = api ]
    expect "API search: the SecOps message first, exactly" \
        [ "$(r .output_message | head -n 1)" = "Successfully returned events from Proofpoint TAP." ]
    expect "API search: cost announced in the message, after it" \
        [ "$(r .output_message | sed -n 2p | cut -c1-64)" = "Cost: up to 3 TAP API requests (1-hour slices, pool siem-other; " ]
    requests_since "$t0" >"$work/reqs"
    expect "API search: planned 3, made 3, the simulator received 3" \
        [ "$(r '.json_result.api_requests | "\(.planned) \(.made)"')" = "3 3" -a \
          "$(wc -l <"$work/reqs")" -eq 3 ]
    expect "API search: the ledger recorded 3" [ "$(ledger_count siem-other)" -eq $((l0 + 3)) ]
    expect "API search: every request is /v2/siem/all with active and cleared together" \
        [ "$(jq -r 'select(.path == "/v2/siem/all" and (.query | test("threatStatus=active")) and
            (.query | test("threatStatus=cleared")))' "$work/reqs" | jq -s length)" -eq 3 ]
    jq -r '.query | capture("interval=(?<i>[^&]*)").i' "$work/reqs" | sort >"$work/intervals"
    printf '%s\n' "2026-05-29T00%3A00%3A00Z%2F2026-05-29T01%3A00%3A00Z" \
        "2026-05-29T01%3A00%3A00Z%2F2026-05-29T02%3A00%3A00Z" \
        "2026-05-29T02%3A00%3A00Z%2F2026-05-29T03%3A00%3A00Z" >"$work/want-int"
    same "API search: the three 1-hour slices, each once (no status x hour)" \
        "$work/want-int" "$work/intervals"
    r '.json_result.events[].id' | sort >"$work/got"
    truth "$from" "$to" "$ACTIVE_CLEARED" >"$work/want"
    same "API search: the events of the ground truth" "$work/want" "$work/got"

    # 3. Last 24 Hours: the store for what it covers, the API for the last hour.
    t0=$(api_total)
    action search-events '{"parameters": {"Time Frame": "Last 24 Hours", "Max Results To Return": 1000}}'
    gap_h=$(((NOW_MS - FINAL + 3599999) / 3600000))
    expect "store+api: source" [ "$(r .json_result.source)" = store+api ]
    expect "store+api: $gap_h slice(s) planned for the hour(s) after the final cursor" \
        [ "$(r .json_result.api_requests.planned)" -eq "$gap_h" ]
    made=$(r .json_result.api_requests.made)
    expect "store+api: the simulator received what was made ($made)" \
        [ "$(requests_since "$t0" | wc -l)" -eq "$made" -a "$made" -ge 1 ]
    r '.json_result.events[].id' | sort >"$work/got"
    newest "store+api: the newest events of the day" 1000 "$(iso $((NOW_MS - 86400000)))" "$NOW"

    # 4. Max Results reached after the first slice: the other slices are not asked.
    from=2026-05-29T06:00:00Z
    to=2026-05-29T12:00:00Z
    t0=$(api_total)
    action search-events "{\"parameters\": {\"Time Frame\": \"Custom\", \"Start Time\": \"$from\",
        \"End Time\": \"$to\", \"Max Results To Return\": \"40\"}}"
    expect "max results: 6 planned, 1 made" \
        [ "$(r '.json_result.api_requests | "\(.planned) \(.made)"')" = "6 1" ]
    expect "max results: one request received" [ "$(requests_since "$t0" | wc -l)" -eq 1 ]
    expect "max results: the newest hour read, the five before not" \
        [ "$(r '.json_result.api_parts | map("\(.from)/\(.to) \(.read)") | join(" ")')" = \
          "2026-05-29T11:00:00Z/2026-05-29T12:00:00Z true 2026-05-29T06:00:00Z/2026-05-29T11:00:00Z false" ]
    r '.json_result.events[].id' | sort >"$work/got"
    newest "max results" 40 "$from" "$to"

    # 5. Clicks Permitted goes to its own endpoint and pool.
    t0=$(api_total)
    action search-events '{"parameters": {"Event Type": "Clicks Permitted", "Time Frame": "Custom",
        "Start Time": "2026-05-29T00:00:00Z", "End Time": "2026-05-29T02:00:00Z",
        "Max Results To Return": 1000}}'
    expect "clicks permitted: pool named" \
        [ "$(r .json_result.api_requests.pool)" = siem-clicks-permitted ]
    expect "clicks permitted: two requests to /v2/siem/clicks/permitted" \
        [ "$(requests_since "$t0" | jq -r 'select(.path == "/v2/siem/clicks/permitted") | .pool' | sort -u)" = siem-clicks-permitted -a \
          "$(requests_since "$t0" | wc -l)" -eq 2 ]
    expect "clicks permitted: only clicksPermitted events" \
        [ "$(r '[.json_result.events[].eventType] | unique | join(",")')" = clicksPermitted ]
    r '.json_result.events[].id' | sort >"$work/got"
    curl -sf "$BASE/admin/truth?interval=2026-05-29T00:00:00Z/2026-05-29T02:00:00Z&type=clicksPermitted" |
        jq -r "select(.visibleNow and ([.threats[].threatStatus] | any($ACTIVE_CLEARED))) | .id" |
        sort >"$work/want"
    same "clicks permitted: the ground truth" "$work/want" "$work/got"

    # 6. Nothing found; validation; unknown scope.
    curl -sf "$BASE/admin/truth?interval=2026-06-01T09:00:00Z/2026-06-01T09:01:00Z&type=messagesBlocked" |
        jq -r 'select(.visibleNow and ([.threats[].threatStatus] | any(. == "falsePositive"))) | .id' >"$work/want"
    expect "none found: the truth has no such event" [ ! -s "$work/want" ]
    action search-events '{"parameters": {"Event Type": "Messages Blocked", "Threat Status": "False Positive",
        "Time Frame": "Custom", "Start Time": "2026-06-01T09:00:00Z", "End Time": "2026-06-01T09:01:00Z"}}'
    expect "none found: message, result false, exit 0, from the store" \
        [ "$(r .output_message | head -n 1)" = "No events were found in Proofpoint TAP for the provided criteria." -a \
          "$(r .result_value)" = false -a "$rc" -eq 0 -a "$(r .json_result.source)" = store ]
    action search-events '{"parameters": {"Time Frame": "Custom"}}'
    expect "custom without start: exit 64 and the SecOps message" \
        [ "$rc" -eq 64 -a "$(r .output_message)" = 'Error executing action "ProofPointTAP - Search Events". Reason: Start Time is required for custom time frame.' ]
    action search-events '{"parameters": {"Time Frame": "Last Hour", "Start Time": "2026-06-01T09:00:00Z"}}'
    expect "start time without custom: exit 64" \
        [ "$rc" -eq 64 ] && expect "start time without custom: message" \
        grep -q 'Please select \\"Custom\\" in \\"Time Frame\\"' <(jq .output_message "$work/out.json")
    t0=$(api_total)
    action search-events '{"parameters": {}, "scope": "Sender entities"}'
    expect "unknown scope: exit 64, failed" [ "$rc" -eq 64 -a "$(r .execution_state)" = failed ]
    expect "unknown scope: the allowed scopes are listed" \
        grep -q 'Unknown scope "Sender entities"\. Possible values: All entities, ' <(r .output_message)
    expect "unknown scope: nothing asked" [ "$(api_total)" -eq "$t0" ]

    # 7. The collector switches to the issues endpoint: complete coverage
    #    starts again at its final cursor, for issues only.
    printf '%s\n' "[service]" "state = $STATE" "[tenant default]" "base_url = $BASE" \
        "principal = $PPTAP_PRINCIPAL" "secret_env = PPTAP_SECRET" "endpoint = issues" \
        "[output issues]" "type = file" "path = $work/issues.ndjson" >"$work/issues.conf"
    curl -sf -X POST "$BASE/admin/clock?advance=2h" >/dev/null
    NOW2=$(curl -sf "$BASE/admin/clock" | jq -r .now | sed 's/\.[0-9]*Z$/Z/')
    PPTAP_NOW=$NOW2 "$PPTAP" collect --config "$work/issues.conf" --once 2>>"$work/collect.log"
    expect "issues: the collector ran ($?)" [ $? -eq 0 ]
    expect "issues: coverage starts at the old final cursor" [ "$(checkpoint start)" -eq "$FINAL" ]
    expect "issues: the final cursor moved on" [ "$(checkpoint final)" -gt "$FINAL" ]
    expect "issues: the endpoint is recorded" \
        [ "$(sqlite3 "$STATE" "select tval from checkpoints where name='endpoint'")" = issues ]
    from=$(iso "$FINAL")
    to=$(iso "$(checkpoint final)")
    t0=$(api_total)
    PPTAP_NOW=$NOW2 action search-events "{\"parameters\": {\"Event Type\": \"Issues\", \"Time Frame\": \"Custom\",
        \"Start Time\": \"$from\", \"End Time\": \"$to\", \"Max Results To Return\": 1000}}"
    expect "issues from the store: no request" \
        [ "$(r .json_result.source)" = store -a "$(api_total)" -eq "$t0" ]
    r '.json_result.events[].id' | sort >"$work/got"
    curl -sf "$BASE/admin/truth?interval=$from/$to&type=clicksPermitted,messagesDelivered" |
        jq -r "select(.visibleNow and ([.threats[].threatStatus] | any($ACTIVE_CLEARED))) | .id" |
        sort >"$work/want"
    expect "issues: some in the truth" [ -s "$work/want" ]
    same "issues from the store: the ground truth" "$work/want" "$work/got"
    PPTAP_NOW=$NOW2 action search-events "{\"parameters\": {\"Event Type\": \"All\", \"Time Frame\": \"Custom\",
        \"Start Time\": \"$from\", \"End Time\": \"$to\", \"Max Results To Return\": 1000}}"
    expect "all events after the switch: from the API" [ "$(r .json_result.source)" = api ]
    expect "all events after the switch: the store's reason" \
        grep -q "the collector stores the 'issues' endpoint" <(r .json_result.store_coverage.not_used_because)
    ;;

budget)
    # 1. Over the ceiling: refused with the cost, nothing spent.
    slices=$(((START - (NOW_MS - 167 * 3600000) + 3599999) / 3600000 + (NOW_MS - FINAL + 3599999) / 3600000))
    t0=$(api_total)
    l0=$(ledger_count siem-other)
    action search-events '{"parameters": {"Time Frame": "Last Week"}}'
    expect "ceiling: exit 64 ($rc)" [ "$rc" -eq 64 ]
    expect "ceiling: failed" [ "$(r .execution_state)" = failed ]
    expect "ceiling: the message gives the cost ($slices requests) and the ceiling (24)" \
        grep -q "Searching .* needs $slices TAP API requests (one per hour not in the store; pool siem-other, .*), more than Max API Requests (24), so nothing was requested" \
        <(r .output_message)
    expect "ceiling: the message says what to do" grep -q "set Max API Requests to $slices\.$" <(r .output_message)
    expect "ceiling: the simulator received nothing" [ "$(api_total)" -eq "$t0" ]
    expect "ceiling: the ledger is unchanged" [ "$(ledger_count siem-other)" -eq "$l0" ]
    action search-events '{"parameters": {"Time Frame": "Last Week", "Max API Requests": 100}}'
    expect "ceiling from the parameter (100)" \
        grep -q "more than Max API Requests (100)" <(r .output_message)
    PPTAP_ACTION_MAX_REQUESTS=10 action search-events \
        '{"parameters": {"Time Frame": "Last Week", "Max API Requests": 100}}'
    expect "the front door's ceiling (PPTAP_ACTION_MAX_REQUESTS=10) caps the parameter" \
        grep -q "more than Max API Requests (10, capped by the configured ceiling of 10)" \
        <(r .output_message)
    # over the configured ceiling a larger Max API Requests would be capped
    # again: the advice is the environment variable
    PPTAP_ACTION_MAX_REQUESTS=10 action search-events \
        '{"parameters": {"Time Frame": "Last Week", "Max API Requests": 24}}'
    expect "capped: exit 64 ($rc)" [ "$rc" -eq 64 ]
    expect "capped: the advice is to narrow the frame or raise PPTAP_ACTION_MAX_REQUESTS" \
        grep -q "more than Max API Requests (10, capped by the configured ceiling of 10), so nothing was requested; .*\. Narrow the time frame or raise PPTAP_ACTION_MAX_REQUESTS (now 10) to $slices\.$" \
        <(r .output_message)
    expect "capped: no advice to set Max API Requests" \
        not_grep "set Max API Requests" <(r .output_message)
    PPTAP_ACTION_MAX_REQUESTS=10 action search-events '{"parameters": {"Time Frame": "Last Week"}}'
    expect "capped by default: the same advice" \
        grep -q "Narrow the time frame or raise PPTAP_ACTION_MAX_REQUESTS (now 10) to $slices\.$" \
        <(r .output_message)
    # under the configured ceiling, Max API Requests is the advice
    PPTAP_ACTION_MAX_REQUESTS=1800 action search-events \
        '{"parameters": {"Time Frame": "Last Week", "Max API Requests": 3}}'
    expect "under the ceiling: set Max API Requests" \
        grep -q "more than Max API Requests (3), .*Narrow the time frame or set Max API Requests to $slices\.$" \
        <(r .output_message)
    PPTAP_ACTION_MAX_REQUESTS=0 action search-events '{"parameters": {"Time Frame": "Last Week"}}'
    expect "a ceiling out of range is a configuration error (78)" [ "$rc" -eq 78 ]
    expect "and says so" grep -q "PPTAP_ACTION_MAX_REQUESTS: '0' is not a number of requests" "$work/err.txt"
    expect "ceiling refusals spent nothing" [ "$(api_total)" -eq "$t0" ]
    action search-events '{"parameters": {"Time Frame": "Last Week", "Max API Requests": 169}}'
    expect "Max API Requests over 168 is refused" \
        [ "$rc" -eq 64 ] && expect "Max API Requests range message" \
        grep -q 'should be in range from 1 to 168' <(r .output_message)

    # 2. The pool's budget in the ledger: 1797 of 1800 used.
    sqlite3 "$STATE" "with recursive n(i) as (select 1 union all select i + 1 from n where i < 1797)
        insert into ledger(tenant, pool, at, status) select 'default', 'siem-other', $((NOW_MS - 3600000)), 200 from n"
    t0=$(api_total)
    action search-events '{"parameters": {"Time Frame": "Custom", "Start Time": "2026-05-29T00:00:00Z",
        "End Time": "2026-05-29T06:00:00Z"}}'
    expect "pool budget: exit 75 ($rc)" [ "$rc" -eq 75 ]
    expect "pool budget: the message says what is left" \
        grep -q "needs 6 TAP API requests but pool siem-other has [0-3] of its 1800 requests per 24 hours left; nothing was requested" \
        <(r .output_message)
    expect "pool budget: nothing asked" [ "$(api_total)" -eq "$t0" ]
    sqlite3 "$STATE" "delete from ledger where status = 200"

    # 3. 429 on the SIEM pool: the first slice is answered, the second throttled.
    curl -sf -X POST "$BASE/admin/pools?siem=1&reset=1" >/dev/null
    t0=$(api_total)
    action search-events '{"parameters": {"Time Frame": "Custom", "Start Time": "2026-05-29T00:00:00Z",
        "End Time": "2026-05-29T03:00:00Z", "Max Results To Return": 1000}}'
    expect "429: exit 75 ($rc)" [ "$rc" -eq 75 ]
    expect "429: failed" [ "$(r .execution_state)" = failed ]
    expect "429: the throttling message" \
        grep -q 'The user has made too many requests over the past 24 hours and has been throttled' \
        <(r .output_message)
    expect "429: the SecOps sentence, then the pool" \
        grep -q 'has been throttled\. The siem-other pool (1800 requests per rolling 24 hours)' \
        <(r .output_message)
    expect "429: the simulator answered 200 then 429" \
        [ "$(requests_since "$t0" | jq -r .status | tr '\n' ' ')" = "200 429 " ]
    expect "429: made 2 of 3 planned, with the events of the first slice" \
        [ "$(r '.json_result.api_requests | "\(.planned) \(.made)"')" = "3 2" -a \
          "$(r '.json_result.events | length')" -gt 0 ]
    curl -sf -X POST "$BASE/admin/pools?siem=1800&reset=1" >/dev/null
    ;;

enrich)
    # People: a VAP, a top clicker (as the simulator lists them), a user who
    # clicked in the store, an unknown user.
    curl -sf -u "$PPTAP_PRINCIPAL:$PPTAP_SECRET" "$BASE/v2/people/vap?window=30&size=1000" >"$work/vap.json"
    curl -sf -u "$PPTAP_PRINCIPAL:$PPTAP_SECRET" "$BASE/v2/people/top-clickers?window=30&size=200" >"$work/top.json"
    VAP=$(jq -r '.users[0].identity.emails[0]' "$work/vap.json")
    VAP_AI=$(jq -r '.users[0].threatStatistics.attackIndex' "$work/vap.json")
    TOP=$(jq -r --arg v "$VAP" '[.users[] | select(.identity.emails[0] != $v)][0].identity.emails[0]' "$work/top.json")
    TOP_CC=$(jq -r --arg t "$TOP" '.users[] | select(.identity.emails[0] == $t) | .clickStatistics.clickCount' "$work/top.json")
    CLICKER=$(jq -r 'select(.pptap.event_type == "clicksPermitted") | .recipient' "$work/latest.ndjson" |
        sort | uniq -c | sort -k1,1nr -k2 | head -n 1 | awk '{print $2}')
    # a rewritten link that was clicked, and its target
    LINK=$(jq -r 'select(.pptap.event_type | test("^clicks")) | .url | select(test("urldefense"))' \
        "$work/latest.ndjson" | head -n 1)
    TARGET=$("$PPTAP" decode "$LINK")
    # an attachment threat
    SHA=$(jq -r 'select(.threatsInfoMap) | .threatsInfoMap[] | select(.threatType == "attachment") | .threat' \
        "$work/latest.ndjson" | sort | uniq -c | sort -k1,1nr -k2 | head -n 1 | awk '{print $2}')
    expect "test data: VAP $VAP, top clicker $TOP, clicker $CLICKER, link, hash" \
        [ -n "$VAP" -a -n "$TOP" -a -n "$CLICKER" -a -n "$LINK" -a -n "$TARGET" -a -n "$SHA" ]
    t0=$(api_total)
    action enrich-entities "{\"case_id\": \"case-enrich\", \"target_entities\": [
        {\"Identifier\": \"$VAP\", \"EntityType\": \"USERUNIQNAME\"},
        {\"Identifier\": \"$TOP\", \"EntityType\": \"USERUNIQNAME\"},
        {\"Identifier\": \"$CLICKER\", \"EntityType\": \"EMAILADDRESS\"},
        {\"Identifier\": \"nobody@unknown.invalid\", \"EntityType\": \"USERUNIQNAME\"},
        {\"Identifier\": \"$LINK\", \"EntityType\": \"URL\"},
        {\"Identifier\": \"https://not-seen.invalid/x\", \"EntityType\": \"URL\"},
        {\"Identifier\": \"$SHA\", \"EntityType\": \"FILEHASH\"},
        {\"Identifier\": \"$(printf '%064d' 0)\", \"EntityType\": \"FILEHASH\"},
        {\"Identifier\": \"d41d8cd98f00b204e9800998ecf8427e\", \"EntityType\": \"FILEHASH\"},
        {\"Identifier\": \"10.0.0.1\", \"EntityType\": \"ADDRESS\"}]}"
    expect "enrich exits 0 ($rc: $(cat "$work/err.txt"))" [ "$rc" -eq 0 ]
    en() { jq -r --arg e "$1" ".json_result.results[] | select(.Entity == \$e) | $2" "$work/out.json"; }
    expect "nine entities of supported types reported (the ADDRESS is not)" \
        [ "$(r '.json_result.results | length')" -eq 9 ]
    expect "VAP: is_vap and its attack index" \
        [ "$(en "$VAP" '.enrichment | "\(.ProofPointTAP_is_vap) \(.ProofPointTAP_attack_index)"')" = "true $VAP_AI" ]
    expect "top clicker: is_top_clicker and its click count" \
        [ "$(en "$TOP" '.enrichment | "\(.ProofPointTAP_is_top_clicker) \(.ProofPointTAP_click_count)"')" = "true $TOP_CC" ]
    want_p=$(jq -r --arg u "$CLICKER" 'select(.pptap.event_type == "clicksPermitted" and (.recipient | ascii_downcase) == ($u | ascii_downcase)) | .id' "$work/latest.ndjson" | wc -l)
    want_d=$(jq -r --arg u "$CLICKER" 'select(.pptap.event_type == "messagesDelivered" and ([.recipient[] | ascii_downcase] | index($u | ascii_downcase))) | .id' "$work/latest.ndjson" | wc -l)
    expect "clicker: clicks permitted ($want_p) and messages delivered ($want_d) from the store" \
        [ "$(en "$CLICKER" '.enrichment | "\(.ProofPointTAP_clicks_permitted) \(.ProofPointTAP_messages_delivered)"')" = "$want_p $want_d" ]
    expect "clicker: found, recent clicks listed" \
        [ "$(en "$CLICKER" '.found')" = true -a "$(en "$CLICKER" '.EntityResult.recent_clicks | length')" -ge 1 ]
    expect "unknown user: not found, not a VAP" \
        [ "$(en nobody@unknown.invalid '"\(.found) \(.enrichment.ProofPointTAP_is_vap)"')" = "false false" ]
    expect "link: decoded" [ "$(en "$LINK" '.enrichment.ProofPointTAP_decoded_url')" = "$TARGET" ]
    # the clicks on the link's target, raw or rewritten
    "$PPTAP" search --state "$STATE" --url "$TARGET" --json >"$work/url-events"
    want_clickers=$(jq -r 'select(.pptap.event_type | test("^clicks")) | .recipient | ascii_downcase' "$work/url-events" | sort -u | wc -l)
    expect "link: events ($(wc -l <"$work/url-events")) and clickers ($want_clickers) as the store holds them" \
        [ "$(en "$LINK" '"\(.enrichment.ProofPointTAP_events) \(.enrichment.ProofPointTAP_clickers)"')" = "$(wc -l <"$work/url-events") $want_clickers" ]
    jq -r 'select(.pptap.event_type | test("^clicks")) | .threatID' "$work/url-events" | sort -u >"$work/want"
    en "$LINK" '.EntityResult.threat_ids[]' | sort >"$work/got"
    same "link: its threats" "$work/want" "$work/got"
    # the hash: who received it
    jq -r --arg h "$SHA" 'select(.pptap.event_type | test("^messages")) |
        select(([.messageParts[]?.sha256] | index($h)) or ([.threatsInfoMap[]?.threat] | index($h))) |
        .recipient[] | ascii_downcase' "$work/latest.ndjson" | sort -u >"$work/want"
    en "$SHA" '.EntityResult.recipients[] | ascii_downcase' | sort -u >"$work/got"
    expect "hash: some recipients" [ -s "$work/want" ]
    same "hash: its recipients" "$work/want" "$work/got"
    expect "hash: its own threat" [ "$(en "$SHA" '.EntityResult.threat_ids | join(",") | ascii_downcase')" = "$SHA" ]
    expect "unknown URL and hash: not found" \
        [ "$(en https://not-seen.invalid/x .found)$(en "$(printf '%064d' 0)" .found)" = falsefalse ]
    expect "MD5: not searched, with the reason" \
        [ "$(en d41d8cd98f00b204e9800998ecf8427e '"\(.found) \(.reason)"')" = "false only SHA-256 hashes are searched (TAP events index them)" ]
    # the API: one VAP and one top-clickers request for four users; one
    # threat summary per threat found
    requests_since "$t0" >"$work/reqs"
    expect "one VAP request per run" [ "$(jq -r 'select(.path == "/v2/people/vap")' "$work/reqs" | jq -s length)" -eq 1 ]
    expect "one top-clickers request per run" \
        [ "$(jq -r 'select(.path == "/v2/people/top-clickers")' "$work/reqs" | jq -s length)" -eq 1 ]
    r '.json_result.threat_summaries | keys[]' | sort >"$work/got"
    jq -r 'select(.path | startswith("/v2/threat/summary/")) | .path | sub("/v2/threat/summary/"; "")' "$work/reqs" | sort >"$work/want"
    expect "threat summaries asked" [ -s "$work/want" ]
    same "one threat summary request per threat found" "$work/want" "$work/got"
    expect "threat summaries answered" \
        [ "$(r '[.json_result.threat_summaries[] | select(.id)] | length')" -eq "$(wc -l <"$work/want")" ]
    # messages and insights
    found=$(r '[.json_result.results[] | select(.found)] | length')
    expect "found: VAP, top clicker, clicker, link, hash ($found)" [ "$found" -eq 5 ]
    expect "one insight per entity found" [ "$(r '.insights | length')" -eq "$found" ]
    expect "insights are about their entity" \
        [ "$(r '[.insights[] | select(.entity != null and .triggered_by == "ProofPointTAP")] | length')" -eq "$found" ]
    expect "message: found and not found" \
        [ "$(r .output_message | grep -c -e '^Successfully enriched the following entities using ProofPoint TAP: ' -e "^Action wasn't able to find information in ProofPoint TAP for the following entities: nobody@unknown.invalid")" -eq 2 ]
    expect "result true" [ "$(r .result_value)" = true ]
    expect "the insights are kept in the case" \
        [ "$(sqlite3 "$STATE" "select count(*) from case_insights where case_id = 'case-enrich'")" -eq "$found" ]
    # the same request again: every insight reported with new false, nothing added
    cp "$work/req.json" "$work/enrich-req.json"
    action enrich-entities "$(cat "$work/enrich-req.json")"
    expect "re-run exits 0 ($rc)" [ "$rc" -eq 0 ]
    expect "re-run: the same insights, each new: false" \
        [ "$(r '[.insights[].new] | "\(length) \(all(. == false))"')" = "$found true" ]
    expect "re-run: nothing new in the case" \
        [ "$(r '.case | "\(.stored) \(.new_insights) \(.new_entities)"')" = "true 0 0" ]
    expect "re-run: the case holds each insight once" \
        [ "$(sqlite3 "$STATE" "select count(*) from case_insights where case_id = 'case-enrich'")" -eq "$found" ]
    # 429 on the vap pool: the action completes without the VAP status,
    # saying why in the SecOps words
    curl -sf -X POST "$BASE/admin/pools?vap=1&reset=1" >/dev/null
    curl -sf -u "$PPTAP_PRINCIPAL:$PPTAP_SECRET" "$BASE/v2/people/vap?window=30" >/dev/null
    action enrich-entities "{\"target_entities\": [{\"Identifier\": \"$TOP\", \"EntityType\": \"USERUNIQNAME\"}]}"
    expect "vap 429: completed, exit 0 ($rc)" [ "$rc" -eq 0 -a "$(r .execution_state)" = completed ]
    expect "vap 429: the message says the VAP status is incomplete, with the 429" \
        grep -q "^VAP and top-clicker status is incomplete: The user has made too many requests over the past 24 hours and has been throttled\. The vap pool (50 requests per rolling 24 hours) is exhausted" \
        <(r .output_message)
    expect "vap 429: the entity carries the error, no VAP status, its top-clicker status" \
        [ "$(en "$TOP" '"\(.EntityResult.vap_error | startswith("The user has made too many requests")) \(.enrichment | has("ProofPointTAP_is_vap")) \(.enrichment.ProofPointTAP_is_top_clicker)"')" = "true false true" ]
    curl -sf -X POST "$BASE/admin/pools?vap=50&reset=1" >/dev/null
    # nothing found
    action enrich-entities '{"target_entities": [{"Identifier": "nobody@unknown.invalid", "EntityType": "USERUNIQNAME"}],
        "parameters": {"Check People": false}}'
    expect "none found: result false, message" \
        [ "$(r .result_value)" = false -a "$(r .output_message)" = "None of the provided entities were found in ProofPoint TAP." ]
    ;;

message)
    # a message with several recipients, in the store
    G=$(jq -r 'select(.pptap.event_type | test("^messages")) | .GUID' "$work/latest.ndjson" |
        sort | uniq -c | awk '$1 >= 3 {print $2}' | head -n 1)
    expect "test data: a message with three recipients" [ -n "$G" ]
    jq -c --arg g "$G" 'select(.GUID == $g)' "$work/latest.ndjson" >"$work/msg-events"
    action get-message-details "{\"parameters\": {\"Message GUID\": \"$G\"}}"
    expect "by GUID exits 0" [ "$rc" -eq 0 ]
    expect "by GUID: one message" [ "$(r '.json_result.messages | length')" -eq 1 ]
    jq -r 'select(.pptap.event_type | test("^messages")) | .recipient[] as $r |
        "\($r) \(if .pptap.event_type == "messagesDelivered" then "delivered" else "blocked" end)"' \
        "$work/msg-events" | sort >"$work/want"
    r '.json_result.messages[0].recipients[] | "\(.recipient) \(.status)"' | sort >"$work/got"
    same "by GUID: every recipient with delivered or blocked" "$work/want" "$work/got"
    expect "by GUID: three recipients or more" [ "$(wc -l <"$work/got")" -ge 3 ]
    jq -r '.messageParts[]?.sha256' "$work/msg-events" | sort -u >"$work/want"
    r '.json_result.messages[0].parts[].sha256' | sort >"$work/got"
    same "by GUID: the parts, once per hash" "$work/want" "$work/got"
    jq -r '.threatsInfoMap[]?.threatID' "$work/msg-events" | sort -u >"$work/want"
    r '.json_result.messages[0].threats[].threatID' | sort >"$work/got"
    same "by GUID: the threats" "$work/want" "$work/got"
    jq -r 'select(.pptap.event_type | test("^clicks")) | .id' "$work/msg-events" | sort >"$work/want"
    r '.json_result.messages[0].clicks[].id' | sort >"$work/got"
    same "by GUID: the clicks" "$work/want" "$work/got"
    expect "by GUID: the data table has a row per recipient" \
        [ "$(r '.data_tables[] | select(.title == "Message Details") | .rows | length')" -eq \
          "$(r '.json_result.messages[0].recipients | length')" ]
    expect "by GUID: message" \
        [ "$(r .output_message)" = "Successfully found information for the following messages in the local TAP event store: $G" ]
    subject=$(r .json_result.messages[0].subject)
    expect "by GUID: the subject of the events" \
        [ "$(jq -r 'select(.subject != null) | .subject' "$work/msg-events" | head -n 1)" = "$subject" ]

    # by Message-ID (without brackets) and as an entity: the same message
    MID=$(jq -r 'select(.messageID != null and .messageID != "") | .messageID' "$work/msg-events" | head -n 1)
    jq -r --arg m "$MID" 'select(.messageID == $m) | .GUID' "$work/latest.ndjson" | sort -u >"$work/want"
    bare=${MID#<}
    action get-message-details "{\"parameters\": {\"Message ID\": \"${bare%>}\"}}"
    r '.json_result.messages[].GUID' | sort >"$work/got"
    same "by Message-ID: the GUIDs carrying it" "$work/want" "$work/got"
    expect "by Message-ID: the recipients" \
        [ "$(r '.json_result.messages[] | select(.GUID == "'"$G"'") | .recipients | length')" -ge 3 ]
    action get-message-details "{\"target_entities\": [{\"Identifier\": \"$MID\", \"EntityType\": \"GENERICENTITY\"},
        {\"Identifier\": \"$G\", \"EntityType\": \"GENERICENTITY\"}]}"
    expect "entities: Message-ID and GUID found, the message once" \
        [ "$(r '.json_result.messages | map(select(.GUID == "'"$G"'")) | length')" -eq 1 -a "$(r .result_value)" = true ]

    # partly found, none found
    action get-message-details "{\"parameters\": {\"Message GUID\": \"$G,NoSuchGuid0000\", \"Message ID\": \"<none@nowhere.invalid>\"}}"
    expect "partly found: both lines" \
        [ "$(r .output_message)" = "Successfully found information for the following messages in the local TAP event store: $G
Action wasn't able to find information for the following messages in the local TAP event store: NoSuchGuid0000, <none@nowhere.invalid>" ]
    expect "partly found: not_found listed" [ "$(r '.json_result.not_found | length')" -eq 2 ]
    action get-message-details '{"parameters": {"Message GUID": "NoSuchGuid0000"}}'
    expect "none found: result false, completed" \
        [ "$(r '"\(.result_value) \(.execution_state)"')" = "false completed" -a "$rc" -eq 0 ]
    expect "none found: message" \
        [ "$(r .output_message)" = "No information about the provided messages was found in the local TAP event store." ]
    action get-message-details '{"parameters": {}}'
    expect "no key: exit 64" [ "$rc" -eq 64 ]
    ;;

clicks)
    # a rewritten link with clicks, and a user with clicks
    LINK=$(jq -r 'select(.pptap.event_type | test("^clicks")) | .url | select(test("urldefense"))' \
        "$work/latest.ndjson" | head -n 1)
    TARGET=$("$PPTAP" decode "$LINK")
    USER_=$(jq -r 'select(.pptap.event_type | test("^clicks")) | .recipient' "$work/latest.ndjson" |
        sort | uniq -c | sort -k1,1nr -k2 | head -n 1 | awk '{print $2}')
    expect "test data: a link and a clicker" [ -n "$LINK" -a -n "$TARGET" -a -n "$USER_" ]
    # every click whose URL is the link or its target, rewritten or not
    jq -r 'select(.pptap.event_type | test("^clicks")) | "\(.id)\t\(.url)"' "$work/latest.ndjson" >"$work/all-clicks"
    cut -f2 "$work/all-clicks" | "$PPTAP" decode --json | jq -r '.decodedUrl // .encodedUrl' \
        >"$work/decoded" 2>/dev/null
    paste "$work/all-clicks" "$work/decoded" | awk -F'\t' -v l="$LINK" -v t="$TARGET" \
        '$2 == l || $2 == t || $3 == t {print $1}' | sort >"$work/want"
    action get-click-forensics "{\"case_id\": \"case-clicks\", \"parameters\": {\"URL\": \"$TARGET\", \"Max Results To Return\": 1000}}"
    expect "by URL exits 0" [ "$rc" -eq 0 ]
    expect "by URL: the insight kept in the case, new" \
        [ "$(r '"\(.case.stored) \(.case.new_insights) \([.insights[].new] | all)"')" = "true 1 true" ]
    cp "$work/out.json" "$work/clicks-first.json"
    r '.json_result.clicks[].event.id' | sort >"$work/got"
    same "by URL (the decoded target): the clicks of the link and its target" "$work/want" "$work/got"
    expect "by URL: the rewritten clicks carry their decoded URL" \
        [ "$(r '[.json_result.clicks[] | select(.url | test("urldefense")) | select(.decodedUrl == "'"$TARGET"'")] | length')" -ge 1 ]
    # threat at click time: known when threatTime <= clickTime
    expect "by URL: threatKnown is threatTime <= clickTime" \
        [ "$(r '[.json_result.clicks[] | select(.threatAtClickTime.threatKnown != (.event.threatTime <= .event.clickTime))] | length')" -eq 0 ]
    # the message's threatsInfoMap entry when the message is in the store
    with_msg=$(r '.json_result.clicks[] | select(.threatAtClickTime.threatsInfoMap != null) | .GUID' | wc -l)
    want_msg=0
    for g in $(r '.json_result.clicks[].GUID'); do
        if jq -e --arg g "$g" 'select(.GUID == $g and (.pptap.event_type | test("^messages")))' \
            "$work/latest.ndjson" >/dev/null; then
            want_msg=$((want_msg + 1))
        fi
    done
    expect "by URL: the message's threat entry for each click whose message is stored ($want_msg)" \
        [ "$with_msg" -eq "$want_msg" ]
    expect "by URL: table rows" \
        [ "$(r '.data_tables[] | select(.title == "Click Forensics") | .rows | length')" -eq "$(wc -l <"$work/want")" ]
    expect "by URL: an insight" [ "$(r '.insights | length')" -eq 1 ]
    # the same request again: the same clicks, the insight not added twice
    action get-click-forensics "$(cat "$work/req.json")"
    expect "re-run: the same clicks" \
        [ "$(r '[.json_result.clicks[].event.id]')" = "$(jq '[.json_result.clicks[].event.id]' "$work/clicks-first.json")" ]
    expect "re-run: the insight reported with new: false, nothing new in the case" \
        [ "$(r '"\([.insights[].new] | map(tostring) | join(",")) \(.case.new_insights) \(.case.new_entities)"')" = "false 0 0" ]
    expect "re-run: the case holds the insight once" \
        [ "$(sqlite3 "$STATE" "select count(*) from case_insights where case_id = 'case-clicks'")" -eq 1 ]

    # by user, as an entity, permitted only
    jq -r --arg u "$USER_" 'select(.pptap.event_type == "clicksPermitted" and .recipient == $u) | .id' \
        "$work/latest.ndjson" | sort >"$work/want"
    action get-click-forensics "{\"parameters\": {\"Click Type\": \"Clicks Permitted\", \"Max Results To Return\": 1000},
        \"target_entities\": [{\"Identifier\": \"$USER_\", \"EntityType\": \"USERUNIQNAME\"},
        {\"Identifier\": \"nobody@unknown.invalid\", \"EntityType\": \"USERUNIQNAME\"}]}"
    r '.json_result.clicks[].event.id' | sort >"$work/got"
    same "by user: the permitted clicks" "$work/want" "$work/got"
    expect "by user: newest first" \
        [ "$(r '[.json_result.clicks[].clickTime] | . == (sort | reverse)')" = true ]
    expect "by user: partly found message" \
        [ "$(r .output_message)" = "Successfully found clicks for the following URLs and users in the local TAP event store: $USER_
No clicks were found for the following URLs and users in the local TAP event store: nobody@unknown.invalid" ]
    action get-click-forensics '{"parameters": {"User": "nobody@unknown.invalid"}}'
    expect "none found: result false and message" \
        [ "$(r .result_value)" = false -a "$(r .output_message)" = "No clicks were found in the local TAP event store for the provided URLs and users." ]
    action get-click-forensics '{"parameters": {"Max Results To Return": 1}, "target_entities": [{"Identifier": "'"$USER_"'", "EntityType": "USERUNIQNAME"}]}'
    expect "max results per target" [ "$(r '.json_result.clicks | length')" -eq 1 ]
    ;;

*)
    echo "unknown group $group"
    exit 2
    ;;
esac

finish "[$group] %checks checks, %failures failures"
