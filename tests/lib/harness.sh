# Shared pieces of the shell test harnesses; sourced, never run.
#
#     group=...             (optional: names the group in FAIL lines)
#     STOP_PIDS='a_pid:KILL b_pid sim_pids'
#     . "$(dirname "$0")/../lib/harness.sh"
#
# Sourcing it makes the work directory $work (kept when KEEP is set, else
# removed on exit), zeroes the counters $checks and $failures, keeps every
# proxy out of the way (all traffic goes to 127.0.0.1) and traps EXIT to
# stop the processes the script started: the pids held in the variables
# named by $STOP_PIDS, in that order (a variable may hold several pids;
# NAME:KILL stops them with kill -9). launch_sim adds to $sim_pids.
# Needs bash.

work=$(mktemp -d)
failures=0
checks=0
sim_pids=

harness_cleanup() {
    local entry name sig pid
    for entry in ${STOP_PIDS:-sim_pids}; do
        name=${entry%%:*}
        sig=TERM
        [ "$name" != "$entry" ] && sig=${entry#*:}
        for pid in ${!name:-}; do
            kill -s "$sig" "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
        done
    done
    [ -n "${KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap harness_cleanup EXIT

unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY PPTAP_PROXY
export NO_PROXY=127.0.0.1 no_proxy=127.0.0.1

# use_credentials PRINCIPAL SECRET: pptap and pptap-sim share them.
use_credentials() {
    export PPTAP_PRINCIPAL=$1 PPTAP_SECRET=$2
    export PPTAP_SIM_PRINCIPAL=$1 PPTAP_SIM_SECRET=$2
}

fail() {
    echo "FAIL${group:+ [$group]} $*"
    failures=$((failures + 1))
}

ok() { checks=$((checks + 1)); }

expect() { # expect DESCRIPTION CONDITION...: the condition must succeed
    local what=$1
    shift
    if "$@"; then ok; else fail "$what"; fi
}

eq() { # eq DESCRIPTION GOT WANT
    if [ "$2" = "$3" ]; then ok; else fail "$1: got '$2', want '$3'"; fi
}

rc_is() { # rc_is NAME WANT: $work/NAME.rc holds WANT (stderr in NAME.err)
    local got
    got=$(cat "$work/$1.rc")
    if [ "$got" = "$2" ]; then ok; else
        fail "$1: exit status $got, want $2; stderr: $(head -c 600 "$work/$1.err")"
    fi
}

# no_secret_in MESSAGE FILE...: fails with MESSAGE when $PPTAP_SECRET is in
# one of the files (missing files are passed over).
no_secret_in() {
    local what=$1
    shift
    if grep -rqF -- "$PPTAP_SECRET" "$@" 2>/dev/null; then fail "$what"; fi
}

# finish [FORMAT]: the summary line (%checks and %failures filled in,
# default "%checks passed, %failures failed"); status 0 when nothing failed.
finish() {
    local line=${1:-'%checks passed, %failures failed'}
    line=${line//%checks/$checks}
    echo "${line//%failures/$failures}"
    [ "$failures" -eq 0 ]
}

wait_file() { # wait_file PATH: up to 10 s for PATH to be written
    for _ in $(seq 200); do
        [ -s "$1" ] && return 0
        sleep 0.05
    done
    return 1
}

free_port() { # free_port [tcp|udp]: a port free on 127.0.0.1 now
    python3 -c "import socket; s=socket.socket(type=socket.SOCK_$([ "${1:-tcp}" = udp ] && echo DGRAM || echo STREAM)); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"
}

# launch_sim NAME [pptap-sim options...]: $SIM on a free loopback port; its
# URL in $work/NAME.url and $SIM_URL, its output in $work/NAME.out and
# NAME.err. Gives up the whole script (exit 1) when it does not start.
launch_sim() {
    local name=$1
    shift
    rm -f "$work/$name.url"
    "$SIM" --port 0 --port-file "$work/$name.url" "$@" >"$work/$name.out" 2>"$work/$name.err" &
    sim_pids="$sim_pids $!"
    if ! wait_file "$work/$name.url"; then
        echo "FAIL${group:+ [$group]} pptap-sim $name did not start"
        cat "$work/$name.err"
        exit 1
    fi
    SIM_URL=$(cat "$work/$name.url")
}

# sim_now: the simulator's clock ($BASE), to the second.
sim_now() { curl -sf "$BASE/admin/clock" | jq -r '.now' | sed 's/\.[0-9]*Z$/Z/'; }
