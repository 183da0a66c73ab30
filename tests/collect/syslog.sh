#!/bin/bash
# The collector's syslog output against a real rsyslogd (label "syslog").
#
# Usage: syslog.sh GROUP PPTAP PPTAP_SIM
#
#   udp, tcp, tls  a day of events from pptap-sim into a syslog output and a
#                  file output; rsyslog (its own config, work directory and
#                  pidfile, in the foreground on a free loopback port) writes
#                  each message raw and as its RFC 5424 parser read it.
#                  syslog_check.py parses every message, checks PRI, time,
#                  MSGID, structured data and MSG against the file output, and
#                  that every event arrived exactly once. tcp has non-ASCII
#                  events (MSG after a BOM); tls
#                  also checks that a receiver signed by another CA is refused
#                  and that insecure = true connects with a warning.
#   tcp-outage,    rsyslog is killed while the collector catches up: first
#   tls-outage     restarted at once (the output reconnects and sends the
#                  window again), then left down (windows fail after the
#                  retries and are collected again) and brought back on the
#                  same port; the collector catches up. Every event arrives
#                  at least once, exactly once after dedupe, and the metrics
#                  show the output's failures and retries.
#
# KEEP=1 keeps the work directory.
set -u
group=$1
PPTAP=$2
SIM=$3
HERE=$(cd "$(dirname "$0")" && pwd)
RSYSLOGD=${RSYSLOGD:-$(command -v rsyslogd || echo /usr/sbin/rsyslogd)}

rs_pid=
col_pid=
STOP_PIDS='col_pid:KILL rs_pid sim_pids'
. "$HERE/../lib/harness.sh"
use_credentials collector-test 'c0llect-S3cret-9'

start_sim() {
    launch_sim sim --seed 7 --speed 0 --start 2026-06-01T12:00:00Z "$@"
    BASE=$SIM_URL
}

# A throw-away CA, a server certificate for 127.0.0.1 and localhost signed
# by it, and a second CA that signed nothing.
make_certs() {
    local d=$work/pki
    mkdir -p "$d"
    (
        cd "$d" || exit 1
        for ca in ca other-ca; do
            openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
                -keyout $ca.key -out $ca.pem -days 2 -subj "/CN=pptap test $ca" 2>/dev/null
        done
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
            -keyout server.key -out server.csr -subj "/CN=localhost" 2>/dev/null
        printf '%s\n' 'subjectAltName=DNS:localhost,IP:127.0.0.1' 'basicConstraints=CA:FALSE' \
            'extendedKeyUsage=serverAuth' >server.ext
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
            -out server.pem -days 2 -extfile server.ext 2>/dev/null
    ) || { echo "cannot make certificates"; exit 1; }
    [ -s "$d/server.pem" ] || { echo "cannot make certificates"; exit 1; }
}

# start_rsyslog TRANSPORT PORT: rsyslogd in the foreground with a private
# configuration: only our input, bound to a ruleset that writes the raw
# message and rsyslog's parsed RFC 5424 fields to files.
start_rsyslog() {
    local transport=$1 port=$2 input driver=
    mkdir -p "$work/rs"
    case $transport in
    udp)
        input="module(load=\"imudp\")
input(type=\"imudp\" address=\"127.0.0.1\" port=\"$port\" ruleset=\"pptap\" rcvBufSize=\"16m\")"
        ;;
    tcp)
        input="module(load=\"imtcp\")
input(type=\"imtcp\" address=\"127.0.0.1\" port=\"$port\" ruleset=\"pptap\")"
        ;;
    tls)
        driver="defaultNetstreamDriver=\"ossl\"
       defaultNetstreamDriverCAFile=\"$work/pki/ca.pem\"
       defaultNetstreamDriverCertFile=\"$work/pki/server.pem\"
       defaultNetstreamDriverKeyFile=\"$work/pki/server.key\""
        input="module(load=\"imtcp\" streamDriver.name=\"ossl\" streamDriver.mode=\"1\"
       streamDriver.authMode=\"anon\")
input(type=\"imtcp\" address=\"127.0.0.1\" port=\"$port\" ruleset=\"pptap\")"
        ;;
    esac
    cat >"$work/rs/rsyslog.conf" <<EOF
global(workDirectory="$work/rs" maxMessageSize="256k"
       parser.escapeControlCharactersOnReceive="off" $driver)
template(name="raw" type="string" string="%rawmsg%\n")
template(name="fields" type="string"
         string="%pri%\t%protocol-version%\t%timestamp:::date-rfc3339%\t%hostname%\t%app-name%\t%procid%\t%msgid%\t%structured-data%\t%msg%\n")
ruleset(name="pptap") {
    action(type="omfile" file="$work/raw.log" template="raw")
    action(type="omfile" file="$work/parsed.log" template="fields")
}
$input
EOF
    "$RSYSLOGD" -n -f "$work/rs/rsyslog.conf" -i "$work/rs/rsyslogd.pid" \
        >>"$work/rsyslog.log" 2>&1 &
    rs_pid=$!
    local opt=-Hltn
    [ "$transport" = udp ] && opt=-Hlun
    for _ in $(seq 100); do
        [ -n "$(ss $opt "sport = :$port" 2>/dev/null)" ] && return 0
        kill -0 "$rs_pid" 2>/dev/null || break
        sleep 0.05
    done
    echo "rsyslogd did not start"
    cat "$work/rsyslog.log"
    exit 1
}

stop_rsyslog() { # stop_rsyslog [SIGNAL]
    kill "-${1:-TERM}" "$rs_pid" 2>/dev/null
    wait "$rs_pid" 2>/dev/null
    rs_pid=
}

# collector_conf TRANSPORT PORT [extra syslog keys...]: the collector's
# configuration, a file output and a syslog output.
collector_conf() {
    local transport=$1 port=$2
    shift 2
    cat <<EOF
[service]
state = $work/state.db
${METRICS:+metrics = $METRICS}
[tenant ${TENANT:-default}]
base_url = $BASE
principal = $PPTAP_PRINCIPAL
secret_env = PPTAP_SECRET
since = ${SINCE:-1d}
[output archive]
type = file
path = $work/events.ndjson
[output siem]
type = syslog
address = 127.0.0.1:$port
transport = $transport
facility = local4
EOF
    for kv in "$@"; do echo "$kv"; done
}

# The ground truth of what the collector had to deliver is in the file output:
# every visible simulator event of the collected range, by its id.
check_file_against_truth() {
    local start final
    start=$(grep -o 'new state: collecting from [0-9TZ:-]*' "$work/collect.log" | head -n 1 |
        awk '{print $NF}')
    final=$(sqlite3 "$work/state.db" "select ival from checkpoints where name='final'")
    final=$(date -u -d "@$((final / 1000))" +%Y-%m-%dT%H:%M:%SZ)
    curl -sf "$BASE/admin/truth?interval=$start/$final" | jq -r 'select(.visibleNow) | .id' |
        sort >"$work/truth"
    jq -r '.pptap.event_id' "$work/events.ndjson" | sort -u >"$work/file_ids"
    local missing
    missing=$(comm -23 "$work/truth" "$work/file_ids" | wc -l)
    expect "file output: every ground-truth event of $start/$final ($missing missing of $(wc -l <"$work/truth"))" \
        [ "$missing" -eq 0 -a -s "$work/truth" ]
}

# Runs syslog_check.py and counts its checks.
check_syslog() {
    sleep 0.5 # rsyslog writes its files asynchronously
    python3 "$HERE/syslog_check.py" "$work/raw.log" "$work/parsed.log" "$work/events.ndjson" \
        --facility 20 "$@" >"$work/check.out"
    sed 's/^/  /' "$work/check.out"
    checks=$((checks + $(grep -c '^ok' "$work/check.out")))
    local f
    f=$(grep -c '^FAIL' "$work/check.out")
    failures=$((failures + f))
    expect "the checker ran" grep -q '^ok.*event_ids received' "$work/check.out"
}

metric() { # metric NAME: an output metric of "siem"
    grep "^$1{output=\"siem\",type=\"syslog\"} " "$work/metrics" | awk '{print $2}'
}

case $group in
udp | tcp | tls)
    transport=$group
    port=$(free_port "$transport")
    extra=()
    if [ "$transport" = tcp ]; then
        # The recipients' domain makes events non-ASCII (MSG with a BOM).
        TENANT=acme-eu.1
        start_sim --rate 1000 --domain 'bücher.example'
    else
        start_sim --rate 1000
    fi
    if [ "$transport" = tls ]; then
        make_certs
        extra=("cacert = $work/pki/ca.pem")
    fi
    start_rsyslog "$transport" "$port"
    collector_conf "$transport" "$port" "hostname = collector-1.example" "${extra[@]}" \
        >"$work/pptap.conf"
    "$PPTAP" collect --config "$work/pptap.conf" --once 2>>"$work/collect.log"
    rc=$?
    expect "collector exits 0 ($rc)" [ $rc -eq 0 ]
    expect "no output errors logged" sh -c "! grep -q 'output siem' '$work/collect.log'"
    check_file_against_truth
    bom=
    [ "$transport" = tcp ] && bom=--want-bom
    check_syslog --hostname collector-1.example --exact $bom
    if [ "$transport" = tcp ]; then
        expect "the SD names the tenant" grep -qF ' tenant="acme-eu.1"] ' "$work/raw.log"
    fi
    if [ "$transport" = tls ]; then
        # A receiver whose certificate the CA did not sign is refused.
        n=$(wc -l <"$work/raw.log")
        rm -f "$work/state.db"*
        collector_conf tls "$port" "cacert = $work/pki/other-ca.pem" "retries = 1" \
            "timeout = 2s" >"$work/other.conf"
        : >"$work/collect.log"
        "$PPTAP" collect --config "$work/other.conf" 2>>"$work/collect.log" &
        col_pid=$!
        for _ in $(seq 300); do
            grep -q 'retrying in' "$work/collect.log" && break
            sleep 0.1
        done
        kill -TERM "$col_pid"
        wait "$col_pid"
        col_pid=
        sed 's/^/  /' "$work/collect.log"
        expect "wrong CA: the window fails; the log says why and when it retries" \
            grep -q 'output siem: 127.0.0.1:[0-9]*: TLS handshake: certificate verification failed: .*retrying in' \
            "$work/collect.log"
        expect "wrong CA: nothing reached rsyslog" [ "$(wc -l <"$work/raw.log")" -eq "$n" ]
        # insecure = true connects, with a warning.
        rm -f "$work/state.db"* "$work/events.ndjson"
        : >"$work/raw.log"
        : >"$work/parsed.log"
        SINCE=2h collector_conf tls "$port" "insecure = true" >"$work/insecure.conf"
        : >"$work/collect.log"
        "$PPTAP" collect --config "$work/insecure.conf" --once 2>>"$work/collect.log"
        expect "insecure = true: exit 0" [ $? -eq 0 ]
        expect "insecure = true: warned" \
            grep -q 'warning: output siem: TLS certificate verification is OFF' "$work/collect.log"
        sleep 0.5
        expect "insecure = true: delivered ($(wc -l <"$work/raw.log") of $(wc -l <"$work/events.ndjson"))" \
            [ "$(wc -l <"$work/raw.log")" -eq "$(wc -l <"$work/events.ndjson")" -a -s "$work/raw.log" ]
    fi
    ;;
tcp-outage | tls-outage)
    transport=${group%-outage}
    port=$(free_port tcp)
    mport=$(free_port tcp)
    start_sim --rate 1000
    extra=()
    if [ "$transport" = tls ]; then
        make_certs
        extra=("cacert = $work/pki/ca.pem")
    fi
    start_rsyslog "$transport" "$port"
    METRICS=127.0.0.1:$mport collector_conf "$transport" "$port" "retries = 2" "timeout = 5s" \
        "${extra[@]}" >"$work/pptap.conf"
    host=$(hostname)
    "$PPTAP" collect --config "$work/pptap.conf" 2>>"$work/collect.log" &
    col_pid=$!
    # Plain syslog has no application acknowledgement: a receiver that dies
    # with data its TCP stack acknowledged but it did not read yet loses it,
    # whatever the sender does. So before each kill the collector is paused
    # (SIGSTOP) until rsyslog wrote everything it received; the collector
    # then goes on where it was, in the middle of a window.
    pause_and_kill() { # pause_and_kill LINES: once LINES arrived
        for _ in $(seq 600); do
            [ -f "$work/raw.log" ] && [ "$(wc -l <"$work/raw.log")" -ge "$1" ] && break
            sleep 0.05
        done
        kill -STOP "$col_pid"
        local prev=-1
        while [ "$(wc -l <"$work/raw.log")" -ne "$prev" ]; do
            prev=$(wc -l <"$work/raw.log")
            sleep 0.3
        done
        stop_rsyslog KILL
    }
    scrape() { curl -sf "http://127.0.0.1:$mport/metrics" >"$work/metrics" 2>/dev/null; }
    # 1. rsyslog restarts at once: the collector's connection breaks in the
    # middle of a window; it reconnects within its retries and sends the
    # window again from its start (no window fails). When the pause fell
    # between two windows there was nothing to send again: try again.
    for attempt in 1 2 3; do
        pause_and_kill $((attempt * 1500))
        start_rsyslog "$transport" "$port"
        kill -CONT "$col_pid"
        sleep 1
        scrape
        [ "$(metric pptap_output_retries_total)" -gt 0 ] 2>/dev/null && break
    done
    expect "a restart mid-window: reconnected and sent the window again (retries $(metric pptap_output_retries_total), failures $(metric pptap_output_failures_total))" \
        [ "$(metric pptap_output_retries_total)" -gt 0 -a "$(metric pptap_output_failures_total)" -eq 0 ]
    # 2. rsyslog stays down: windows fail after the retries.
    pause_and_kill 8000
    at_kill=$(wc -l <"$work/raw.log")
    kill -CONT "$col_pid"
    expect "rsyslog was killed mid-run ($at_kill messages so far)" [ "$at_kill" -ge 8000 ]
    # The collector fails windows and retries.
    for _ in $(seq 600); do
        scrape && [ "$(metric pptap_output_failures_total)" -ge 2 ] 2>/dev/null && break
        sleep 0.1
    done
    failed=$(metric pptap_output_failures_total)
    expect "while rsyslog is down windows fail (${failed:-none})" [ "${failed:-0}" -ge 2 ]
    expect "the log says so and when it retries" \
        grep -q "output siem: 127.0.0.1:$port: connect: Connection refused (3 attempts in .*retrying in" \
        "$work/collect.log"
    start_rsyslog "$transport" "$port"
    # Caught up: the lag gauge is set once nothing is due.
    for _ in $(seq 1200); do
        scrape && grep -q '^pptap_lag_seconds{tenant="default"} [1-9]' "$work/metrics" && break
        sleep 0.1
    done
    expect "the collector caught up after rsyslog came back" \
        grep -q '^pptap_lag_seconds{tenant="default"} [1-9]' "$work/metrics"
    retries=$(metric pptap_output_retries_total)
    failures_total=$(metric pptap_output_failures_total)
    events=$(metric pptap_output_events_total)
    echo "  metrics: failures $failures_total, retries $retries, events $events, queued $(metric pptap_output_queued)"
    expect "metrics: the output's retries (${retries:-none}) and failures (${failures_total:-none})" \
        [ "${retries:-0}" -ge 2 -a "${failures_total:-0}" -ge 2 ]
    expect "metrics: nothing queued once caught up" [ "$(metric pptap_output_queued)" = 0 ]
    kill -TERM "$col_pid"
    wait "$col_pid"
    rc=$?
    col_pid=
    expect "SIGTERM: the collector exits 0 ($rc)" [ $rc -eq 0 ]
    check_file_against_truth
    check_syslog --hostname "$host" --want-replays
    ;;
*)
    echo "unknown group $group"
    exit 2
    ;;
esac

no_secret_in "the secret appears in a log or an output" "$work"/*.log "$work"/events.ndjson
finish
