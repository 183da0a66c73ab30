#!/bin/bash
# The collector's kafka output against librdkafka's mock cluster (label
# "kafka").
#
# Usage: run.sh GROUP PPTAP PPTAP_SIM KAFKA_MOCK KAFKA_CONSUME
#
#   single       one topic; a kafka output and a file output of the same
#                events. While the collector catches up, the leader of
#                partitions 0 and 3 (broker 1) goes down and comes back, and
#                produce requests fail (retried by the producer). The
#                collector restarts (the cluster stays up): a broker is down
#                as it starts, and its first producer id is refused (a fatal
#                producer error: the producer is created again). Then a
#                7-day outage: a gap record and a backfill. Read back, Kafka
#                holds every line of the file, keyed by its event_id, with
#                the event time and headers; repeats are counted
#   per-type     the same with topic_per_type: each event type in its topic,
#                gap records in TOPIC.gap
#   passthrough  kafka.* properties: lz4 compression and a tiny producer queue
#                (backpressure) deliver everything; message.max.bytes makes
#                larger events quarantined rather than blocking; a bad
#                property, a bad value, weakening idempotence or acks, and
#                max.in.flight beyond what idempotence allows stop the
#                collector with exit 78 and librdkafka's message
#
# The simulator's clock is frozen (--speed 0) and moved with /admin/clock;
# every answer is slowed a little so that the brokers can fail mid-run.
#
# While faults are injected the producer runs with kafka.max.in.flight = 1.
# librdkafka 2.0.2's mock brokers check the sequence numbers of an
# idempotent producer only when it is transactional: with several requests
# in flight, a batch refused by an injected error followed by one the mock
# accepts is acknowledged implicitly by the producer (a Kafka broker would
# have refused the second: out of order) and is missing from the mock's log;
# an answer lost with a closed connection makes the mock append a batch
# twice where a broker drops the copy.
set -u
group=$1
PPTAP=$2
SIM=$3
MOCK=$4
CONSUME=$5

mock_pid=
collector_pid=
STOP_PIDS='collector_pid:KILL sim_pids mock_pid'
. "$(dirname "$0")/../lib/harness.sh"
use_credentials collector-test 'c0llect-S3cret-9'

start_sim() {
    launch_sim sim --seed 7 --speed 0 --start 2026-06-01T12:00:00Z --fault-slow 1 \
        --fault-slow-ms 150 "$@"
    BASE=$SIM_URL
}

start_mock() { # start_mock PARTITIONS TOPIC...: three brokers, replication 3
    local parts=$1
    shift
    "$MOCK" --brokers 3 --partitions "$parts" --replication 3 --bootstrap-file "$work/bootstrap" \
        --control "$work/control" "$@" >"$work/mock.out" 2>"$work/mock.err" &
    mock_pid=$!
    wait_file "$work/bootstrap" || { echo "kafka-mock did not start"; cat "$work"/*.err; exit 1; }
    BROKERS=$(cat "$work/bootstrap")
}

mock() { # mock COMMAND...: runs a command on the cluster and waits for its answer
    local before
    before=$(wc -l <"$work/mock.out")
    timeout 5 sh -c 'printf "%s\n" "$1" >"$2"' - "$*" "$work/control" ||
        { fail "kafka-mock does not take commands"; return 1; }
    for _ in $(seq 100); do
        [ "$(wc -l <"$work/mock.out")" -gt "$before" ] && break
        sleep 0.05
    done
    tail -n 1 "$work/mock.out" | grep -q '^ok ' || { fail "kafka-mock: $(tail -n 1 "$work/mock.out")"; return 1; }
    echo "  kafka-mock: $*"
}

admin() { curl -sf -X POST "$BASE/admin/$1"; }

write_conf() { # write_conf TOPIC_PER_TYPE [EXTRA KAFKA LINES...]
    local per_type=$1
    shift
    cat >"$work/pptap.conf" <<EOF
[service]
state = $work/state.db
window = ${WINDOW:-10m}
metrics = 127.0.0.1:$METRICS_PORT
[tenant default]
base_url = $BASE
principal = $PPTAP_PRINCIPAL
secret_env = PPTAP_SECRET
since = ${SINCE:-12h}
[output k]
type = kafka
brokers = $BROKERS
topic = tap
topic_per_type = $per_type
timeout = 3s
EOF
    for line in "$@"; do echo "$line" >>"$work/pptap.conf"; done
    cat >>"$work/pptap.conf" <<EOF
[output f]
type = file
path = $work/events.ndjson
EOF
}

scrape() { # scrape: the collector's metrics into $work/metrics (kept when it fails)
    curl -sf "http://127.0.0.1:$METRICS_PORT/metrics" >"$work/metrics.new" 2>/dev/null &&
        mv "$work/metrics.new" "$work/metrics"
}

ometric() { # ometric NAME OUTPUT: a metric of an output in the last scrape
    grep "^$1{output=\"$2\"," "$work/metrics" | awk '{print $2}'
}

lines() { [ -f "$1" ] && wc -l <"$1" || echo 0; }

# Waits until the file output grows past N lines (at most 60 s).
wait_lines() {
    for _ in $(seq 600); do
        [ "$(lines "$work/events.ndjson")" -gt "$1" ] && return 0
        kill -0 "$collector_pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# Reads every topic back and compares it with the file output.
# check_kafka TOPIC...
check_kafka() {
    "$CONSUME" --brokers "$BROKERS" --idle-ms 1000 "$@" >"$work/kafka.ndjson" 2>"$work/consume.err"
    local rc=$?
    expect "kafka-consume read every partition from offset 0 ($rc: $(tail -n 1 "$work/consume.err"))" [ $rc -eq 0 ]
    local n_kafka n_file
    n_kafka=$(lines "$work/kafka.ndjson")
    n_file=$(lines "$work/events.ndjson")
    expect "the file output has events ($n_file)" [ "$n_file" -gt 100 ]
    # [key, value] of every message; [event_id, line] of every line of the
    # file (read raw: byte for byte what the collector wrote).
    jq -c '[.key, .value]' "$work/kafka.ndjson" | sort >"$work/k.pairs"
    jq -R -c '[(fromjson | .pptap.event_id), .]' "$work/events.ndjson" | sort >"$work/f.pairs"
    local missing
    missing=$(comm -23 "$work/f.pairs" <(sort -u "$work/k.pairs") | wc -l)
    expect "every line of the file is a Kafka message with its event_id as key ($missing of $n_file missing)" \
        [ "$missing" -eq 0 ]
    # Dedupe by key: the same events.
    jq -r '.key' "$work/kafka.ndjson" | sort -u >"$work/k.keys"
    jq -r '.pptap.event_id' "$work/events.ndjson" | sort -u >"$work/f.keys"
    local foreign
    foreign=$(comm -13 "$work/f.keys" "$work/k.keys" | wc -l)
    expect "Kafka holds no event that is not in the file ($foreign)" [ "$foreign" -eq 0 ]
    expect "after dedupe by key, Kafka holds the file's $(lines "$work/f.keys") events" \
        cmp -s "$work/f.keys" "$work/k.keys"
    local file_dups
    # (An event that changed comes again, as an update: same key.)
    file_dups=$(jq -r 'select(.pptap.update == false) | .pptap.event_id' "$work/events.ndjson" |
        sort | uniq -d | wc -l)
    expect "the file holds each event once ($file_dups repeated)" [ "$file_dups" -eq 0 ]
    # Identical key and value twice: a produce request written twice (what
    # the idempotent producer prevents). Other messages beyond the file's
    # lines were written by windows that failed (collected again later, with
    # another collection time, perhaps another version of the event).
    local exact again
    exact=$((n_kafka - $(sort -u "$work/k.pairs" | wc -l)))
    again=$(($(sort -u "$work/k.pairs" | wc -l) - n_file))
    echo "  kafka: $n_kafka messages for $n_file lines of the file: $exact raw duplicates" \
        "(same key and bytes), $again written by windows that failed"
    if [ "$exact" -gt 0 ]; then
        # A connection closed (_TRANSPORT, a broker down) loses the answers
        # to requests the mock broker had appended already; the producer
        # sends them again with the same sequence numbers, which a Kafka
        # broker drops but librdkafka's mock cluster checks for
        # transactional producers only.
        echo "  (raw duplicates: batches the mock cluster appended twice after a dropped connection)"
    fi
    # Message timestamps are the event times, headers describe the event.
    local bad_ts bad_hdr
    bad_ts=$(jq -r '.timestamp as $ts | .value | fromjson |
            select(.pptap.event_type != "gap") | (.clickTime // .messageTime) |
            capture("^(?<s>[^.Z]+)(\\.(?<ms>[0-9]+))?Z$") |
            ((.s + "Z" | fromdateiso8601) * 1000 + ((.ms // "0") | tonumber)) |
            select(. != $ts)' "$work/kafka.ndjson" | wc -l)
    expect "message timestamps are the event times ($bad_ts differ)" [ "$bad_ts" -eq 0 ]
    bad_hdr=$(jq -c 'select(.headers.event_type != (.value | fromjson | .pptap.event_type) or
            .headers.tenant != "default" or .headers.format != "raw")' "$work/kafka.ndjson" | wc -l)
    expect "headers event_type, tenant and format match each message ($bad_hdr do not)" \
        [ "$bad_hdr" -eq 0 ]
}

# The kafka output and its cluster through a restart, broker failures,
# produce errors, a fatal producer error and an outage. $1: topic_per_type.
failover() {
    local per_type=$1
    shift
    start_mock "$@"
    start_sim --rate 40
    METRICS_PORT=$(free_port)
    write_conf "$per_type" 'kafka.max.in.flight = 1'
    # Run 1: in the foreground; broker 1 leads partitions 0, 3, 6…
    "$PPTAP" collect --config "$work/pptap.conf" 2>>"$work/collect.log" &
    collector_pid=$!
    wait_lines 10 || fail "the collector delivered nothing"
    # Produce requests refused: the producer retries them.
    mock errors produce NOT_ENOUGH_REPLICAS NOT_LEADER_FOR_PARTITION REQUEST_TIMED_OUT _TRANSPORT \
        NOT_ENOUGH_REPLICAS_AFTER_APPEND
    wait_lines 40 || fail "the collector delivered nothing after produce errors"
    n0=$(lines "$work/events.ndjson")
    mock down 1
    sleep 8
    n1=$(lines "$work/events.ndjson")
    mock up 1
    echo "  while broker 1 was down for 8 s: $((n1 - n0)) events committed"
    # Caught up: the lag gauge is set once nothing is due.
    for _ in $(seq 600); do
        scrape && grep -q '^pptap_lag_seconds{tenant="default"} [1-9]' "$work/metrics" && break
        sleep 0.2
    done
    scrape
    expect "run 1 caught up" grep -q '^pptap_lag_seconds{tenant="default"} [1-9]' "$work/metrics"
    kill -TERM "$collector_pid"
    wait "$collector_pid"
    rc=$?
    collector_pid=
    expect "run 1 stops on SIGTERM with exit 0 ($rc)" [ $rc -eq 0 ]
    kf=$(ometric pptap_output_failures_total k)
    kr=$(ometric pptap_output_retries_total k)
    ke=$(ometric pptap_output_events_total k)
    ff=$(ometric pptap_output_failures_total f)
    echo "  metrics of output k: failures $kf, retries $kr, events $ke; output f: failures $ff"
    expect "failed windows counted while the broker was down ($kf)" [ "${kf:-0}" -gt 0 ]
    expect "produce retries counted ($kr)" [ "${kr:-0}" -gt 0 ]
    expect "the file output did not fail ($ff)" [ "${ff:-1}" -eq 0 ]
    expect "the log names librdkafka's reason for a failed window" \
        grep -q 'output k: .* events without a delivery report after\|output k: .* events not delivered: ' \
        "$work/collect.log"
    expect "librdkafka's own logs come in the collector's style" \
        grep -q '^pptap: collect: warning: output k: librdkafka ' "$work/collect.log"
    # Run 2, a restart on the same cluster: its first producer id is
    # refused (fatal), and broker 2 is down as it starts.
    admin "clock?advance=2h" >/dev/null
    mock errors initproducerid CLUSTER_AUTHORIZATION_FAILED
    mock down 2
    "$PPTAP" collect --config "$work/pptap.conf" --once 2>>"$work/collect.log" &
    collector_pid=$!
    sleep 4
    mock up 2
    wait "$collector_pid"
    rc=$?
    collector_pid=
    expect "run 2 (restart) exits 0 ($rc)" [ $rc -eq 0 ]
    expect "the fatal producer error is logged with librdkafka's reason" \
        grep -q 'output k: fatal producer error: .*Cluster authorization failed' "$work/collect.log"
    expect "and the producer created again" \
        grep -q 'output k: creating the producer again after' "$work/collect.log"
    # Run 3, after a 7-day outage: a gap record, then 7 days of backfill,
    # without faults, with librdkafka's defaults.
    admin "clock?advance=7d" >/dev/null
    WINDOW=1h write_conf "$per_type"
    "$PPTAP" collect --config "$work/pptap.conf" --once 2>>"$work/collect.log"
    expect "run 3 (after an outage) exits 0 ($?)" [ $? -eq 0 ]
    gaps=$(jq -r 'select(.pptap.event_type == "gap") | .pptap.event_id' "$work/events.ndjson" | wc -l)
    expect "a gap record in the file ($gaps)" [ "$gaps" -eq 1 ]
}

case $group in
single)
    failover false 8 tap
    check_kafka tap
    kgaps=$(jq -r 'select(.headers.event_type == "gap") | .topic' "$work/kafka.ndjson" | sort -u)
    expect "the gap record is in the main topic ($kgaps)" [ "$kgaps" = tap ]
    ;;
per-type)
    types="clicksBlocked clicksPermitted messagesBlocked messagesDelivered gap"
    failover true 3 $(for t in $types; do echo "tap.$t"; done)
    check_kafka $(for t in $types; do echo "tap.$t"; done)
    wrong=$(jq -c 'select(.topic != "tap." + .headers.event_type)' "$work/kafka.ndjson" | wc -l)
    expect "every message is in its type's topic ($wrong are not)" [ "$wrong" -eq 0 ]
    for t in $types; do
        k=$(jq -r "select(.topic == \"tap.$t\") | .key" "$work/kafka.ndjson" | sort -u | wc -l)
        f=$(jq -r "select(.pptap.event_type == \"$t\") | .pptap.event_id" "$work/events.ndjson" | sort -u | wc -l)
        echo "  tap.$t: $k events (file: $f)"
        expect "tap.$t holds the file's $t events ($k of $f)" [ "$k" -eq "$f" -a "$f" -gt 0 ]
    done
    ;;
passthrough)
    start_mock 4 tap
    start_sim --rate 600
    METRICS_PORT=$(free_port)
    SINCE=6h
    # Refused at start (and by --check), with librdkafka's words: exit 78.
    refused() { # refused DESCRIPTION PATTERN KAFKA-LINE [--check]
        write_conf false "$3"
        "$PPTAP" collect --config "$work/pptap.conf" --once ${4:-} >/dev/null 2>"$work/refused.err"
        local rc=$?
        expect "$1: exit 78 ($rc)" [ $rc -eq 78 ]
        expect "$1: the message says why ($(head -c 200 "$work/refused.err"))" \
            grep -q -- "$2" "$work/refused.err"
    }
    refused "unknown property" 'kafka.no.such.property: No such configuration property: "no.such.property"' \
        'kafka.no.such.property = 1'
    refused "unknown property (--check)" 'No such configuration property: "no.such.property"' \
        'kafka.no.such.property = 1' --check
    refused "bad value" 'kafka.compression.type: Invalid value "bogus" for configuration property "compression.codec"' \
        'kafka.compression.type = bogus'
    refused "idempotence off" 'kafka.enable.idempotence = false: pptap always produces with enable.idempotence = true' \
        'kafka.enable.idempotence = false'
    refused "acks 1" 'kafka.acks = 1: pptap always produces with acks = all' 'kafka.acks = 1'
    refused "max.in.flight above 5" 'cannot create the producer: .*max.in.flight.* <= 5' \
        'kafka.max.in.flight = 20'
    expect "nothing was delivered by a refused configuration" [ ! -s "$work/events.ndjson" ]
    # lz4, a queue of 10 messages, and messages of at most 2000 bytes; produce
    # requests refused at first (errors that close no connection).
    write_conf false 'kafka.compression.type = lz4' 'kafka.queue.buffering.max.messages = 10' \
        'kafka.message.max.bytes = 2000' 'kafka.max.in.flight = 1'
    mock errors produce NOT_ENOUGH_REPLICAS REQUEST_TIMED_OUT NOT_LEADER_FOR_PARTITION \
        NOT_ENOUGH_REPLICAS_AFTER_APPEND NOT_ENOUGH_REPLICAS LEADER_NOT_AVAILABLE
    "$PPTAP" collect --config "$work/pptap.conf" --once 2>>"$work/collect.log" &
    collector_pid=$!
    while kill -0 "$collector_pid" 2>/dev/null; do
        scrape
        sleep 0.2
    done
    wait "$collector_pid"
    rc=$?
    collector_pid=
    expect "lz4, small queue, small messages, produce errors: exit 0 ($rc)" [ $rc -eq 0 ]
    kr=$(ometric pptap_output_retries_total k)
    kf=$(ometric pptap_output_failures_total k)
    kj=$(ometric pptap_output_rejected_total k)
    echo "  metrics of output k: retries $kr, failures $kf, rejected $kj"
    expect "the producer's retries are counted ($kr)" [ "${kr:-0}" -gt 0 ]
    expect "no window failed: the producer retried on its own ($kf)" [ "${kf:-1}" -eq 0 ]
    expect "the producer waited for room in its queue (backpressure)" \
        grep -q "output k: the producer's queue is full (10 messages): waiting for the brokers" \
        "$work/collect.log"
    # Events larger than message.max.bytes are quarantined: the file has
    # them, Kafka does not, the store says why.
    sqlite3 "$work/state.db" "select json_extract(raw, '$.pptap.event_id') from quarantine" |
        sort >"$work/quarantined"
    nq=$(lines "$work/quarantined")
    expect "events over message.max.bytes quarantined ($nq)" [ "$nq" -gt 0 ]
    nr=$(sqlite3 "$work/state.db" "select count(*) from quarantine where reason like 'output k refused it: Broker: Message size too large%'")
    expect "with librdkafka's reason ($nr of $nq)" [ "$nr" -eq "$nq" ]
    expect "counted as rejected by the output (metric $kj, last scraped before the end)" \
        [ "${kj:-0}" -gt 0 -a "${kj:-0}" -le "$nq" ]
    "$CONSUME" --brokers "$BROKERS" tap >"$work/kafka.ndjson" 2>"$work/consume.err"
    expect "kafka-consume exits 0 ($?)" [ $? -eq 0 ]
    jq -r '.key' "$work/kafka.ndjson" | sort >"$work/kafka.keys"
    jq -r '.pptap.event_id' "$work/events.ndjson" | sort >"$work/file.keys"
    expect "the file holds each event once" [ -z "$(uniq -d "$work/file.keys")" ]
    expect "Kafka holds each event once ($(uniq -d "$work/kafka.keys" | wc -l) repeated)" \
        [ -z "$(uniq -d "$work/kafka.keys")" ]
    expect "no quarantined event reached Kafka" [ -z "$(comm -12 "$work/kafka.keys" "$work/quarantined")" ]
    expect "Kafka and the quarantine together hold every event of the file" \
        [ -z "$(sort "$work/kafka.keys" "$work/quarantined" | comm -3 - "$work/file.keys")" ]
    # Size decides: every quarantined line is longer than every value in
    # Kafka, and no value is over 2000 bytes.
    short_q=$(sqlite3 "$work/state.db" "select min(length(cast(raw as blob))) from quarantine")
    big=$(jq -r '.value' "$work/kafka.ndjson" | LC_ALL=C awk 'length($0) > m {m = length($0)} END {print m}')
    echo "  $(lines "$work/kafka.ndjson") messages in Kafka (largest value $big bytes)," \
        "$nq quarantined (shortest $short_q bytes)"
    expect "only the largest events were quarantined ($short_q > $big bytes)" [ "$short_q" -gt "$big" ]
    expect "no value in Kafka over 2000 bytes ($big)" [ "$big" -le 2000 ]
    jq -c '[.key, .value]' "$work/kafka.ndjson" | sort >"$work/k.pairs"
    jq -R -c '[(fromjson | .pptap.event_id), .]' "$work/events.ndjson" | sort |
        grep -vFf <(sed 's/.*/["&"/' "$work/quarantined") >"$work/f.pairs"
    expect "the other lines reached Kafka byte for byte (lz4 on the way)" \
        cmp -s "$work/f.pairs" "$work/k.pairs"
    ;;
*)
    echo "unknown group $group"
    exit 2
    ;;
esac

no_secret_in "the secret appears in a log or an output" "$work"/*.log "$work"/*.ndjson
finish
