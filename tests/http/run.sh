#!/bin/bash
# The collector's http output against pptap-test-receiver (label "http").
#
# Usage: run.sh GROUP PPTAP PPTAP_SIM RECEIVER TLS_DIR
#
#   json     flavour json: 503s, resets, lost answers and 429s with
#            Retry-After, more 503s set through /admin/faults; every event of the file output arrives, once per
#            event_id and version after dedupe; retries in the metrics
#   hec      flavour splunk-hec with the same faults and two events HEC
#            refuses with code 6: they are isolated and quarantined, every
#            other event arrives (some answers are slow); the envelope's
#            fields are checked
#   hec-ack  splunk-hec with indexer acknowledgement: acks come late, some
#            never; those windows fail and are collected again; answers
#            slower than the timeout are retried
#   es       flavour elasticsearch into the default data stream: faults,
#            a tenth of the items answered 429, three ids refused with
#            mapper_parsing_exception (quarantined, counted), lost answers
#            (409 on the retry = delivered); the index holds every _id once
#   tls      HTTPS: refused without the CA, delivered with cacert, and with
#            insecure = true (warned)
#
# Each group runs pptap-sim (clock frozen) and the collector with a file
# output and the http output side by side; the file is the reference.
set -u
group=$1
PPTAP=$2
SIM=$3
RECEIVER=$4
TLS_DIR=$5

recv_pid=
coll_pid=
TOKEN='hec-T0ken-7f3a9c'
STOP_PIDS='coll_pid sim_pids recv_pid'
. "$(dirname "$0")/../lib/harness.sh"
use_credentials collector-test 'c0llect-S3cret-9'

start_sim() {
    launch_sim sim --seed 7 --speed 0 --rate 1000 --start 2026-06-01T12:00:00Z
    BASE=$SIM_URL
}

start_receiver() { # start_receiver [options]
    printf '%s\n' "$TOKEN" >"$work/token"
    chmod 600 "$work/token"
    "$RECEIVER" --port-file "$work/recv_url" --records "$work/records.ndjson" \
        --token-file "$work/token" --seed 5 "$@" >"$work/recv.out" 2>"$work/recv.err" &
    recv_pid=$!
    wait_file "$work/recv_url" || { echo "receiver did not start"; cat "$work/recv.err"; exit 1; }
    RURL=$(cat "$work/recv_url")
}

stats() { curl -sf ${CURL_TLS:-} "$RURL/admin/stats"; }

# ids of events visible now, created in the hour that ended H hours ago
ids_hours_ago() { # ids_hours_ago H COUNT
    local now to from
    now=$(date -u -d "$(sim_now)" +%s)
    to=$(date -u -d "@$((now - $1 * 3600))" +%Y-%m-%dT%H:%M:%SZ)
    from=$(date -u -d "@$((now - $1 * 3600 - 3600))" +%Y-%m-%dT%H:%M:%SZ)
    curl -sf "$BASE/admin/truth?interval=$from/$to" | jq -r 'select(.visibleNow) | .id' |
        sort | head -n "$2"
}

write_conf() { # write_conf OUTPUT-KEYS... (lines of the [output http] section)
    {
        cat <<EOF
[service]
state = $work/state.db
metrics = 127.0.0.1:$METRICS_PORT
[tenant default]
base_url = $BASE
principal = $PPTAP_PRINCIPAL
secret_env = PPTAP_SECRET
since = 6h
[output file]
type = file
path = $work/events.ndjson
[output http]
type = http
token_file = $work/token
batch_events = 40
max_in_flight = 3
retries = 10
timeout = 5s
EOF
        printf '%s\n' "$@"
    } >"$work/pptap.conf"
}

METRICS_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# Runs the collector in the foreground until it has caught up (or exits),
# keeps its metrics in $work/metrics, then stops it with SIGTERM.
collect_live() {
    "$PPTAP" collect --config "$work/pptap.conf" 2>>"$work/collect.log" &
    coll_pid=$!
    local caught=0
    for _ in $(seq 1200); do
        if ! kill -0 "$coll_pid" 2>/dev/null; then
            break
        fi
        if curl -sf "http://127.0.0.1:$METRICS_PORT/metrics" >"$work/metrics.tmp" 2>/dev/null &&
            grep -q '^pptap_lag_seconds{tenant="default"} [1-9]' "$work/metrics.tmp"; then
            mv "$work/metrics.tmp" "$work/metrics"
            caught=1
            break
        fi
        sleep 0.1
    done
    kill -TERM "$coll_pid" 2>/dev/null
    wait "$coll_pid"
    LIVE_RC=$?
    coll_pid=
    [ $caught -eq 1 ]
}

# One catch-up run with --once, repeated while windows fail (at most N times).
collect_once() { # collect_once [N]
    local rc=1
    for _ in $(seq "${1:-6}"); do
        "$PPTAP" collect --config "$work/pptap.conf" --once 2>>"$work/collect.log"
        rc=$?
        [ $rc -eq 0 ] && break
    done
    return $rc
}

metric() { # metric NAME: the http output's sample
    grep "^$1{output=\"http\",type=\"http\"} " "$work/metrics" | awk '{print $2}'
}

# Every (event_id, update) of the file output arrived, except the
# quarantined ids; nothing else arrived. $1: jq path of the document in a
# record (.doc or .envelope.event).
check_keys() {
    local path=$1
    jq -r 'select(.pptap.event_type != "gap") | "\(.pptap.event_id)|\(.pptap.update)"' \
        "$work/events.ndjson" | sort -u >"$work/file_keys"
    jq -r "select(.id != null) | \"\(.id)|\($path.pptap.update)\"" "$work/records.ndjson" |
        sort >"$work/recv_all"
    sort -u "$work/recv_all" >"$work/recv_keys"
    local bad
    bad=$(jq -r "select(.id != $path.pptap.event_id) | .id" "$work/records.ndjson" | wc -l)
    expect "each record's id is its document's event_id ($bad differ)" [ "$bad" -eq 0 ]
    sort -u "$work/rejected_ids" | sed 's/$/|false/' >"$work/rejected_keys"
    comm -23 "$work/file_keys" "$work/recv_keys" | comm -23 - "$work/rejected_keys" >"$work/missing"
    local missing extra dups
    missing=$(wc -l <"$work/missing")
    extra=$(comm -13 "$work/file_keys" "$work/recv_keys" | wc -l)
    dups=$(($(wc -l <"$work/recv_all") - $(wc -l <"$work/recv_keys")))
    expect "every event of the file output arrived ($missing missing of $(wc -l <"$work/file_keys"))" \
        [ "$missing" -eq 0 ]
    expect "nothing arrived that the file output does not hold ($extra)" [ "$extra" -eq 0 ]
    expect "enough events to mean something ($(wc -l <"$work/file_keys"))" \
        [ "$(wc -l <"$work/file_keys")" -gt 1000 ]
    echo "  [$group] $(wc -l <"$work/recv_all") documents received, $dups repeats (at least once)"
    DUPS=$dups
}

# The refused events are in the store's quarantine, with the receiver's reason.
check_quarantine() { # check_quarantine PATTERN
    sqlite3 "$work/state.db" "select raw from quarantine where reason like 'output http refused it:%'" |
        jq -r '.pptap.event_id' | sort >"$work/quarantined"
    expect "the refused events are quarantined ($(tr '\n' ' ' <"$work/quarantined"))" \
        cmp -s "$work/quarantined" <(sort -u "$work/rejected_ids")
    local why
    why=$(sqlite3 "$work/state.db" "select count(*) from quarantine where reason like 'output http refused it:%$1%'")
    expect "their reason is the receiver's ($why with '$1')" [ "$why" -eq "$(wc -l <"$work/quarantined")" ]
}

check_common() {
    local s
    s=$(stats)
    echo "  [$group] receiver: $(printf '%s' "$s" | jq -c '{data_requests, gzip, plain, max_in_flight, faults}')"
    expect "gzip bodies ($(printf '%s' "$s" | jq .gzip) gzip)" [ "$(printf '%s' "$s" | jq .gzip)" -gt 10 ]
    expect "the user agent names pptap" [ "$(printf '%s' "$s" | jq -r .user_agent | cut -c1-6)" = "pptap/" ]
    local mif
    mif=$(printf '%s' "$s" | jq .max_in_flight)
    expect "never more than max_in_flight = 3 batches at once ($mif, ${EXTRA_IN_FLIGHT:-0} more allowed)" \
        [ "$mif" -ge 1 -a "$mif" -le $((3 + ${EXTRA_IN_FLIGHT:-0})) ]
    expect "no request without the right token ($(printf '%s' "$s" | jq .auth_failures))" \
        [ "$(printf '%s' "$s" | jq .auth_failures)" -eq 0 ]
    if grep -rqF "$TOKEN" "$work"/*.log "$work"/events.ndjson "$work"/metrics 2>/dev/null; then
        fail "the token appears in a log, the file output or the metrics"
    else
        checks=$((checks + 1))
    fi
}

check_metrics() { # check_metrics REJECTED
    expect "metrics scraped while caught up" [ -s "$work/metrics" ]
    local retries rejected queued
    retries=$(metric pptap_output_retries_total)
    rejected=$(metric pptap_output_rejected_total)
    queued=$(metric pptap_output_queued)
    expect "retries counted in the metrics ($retries)" [ "${retries:-0}" -gt 0 ]
    expect "rejected events counted in the metrics ($rejected, expected $1)" [ "${rejected:-x}" = "$1" ]
    expect "nothing queued once caught up ($queued)" [ "${queued:-x}" = 0 ]
    expect "the retries are logged with their delay" grep -q 'output http: .*retrying in [0-9.]* s' "$work/collect.log"
}

: >"$work/rejected_ids"
case $group in
json)
    start_sim
    start_receiver --first-503 3 --fault-503 0.05 --fault-reset 0.04 --fault-lost 0.05 \
        --fault-429 0.04 --retry-after 1
    write_conf "url = $RURL/ingest" "flavour = json"
    collect_live
    expect "the live run caught up and stopped cleanly (rc $LIVE_RC)" [ "$LIVE_RC" -eq 0 ]
    # Faults can be changed while the receiver runs.
    n503=$(stats | jq '.faults["503"]')
    curl -sf -X POST "$RURL/admin/faults?first-503=4&429=0" >/dev/null
    expect "an unknown fault is refused by the admin endpoint" \
        [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$RURL/admin/faults?nonsense=1")" = 400 ]
    curl -sf -X POST "$BASE/admin/clock?advance=2h" >/dev/null
    collect_once
    expect "the run two hours later exits 0" [ $? -eq 0 ]
    expect "the 503s set through /admin/faults were answered ($n503 -> $(stats | jq '.faults["503"]'))" \
        [ "$(stats | jq '.faults["503"]')" -ge $((n503 + 4)) ]
    check_keys .doc
    expect "lost answers were delivered again ($DUPS repeats)" [ "$DUPS" -gt 0 ]
    updates=$(grep -c '"update":true' "$work/events.ndjson")
    expect "updates delivered too ($updates)" [ "$updates" -gt 0 ]
    check_common
    expect "every body was gzip" [ "$(stats | jq .plain)" -eq 0 ]
    check_metrics 0
    s=$(stats)
    expect "faults of every kind were injected" \
        [ "$(printf '%s' "$s" | jq '[.faults["503"], .faults.reset, .faults.lost, .faults["429"]] | min')" -gt 0 ]
    expect "a 429's Retry-After of 1 s was honoured" grep -q 'HTTP 429 .*retrying in 1.0 s' "$work/collect.log"
    ;;
hec | hec-ack)
    start_sim
    if [ "$group" = hec ]; then
        ids_hours_ago 3 2 >"$work/rejected_ids"
        start_receiver --first-503 2 --fault-503 0.04 --fault-reset 0.04 --fault-lost 0.05 \
            --fault-429 0.03 --fault-slow 0.05 --slow-ms 300 --hec-bad "$work/rejected_ids"
        write_conf "url = $RURL" "flavour = splunk-hec" "sourcetype = proofpoint:tap" \
            "index = security" "hostname = collector-1"
        collect_live
        expect "the live run caught up and stopped cleanly (rc $LIVE_RC)" [ "$LIVE_RC" -eq 0 ]
        expect "two ids to refuse" [ "$(wc -l <"$work/rejected_ids")" -eq 2 ]
    else
        # an ack poll, and a request a failed window dropped that the
        # receiver has not yet seen closed
        EXTRA_IN_FLIGHT=2
        start_receiver --hec-ack --ack-delay-ms 300 --ack-lose 0.02 --fault-503 0.03 \
            --fault-slow 0.02 --slow-ms 2500
        write_conf "url = $RURL" "flavour = splunk-hec" "hec_ack = true" \
            "channel = 0b8a3c1e-5f7d-4e2a-9c6b-1d2e3f405162" "timeout = 2s"
        collect_once 20
        expect "the catch-up completes despite lost acks" [ $? -eq 0 ]
    fi
    curl -sf -X POST "$BASE/admin/clock?advance=2h" >/dev/null
    collect_once 10
    expect "the run two hours later exits 0" [ $? -eq 0 ]
    check_keys .envelope.event
    check_common
    bad=$(jq -r 'select(.envelope.source != "pptap" or (.envelope.host | length) == 0
            or (.envelope.fields.event_type | length) == 0 or .envelope.fields.tenant != "default") | .id' \
        "$work/records.ndjson" | wc -l)
    expect "envelopes carry source, host, fields.event_type and fields.tenant ($bad do not)" [ "$bad" -eq 0 ]
    bad=$(jq -r 'select(.envelope.event.pptap.event_type != "gap") |
            select(((.envelope.event.clickTime // .envelope.event.messageTime) | sub("\\.[0-9]+Z$"; "Z") | fromdate)
                   != (.envelope.time | floor)) | .id' "$work/records.ndjson" | wc -l)
    expect "the envelope time is the event's time ($bad differ)" [ "$bad" -eq 0 ]
    if [ "$group" = hec ]; then
        bad=$(jq -r 'select(.envelope.sourcetype != "proofpoint:tap" or .envelope.index != "security"
                or .envelope.host != "collector-1") | .id' "$work/records.ndjson" | wc -l)
        expect "sourcetype, index and host as configured ($bad differ)" [ "$bad" -eq 0 ]
        check_quarantine 'HEC code 6: Invalid data format'
        check_metrics 2
        expect "the receiver refused the bad events ($(stats | jq .faults.hec_bad) times)" \
            [ "$(stats | jq .faults.hec_bad)" -ge 2 ]
    else
        s=$(stats)
        echo "  [$group] hec: $(printf '%s' "$s" | jq -c .hec)"
        expect "acks issued and confirmed" [ "$(printf '%s' "$s" | jq '.hec.acks_true')" -gt 10 ]
        expect "some acks were lost ($(printf '%s' "$s" | jq .faults.ack_lost))" \
            [ "$(printf '%s' "$s" | jq .faults.ack_lost)" -gt 0 ]
        expect "a lost ack failed its window, which was collected again" \
            grep -q 'HEC did not acknowledge ackId [0-9]* .*within 2 s; the window is collected again' "$work/collect.log"
        expect "a slow answer timed out and was retried" \
            grep -q 'warning: output http: .*Operation timed out.*retrying' "$work/collect.log"
        expect "only ack polls were sent without gzip" \
            [ "$(printf '%s' "$s" | jq '.plain == .hec.ack_polls')" = true ]
        expect "nothing quarantined" [ "$(sqlite3 "$work/state.db" 'select count(*) from quarantine')" -eq 0 ]
    fi
    ;;
es)
    start_sim
    ids_hours_ago 4 3 >"$work/rejected_ids"
    start_receiver --first-503 2 --fault-503 0.03 --fault-reset 0.03 --fault-lost 0.06 \
        --fault-429 0.02 --item-429 0.1 --es-reject "$work/rejected_ids"
    write_conf "url = $RURL" "flavour = elasticsearch"
    collect_live
    expect "the live run caught up and stopped cleanly (rc $LIVE_RC)" [ "$LIVE_RC" -eq 0 ]
    curl -sf -X POST "$BASE/admin/clock?advance=2h" >/dev/null
    collect_once
    expect "the run two hours later exits 0" [ $? -eq 0 ]
    # The _id of the first delivery is the event_id; the nth update's is event_id:u<n>.
    jq -r 'select(.pptap.event_type != "gap") | "\(.pptap.event_id) \(.pptap.update)"' \
        "$work/events.ndjson" |
        awk '$2 == "false" { print $1; next } { n[$1]++; print $1 ":u" n[$1] }' | sort >"$work/want"
    jq -r 'select(.flavour == "elasticsearch") | .id' "$work/records.ndjson" | sort >"$work/got"
    dups=$(uniq -d "$work/got" | wc -l)
    expect "the index holds each _id once ($dups twice)" [ "$dups" -eq 0 ]
    missing=$(comm -23 "$work/want" "$work/got" | comm -23 - "$work/rejected_ids" | wc -l)
    expect "every event and update of the file output is indexed ($missing missing of $(wc -l <"$work/want"))" \
        [ "$missing" -eq 0 ]
    extra=$(comm -13 "$work/want" "$work/got" | wc -l)
    expect "nothing indexed that the file output does not hold ($extra)" [ "$extra" -eq 0 ]
    updates=$(grep -c ':u[0-9]*$' "$work/got")
    expect "updates are documents of their own ($updates)" [ "$updates" -gt 0 ]
    refused=$(comm -12 "$work/got" "$work/rejected_ids" | wc -l)
    expect "the refused ids are not indexed ($refused)" [ "$refused" -eq 0 ]
    expect "three ids to refuse" [ "$(wc -l <"$work/rejected_ids")" -eq 3 ]
    expect "into the default data stream" \
        [ "$(jq -r .index "$work/records.ndjson" | sort -u)" = logs-proofpoint_tap-default ]
    expect "with create actions only" [ "$(jq -r .op "$work/records.ndjson" | sort -u)" = create ]
    expect "documents carry @timestamp" \
        [ "$(jq -r 'select(.doc["@timestamp"] == null) | .id' "$work/records.ndjson" | wc -l)" -eq 0 ]
    s=$(stats)
    echo "  [$group] elasticsearch: $(printf '%s' "$s" | jq -c .elasticsearch)"
    expect "lost answers came back as 409 conflicts, taken as delivered ($(printf '%s' "$s" | jq .elasticsearch.conflicts))" \
        [ "$(printf '%s' "$s" | jq .elasticsearch.conflicts)" -gt 0 ]
    expect "items were answered 429 ($(printf '%s' "$s" | jq .faults.item_429))" \
        [ "$(printf '%s' "$s" | jq .faults.item_429)" -gt 10 ]
    expect "items answered 429 were retried alone" \
        grep -q 'documents not indexed for now (429 es_rejected_execution_exception' "$work/collect.log"
    check_common
    expect "every body was gzip" [ "$(stats | jq .plain)" -eq 0 ]
    check_quarantine 'mapper_parsing_exception: failed to parse field'
    check_metrics 3
    ;;
tls)
    start_sim
    start_receiver --tls-cert "$TLS_DIR/tls-cert.pem" --tls-key "$TLS_DIR/tls-key.pem"
    CURL_TLS="--cacert $TLS_DIR/tls-cert.pem"
    write_conf "url = $RURL/ingest" "flavour = json" "retries = 1"
    sed -i 's/^since = 6h/since = 2h/' "$work/pptap.conf"
    # The window fails and the engine holds the tenant (and would try again
    # later): stop it once the refusal is logged.
    "$PPTAP" collect --config "$work/pptap.conf" --once 2>>"$work/collect.log" &
    coll_pid=$!
    for _ in $(seq 200); do
        grep -qi 'output http: .*certificate' "$work/collect.log" && break
        sleep 0.1
    done
    kill -TERM "$coll_pid" 2>/dev/null
    wait "$coll_pid"
    coll_pid=
    expect "an unknown CA is refused: the log names the certificate problem" \
        grep -qi 'output http: .*SSL certificate problem' "$work/collect.log"
    expect "the output did not retry it" sh -c "! grep -q 'warning: output http: .*retrying' '$work/collect.log'"
    expect "nothing was received" [ ! -s "$work/records.ndjson" ]
    echo "cacert = $TLS_DIR/tls-cert.pem" >>"$work/pptap.conf"
    collect_once 3
    expect "with cacert: exit 0" [ $? -eq 0 ]
    check_keys .doc
    sed -i "s|^cacert = .*|insecure = true|; s|^state = .*|state = $work/state2.db|; s|^path = .*|path = $work/events2.ndjson|" \
        "$work/pptap.conf"
    collect_once 3
    expect "insecure = true: exit 0" [ $? -eq 0 ]
    expect "insecure = true is warned" grep -q 'warning: output http: TLS certificate verification is OFF' "$work/collect.log"
    ;;
*)
    echo "unknown group $group"
    exit 2
    ;;
esac

no_secret_in "the TAP secret appears in a log or at the receiver" "$work"/*.log "$work"/records.ndjson
finish
