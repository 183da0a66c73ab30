#!/bin/bash
# Integration tests of the pptap command against pptap-sim.
#
# Usage: run.sh GROUP PPTAP PPTAP_SIM SOURCE_DIR
#
# Each group starts its own simulator on port 0 (base URL read from a port
# file) with a fixed seed and a frozen clock (--start T --speed 0), gives
# pptap the same "now" through PPTAP_NOW, runs pptap and checks both what
# pptap printed (stdout, stderr, exit status) and what the simulator received
# (/admin/requests: paths, raw query strings, Authorization, pools). Every
# file written by pptap or the simulator is finally searched for the secret.
set -u
group=$1
PPTAP=$2
SIM=$3
SRC=$4

NOW=2026-03-04T12:00:00Z
SECRET='Int3gr4tion-s3cret-7Qx'
PRINCIPAL=pptap-sim
. "$(dirname "$0")/../lib/harness.sh"
unset PPTAP_CONFIG PPTAP_SECRET_FILE PPTAP_CACERT PPTAP_INSECURE PPTAP_TIMEOUT

# start_sim NAME [sim options...]: starts a simulator; sets BASE.
start_sim() {
    local name=$1
    shift
    PPTAP_SIM_PRINCIPAL=$PRINCIPAL PPTAP_SIM_SECRET=$SECRET \
        launch_sim "$name.sim" --seed 42 --start "$NOW" --speed 0 "$@"
    BASE=$SIM_URL
    export PPTAP_BASE_URL=$BASE PPTAP_PRINCIPAL=$PRINCIPAL PPTAP_SECRET=$SECRET PPTAP_NOW=$NOW
}

# run NAME ARGS...: runs pptap, keeping NAME.out, NAME.err and NAME.rc.
run() {
    local name=$1
    shift
    "$PPTAP" "$@" >"$work/$name.out" 2>"$work/$name.err"
    echo $? >"$work/$name.rc"
}

err_has() { # NAME TEXT: stderr contains TEXT (fixed string)
    if grep -qF -- "$2" "$work/$1.err"; then ok; else
        fail "$1: stderr lacks '$2'; stderr: $(head -c 600 "$work/$1.err")"
    fi
}

out_has() {
    if grep -qF -- "$2" "$work/$1.out"; then ok; else
        fail "$1: stdout lacks '$2'; stdout: $(head -c 400 "$work/$1.out")"
    fi
}

admin() { curl -s --max-time 10 "$BASE/admin/$1"; }
admin_post() { curl -s --max-time 10 -X POST "$BASE/admin/$1" >/dev/null; }
reset_sim() { curl -s --max-time 10 -X POST "$BASE/admin/reset" >/dev/null; }
# The requests received since the last reset (jq filter on each request).
reqs() { admin "requests?last=100000" | jq -c ".requests[] | $1"; }
nreq() { admin "requests?last=100000" | jq "[.requests[] | select($1)] | length"; }
pool_count() { admin "requests?last=0" | jq ".pools[\"$1\"]"; }
total_reqs() { admin "requests?last=0" | jq ".total"; }

# Expected events of [START, END) from the ground truth: visible now, with a
# threat passing the status filter (default active, cleared) and type filter.
truth_ids() { # START END TYPES STATUSES THREATTYPES
    admin "truth?interval=$1/$2&type=$3" |
        jq -r --arg st "$4" --arg tt "$5" '
            ($st | split(",")) as $s | ($tt | split(",")) as $t |
            select(.visibleNow) |
            select([.threats[] | select((.threatStatus as $x | $s | index($x)) and
                   ($t == [] or (.threatType as $y | $t | index($y))))] | length > 0) | .id' |
        sort
}

ALL_TYPES=clicksBlocked,clicksPermitted,messagesBlocked,messagesDelivered

# ------------------------------------------------------------------------
group_siem() {
    start_sim siem --shuffle-keys 0.5
    # The key completeness test: six hours, six requests, exactly the truth.
    reset_sim
    run since6h siem all --since 6h
    rc_is since6h 0
    err_has since6h "2026-03-04T06:00:00Z/2026-03-04T12:00:00Z: 6 requests to /v2/siem/all (pool siem-other, 1800 a day)"
    jq -r .id "$work/since6h.out" | sort >"$work/since6h.got"
    truth_ids 2026-03-04T06:00:00Z 2026-03-04T12:00:00Z $ALL_TYPES active,cleared "" >"$work/since6h.want"
    expect "since 6h: some events" [ "$(wc -l <"$work/since6h.want")" -gt 1000 ]
    if cmp -s "$work/since6h.got" "$work/since6h.want"; then ok; else
        fail "since 6h: ids differ from the truth: $(diff "$work/since6h.want" "$work/since6h.got" | head -5)"
    fi
    eq "since 6h: no duplicates" "$(sort "$work/since6h.got" | uniq -d | wc -l)" 0
    # the hidden late events are really there and were not returned
    late=$(admin "truth?interval=2026-03-04T06:00:00Z/2026-03-04T12:00:00Z" | jq -s '[.[] | select(.visibleNow | not)] | length')
    expect "since 6h: the truth has events not visible yet" [ "$late" -gt 0 ]
    eq "since 6h: eventType of every line" \
        "$(jq -r .eventType "$work/since6h.out" | sort -u | tr '\n' ' ')" \
        "clicksBlocked clicksPermitted messagesBlocked messagesDelivered "
    eq "since 6h: one line per event, eventType first" \
        "$(grep -c '^{"eventType":"' "$work/since6h.out")" "$(wc -l <"$work/since6h.out")"
    # the windows: consecutive, no overlap or gap, percent-encoded, authorised
    reqs '.query' | tr -d '"' >"$work/since6h.q"
    printf 'format=json&interval=2026-03-04T%02d%%3A00%%3A00Z%%2F2026-03-04T%02d%%3A00%%3A00Z\n' \
        6 7 7 8 8 9 9 10 10 11 11 12 >"$work/since6h.qwant"
    if cmp -s "$work/since6h.q" "$work/since6h.qwant"; then ok; else
        fail "since 6h: queries: $(diff "$work/since6h.qwant" "$work/since6h.q" | head -4)"
    fi
    eq "since 6h: paths" "$(reqs '.path' | sort -u)" '"/v2/siem/all"'
    eq "since 6h: Authorization on every request" "$(reqs '[.authorization, .auth] | tostring' | sort -u)" '"[true,\"valid\"]"'
    eq "since 6h: pool siem" "$(pool_count siem)" 6
    eq "since 6h: pool siem-clicks-permitted" "$(pool_count siem-clicks-permitted)" 0

    # A tail under 30 s is merged: 3h20s = two hours, then two halves.
    reset_sim
    run tail siem messages-delivered --since 3h20s
    rc_is tail 0
    err_has tail "4 requests to /v2/siem/messages/delivered"
    eq "tail: windows" "$(reqs '.query' | tr -d '"' | sed 's/.*interval=//' | tr '\n' ' ')" \
        "2026-03-04T08%3A59%3A40Z%2F2026-03-04T09%3A59%3A40Z 2026-03-04T09%3A59%3A40Z%2F2026-03-04T10%3A59%3A40Z 2026-03-04T10%3A59%3A40Z%2F2026-03-04T11%3A29%3A50Z 2026-03-04T11%3A29%3A50Z%2F2026-03-04T12%3A00%3A00Z "
    jq -r .id "$work/tail.out" | sort >"$work/tail.got"
    truth_ids 2026-03-04T08:59:40Z 2026-03-04T12:00:00Z messagesDelivered active,cleared "" >"$work/tail.want"
    expect "tail: ids equal the truth" cmp -s "$work/tail.got" "$work/tail.want"

    # Every type, each from its endpoint and pool.
    for t in clicks-blocked clicks-permitted messages-blocked messages-delivered issues; do
        reset_sim
        run "type-$t" siem "$t" --from 2026-03-04T10:00:00Z --to 2026-03-04T11:00:00Z
        rc_is "type-$t" 0
        eq "$t: path" "$(reqs '.path')" "\"/v2/siem/${t/-//}\""
        case $t in
        clicks-blocked) want=clicksBlocked ;;
        clicks-permitted) want=clicksPermitted ;;
        messages-blocked) want=messagesBlocked ;;
        messages-delivered) want=messagesDelivered ;;
        issues) want=clicksPermitted,messagesDelivered ;;
        esac
        jq -r .id "$work/type-$t.out" | sort >"$work/type-$t.got"
        truth_ids 2026-03-04T10:00:00Z 2026-03-04T11:00:00Z "$want" active,cleared "" >"$work/type-$t.want"
        expect "$t: ids equal the truth ($(wc -l <"$work/type-$t.got") events)" \
            cmp -s "$work/type-$t.got" "$work/type-$t.want"
        if [ "$t" = clicks-permitted ]; then
            eq "$t: pool" "$(pool_count siem-clicks-permitted)/$(pool_count siem)" 1/0
        else
            eq "$t: pool" "$(pool_count siem-clicks-permitted)/$(pool_count siem)" 0/1
        fi
    done

    # Filters: repeated and comma lists become repeated parameters.
    reset_sim
    run filt siem all --interval 2026-03-04T10:00:00Z/2026-03-04T11:00:00Z \
        --threat-type url,attachment --threat-status falsePositive --threat-status ACTIVE
    rc_is filt 0
    eq "filters: query" "$(reqs '.query')" \
        '"format=json&interval=2026-03-04T10%3A00%3A00Z%2F2026-03-04T11%3A00%3A00Z&threatType=url&threatType=attachment&threatStatus=active&threatStatus=falsePositive"'
    jq -r .id "$work/filt.out" | sort >"$work/filt.got"
    truth_ids 2026-03-04T10:00:00Z 2026-03-04T11:00:00Z $ALL_TYPES active,falsePositive url,attachment >"$work/filt.want"
    expect "filters: ids equal the filtered truth" cmp -s "$work/filt.got" "$work/filt.want"

    # The raw selectors, with '+' offsets percent-encoded as %2B.
    reset_sim
    run stime siem clicks-permitted --since-time 2026-03-04T12:30:00+01:00
    rc_is stime 0
    eq "sinceTime: query" "$(reqs '.query')" '"format=json&sinceTime=2026-03-04T12%3A30%3A00%2B01%3A00"'
    reset_sim
    run iv siem messages-blocked --interval 2026-03-04T11:00:00+01:00/PT30M
    rc_is iv 0
    eq "interval: query" "$(reqs '.query')" '"format=json&interval=2026-03-04T11%3A00%3A00%2B01%3A00%2FPT30M"'
    reset_sim
    run ssec siem all --since-seconds 600
    rc_is ssec 0
    eq "sinceSeconds: query" "$(reqs '.query')" '"format=json&sinceSeconds=600"'
    jq -r .id "$work/ssec.out" | sort >"$work/ssec.got"
    truth_ids 2026-03-04T11:50:00Z 2026-03-04T12:00:00Z $ALL_TYPES active,cleared "" >"$work/ssec.want"
    expect "sinceSeconds: ids equal the truth" cmp -s "$work/ssec.got" "$work/ssec.want"

    # syslog: the API's lines, one per event
    reset_sim
    run syslog siem all --since-seconds 600 --format syslog
    rc_is syslog 0
    eq "syslog: query" "$(reqs '.query')" '"format=syslog&sinceSeconds=600"'
    eq "syslog: one line per event" "$(wc -l <"$work/syslog.out")" "$(wc -l <"$work/ssec.out")"
    expect "syslog: lines" grep -q ' tap: type=' "$work/syslog.out"
    # syslog over a sliced range
    reset_sim
    run syslog2 siem clicks-permitted --since 2h --format syslog
    rc_is syslog2 0
    eq "syslog sliced: 2 requests" "$(nreq '.path == "/v2/siem/clicks/permitted"')" 2
    truth_ids 2026-03-04T10:00:00Z 2026-03-04T12:00:00Z clicksPermitted active,cleared "" >"$work/syslog2.want"
    eq "syslog sliced: lines" "$(wc -l <"$work/syslog2.out")" "$(wc -l <"$work/syslog2.want")"

    # the 7-day limit: refused before anything is sent
    reset_sim
    run old siem all --since 8d
    rc_is old 64
    err_has old "more than 7 days ago: the API serves only the last 7 days"
    eq "8d: nothing sent" "$(total_reqs)" 0
    # the whole week is 168 requests: announced, validated, then sent
    run week siem clicks-blocked --since 7d --dry-run
    rc_is week 0
    eq "7d: windows" "$(wc -l <"$work/week.out")" 168
    err_has week "starting at 2026-02-25T12:05:00Z instead"
}

# ------------------------------------------------------------------------
group_api() {
    start_sim api --text-plain 1
    # campaign ids: day slices, every page, each id once
    reset_sim
    run cids campaign ids --since 2d
    rc_is cids 0
    err_has cids "2 day windows, at least 2 requests"
    expect "campaign ids: some ids" [ "$(wc -l <"$work/cids.out")" -ge 3 ]
    eq "campaign ids: unique" "$(cut -d' ' -f1 "$work/cids.out" | sort | uniq -d | wc -l)" 0
    eq "campaign ids: queries" "$(reqs '.query' | tr '\n' ' ')" \
        '"interval=2026-03-02T12%3A00%3A00Z%2F2026-03-03T12%3A00%3A00Z&size=200&page=1" "interval=2026-03-03T12%3A00%3A00Z%2F2026-03-04T12%3A00%3A00Z&size=200&page=1" '
    eq "campaign ids: pool" "$(pool_count campaign-ids)" 2
    # one per page: the same ids, one request per page, 404 past the end = empty
    reset_sim
    run cids1 campaign ids --since 2d --size 1 --json
    rc_is cids1 0
    eq "campaign ids size 1: same ids" "$(jq -r .id "$work/cids1.out" | sort | tr '\n' ' ')" \
        "$(cut -d' ' -f1 "$work/cids.out" | sort | tr '\n' ' ')"
    expect "campaign ids size 1: several pages" [ "$(nreq '.path == "/v2/campaign/ids"')" -gt 3 ]
    expect "campaign ids size 1: page 2 asked" [ "$(nreq '(.query | test("size=1&page=2"))')" -ge 1 ]
    expect "campaign ids size 1: a 404 ends the pages" [ "$(nreq '.status == 404')" -ge 1 ]
    # a full page, then a page past the end: 404 is "no more campaigns", success
    reset_sim
    run cday campaign ids --interval 2026-03-03T12:00:00Z/2026-03-04T12:00:00Z
    k=$(wc -l <"$work/cday.out")
    reset_sim
    run c404 campaign ids --interval 2026-03-03T12:00:00Z/2026-03-04T12:00:00Z --size "$k"
    rc_is c404 0
    eq "campaign ids 404: pages" "$(reqs '[(.query | sub(".*&page="; "page=")), (.status | tostring)] | join(" ")' | tr '\n' ' ')" \
        '"page=1 200" "page=2 404" '
    eq "campaign ids 404: same ids" "$(cat "$work/c404.out")" "$(cat "$work/cday.out")"
    cid=$(jq -r .id "$work/cids1.out" | head -1)

    # campaign get: text and JSON (the sim labels JSON text/plain here)
    reset_sim
    run cget campaign get "$cid"
    rc_is cget 0
    out_has cget "id:          $cid"
    out_has cget "members:"
    eq "campaign get: path" "$(reqs '.path')" "\"/v2/campaign/$cid\""
    run cgetv -v campaign get "$cid"
    err_has cgetv "pptap: < Content-Type: text/plain"
    rc_is cgetv 0
    run cgetj --json campaign get "$cid"
    rc_is cgetj 0
    eq "campaign get --json: id" "$(jq -r .id "$work/cgetj.out")" "$cid"
    run cget404 campaign get "$cid" 00000000-0000-0000-0000-000000000000
    rc_is cget404 66
    err_has cget404 "The campaign ID or threat ID does not exist"
    eq "campaign get: the known one still printed" "$(grep -c '^id:' "$work/cget404.out")" 1

    # a threat id from the SIEM, its summary and forensics
    run ev siem messages-delivered --since 1h
    tid=$(jq -r '.threatsInfoMap[0].threatID' "$work/ev.out" | head -1)
    reset_sim
    run ts threat summary "$tid"
    rc_is ts 0
    out_has ts "id:                  $tid"
    run tsj threat summary --json "$tid"
    eq "threat summary --json" "$(jq -r .id "$work/tsj.out")" "$tid"
    eq "threat summary: path and pool" "$(reqs '[.path, (.pool // "none")] | join(" ")' | sort -u)" "\"/v2/threat/summary/$tid none\""
    run ts404 threat summary 0000000000000000000000000000000000000000000000000000000000000001
    rc_is ts404 66
    err_has ts404 "HTTP 404"

    reset_sim
    run for forensics --threat-id "$tid"
    rc_is for 0
    eq "forensics: query" "$(reqs '.query')" "\"threatId=$tid\""
    eq "forensics: scope" "$(jq -r .scope "$work/for.out" | sort -u)" THREAT
    run forc forensics --threat-id "$tid" --include-campaign --evidence-type url,dns --evidence-type network --max 2
    rc_is forc 0
    expect "forensics: includeCampaignForensics sent" [ "$(nreq '.query == "threatId='"$tid"'&includeCampaignForensics=true"')" -eq 1 ]
    eq "forensics: evidence types kept" "$(jq -r '.forensics[].type' "$work/forc.out" | sort -u | grep -cvE '^(url|dns|network)$')" 0
    eq "forensics: at most 2 per report" "$(jq '.forensics | length > 2' "$work/forc.out" | grep -c true)" 0
    run forcamp forensics --campaign-id "$cid"
    rc_is forcamp 0
    eq "forensics by campaign: scope" "$(jq -r .scope "$work/forcamp.out" | sort -u)" CAMPAIGN
    run for404 forensics --threat-id 00000000000000000000000000000000000000000000000000000000000000ff
    rc_is for404 66
    err_has for404 "threatId not found"

    # people
    reset_sim
    run vap people vap --window 30
    rc_is vap 0
    out_has vap "VAPs: "
    eq "vap: query" "$(reqs '.query')" '"window=30"'
    run vapj people vap --window 90 --size 3 --all --json
    rc_is vapj 0
    total=$(jq .totalVapUsers "$work/vapj.out")
    eq "vap --all: every user" "$(jq '.users | length' "$work/vapj.out")" "$total"
    eq "vap: pool" "$(pool_count vap)" "$((1 + (total + 2) / 3))"
    reset_sim
    run tc people top-clickers --window 14 --size 5 --page 2 --json
    rc_is tc 0
    eq "top clickers: query" "$(reqs '.query')" '"window=14&size=5&page=2"'
    expect "top clickers: users" [ "$(jq '.users | length' "$work/tc.out")" -le 5 ]

    # decode --online: offline first, one batched request for the rest
    v2='https://urldefense.proofpoint.com/v2/url?u=http-3A__www.example.com&d=DwMFAg&c=x&r=y&m=z&s=w&e='
    bad='https://urldefense.com/v3/__https://x.com/*__;!!a$'
    reset_sim
    run dec decode --online --json "$v2" "$bad" https://plain.example/
    rc_is dec 65
    eq "decode --online: one request for the two failures" "$(nreq '.path == "/v2/url/decode"')" 1
    eq "decode --online: sources" "$(jq -r .source "$work/dec.out" | tr '\n' ' ')" "offline null null "
    eq "decode --online: API error quoted" "$(jq -r .apiError "$work/dec.out" | sed -n 3p)" \
        "Invalid URL - encoded URL is not a URL Defense URL"
    reset_sim
    run decc decode --online --compare "$v2" "$v2"
    rc_is decc 0
    eq "decode --compare: output" "$(cat "$work/decc.out" | tr '\n' ' ')" "http://www.example.com http://www.example.com "
    eq "decode --compare: every link sent, pool url-decode" "$(pool_count url-decode)" 1

    # no credentials but a base URL: sent without Authorization (the decoder allows it)
    reset_sim
    (
        unset PPTAP_PRINCIPAL PPTAP_SECRET
        run decanon decode --online "$bad"
    )
    rc_is decanon 65
    eq "decode without credentials: no Authorization" "$(reqs '[.authorization, .auth, .status] | tostring')" '"[false,\"absent\",200]"'

    # ping: no throttled pool spent
    reset_sim
    run ping ping
    rc_is ping 0
    out_has ping "HTTP 404: reachable, credentials accepted"
    out_has ping "clock skew"
    eq "ping: request" "$(reqs '[.path, (.pool // "none"), (.status|tostring), .auth] | join(" ")')" \
        '"/v2/threat/summary/0000000000000000000000000000000000000000000000000000000000000000 none 404 valid"'
    eq "ping: no pool spent" "$(admin 'requests?last=0' | jq '[.pools[]] | add')" 0
    run pingj --json ping
    eq "ping --json" "$(jq -c '[.status, .reachable, .credentialsAccepted]' "$work/pingj.out")" "[404,true,true]"
}

# ------------------------------------------------------------------------
group_errors() {
    start_sim err --pool siem=3 --pool campaign-ids=1 --pool vap=1
    # 401 -> 77, with the API's text, for every command
    i=0
    for c in "siem all --since-seconds 60" "campaign ids --since 1h" "ping" "threat summary abc" \
        "people vap --window 14" "forensics --threat-id abc" "campaign get abc" \
        "people top-clickers --window 30" "decode --online https://example.com/"; do
        i=$((i + 1))
        name=auth-$i
        PPTAP_SECRET=wrong-secret run "$name" $c
        rc_is "$name" 77
        err_has "$name" "credentials refused: The request requires valid service credentials"
    done
    reset_sim

    # 400s from the server are quoted (pptap's clock differs from the server's)
    PPTAP_NOW=2026-03-04T11:00:00Z run b400old siem all --interval 2026-02-25T11:30:00Z/PT10M
    rc_is b400old 64
    reset_sim
    err_has b400old "HTTP 400 from GET /v2/siem/all?format=json&interval=2026-02-25T11%3A30%3A00Z%2FPT10M: The requested start time is too far into the past"
    PPTAP_NOW=2026-03-04T13:00:00Z run b400cur siem all --interval 2026-03-04T12:10:00Z/2026-03-04T12:20:00Z
    rc_is b400cur 64
    reset_sim
    err_has b400cur "The requested interval is still current."
    PPTAP_NOW=2026-03-04T10:00:00Z run b400long siem all --since-time 2026-03-04T09:50:00Z
    rc_is b400long 64
    reset_sim
    err_has b400long "The requested interval is too long. Requests must be for at most 1.00h of data"
    PPTAP_NOW=2026-03-04T12:00:20Z run b400short siem all --since-time 2026-03-04T11:59:45Z
    rc_is b400short 64
    err_has b400short "The requested interval is too short. Requests must be for at least 30.00s of data"
    # and the library's own validation, before sending anything
    reset_sim
    run v64 siem all --interval 2026-03-04T10:00:00Z/2026-03-04T12:00:00Z
    rc_is v64 64
    err_has v64 "interval is too long (2 h): the API allows at most 1 h"
    run v64b people vap --window 7
    rc_is v64b 64
    eq "validation: nothing sent" "$(total_reqs)" 0

    # 429 -> 75 naming the pool; the windows before it were written
    reset_sim
    run r429 siem all --since 4h
    rc_is r429 75
    err_has r429 "rate limit of pool siem-other reached: The user has made too many requests over the past 24 hours and has been throttled."
    err_has r429 "stopped at window 4 of 4"
    eq "429: three windows written" "$(jq -r .id "$work/r429.out" | sort | uniq | wc -l)" \
        "$(truth_ids 2026-03-04T08:00:00Z 2026-03-04T11:00:00Z $ALL_TYPES active,cleared "" | wc -l)"
    eq "429: not retried" "$(nreq '.status == 429')" 1
    run r429c campaign ids --since 2d
    rc_is r429c 75
    err_has r429c "pool campaign-ids"
    run r429v people vap --window 14 --all --size 1
    rc_is r429v 75
    err_has r429v "pool vap"
    admin_post "pools?siem=0&campaign-ids=0&vap=0&reset=1"

    # 5xx: bounded retries (--retries 2 = 3 attempts), then 69
    reset_sim
    admin_post "faults?5xx=1"
    run r5xx --retries 2 siem all --since-seconds 60
    rc_is r5xx 69
    err_has r5xx "An unexpected error occurred."
    eq "5xx: three attempts" "$(total_reqs)" 3
    # resets: bounded too
    reset_sim
    admin_post "faults?clear=1&reset=1"
    run rreset --retries 1 ping
    rc_is rreset 69
    eq "reset: two attempts" "$(total_reqs)" 2
    # some 5xx and resets: retried to success, the output is still exact
    reset_sim
    admin_post "faults?clear=1&5xx=0.3&reset=0.2&seed=3"
    run rmix siem all --since 2h
    rc_is rmix 0
    expect "faults: some requests failed" [ "$(nreq '.fault != null')" -ge 1 ]
    jq -r .id "$work/rmix.out" | sort >"$work/rmix.got"
    truth_ids 2026-03-04T10:00:00Z 2026-03-04T12:00:00Z $ALL_TYPES active,cleared "" >"$work/rmix.want"
    expect "faults: ids equal the truth" cmp -s "$work/rmix.got" "$work/rmix.want"
    # truncated bodies: the window is fetched again, nothing doubled or lost
    reset_sim
    admin_post "faults?clear=1&truncate=0.5&seed=5"
    run rtrunc siem all --since 2h
    rc_is rtrunc 0
    expect "truncate: some bodies were cut" [ "$(nreq '.fault == "truncated"')" -ge 1 ]
    jq -r .id "$work/rtrunc.out" | sort >"$work/rtrunc.got"
    expect "truncate: ids equal the truth" cmp -s "$work/rtrunc.got" "$work/rmix.want"
    eq "truncate: no duplicates" "$(sort "$work/rtrunc.got" | uniq -d | wc -l)" 0
    # always truncated: bounded, 76 (the API's answer does not parse)
    reset_sim
    admin_post "faults?clear=1&truncate=1"
    run rtrunc1 --retries 1 siem all --since-seconds 3600
    rc_is rtrunc1 76
    err_has rtrunc1 "truncated"
    expect "truncate always: bounded attempts" [ "$(total_reqs)" -le 8 ]
    # malformed JSON -> 76 (protocol), not retried
    reset_sim
    admin_post "faults?clear=1&badjson=1"
    run rbad siem all --since-seconds 600
    rc_is rbad 76
    eq "bad JSON: one request" "$(total_reqs)" 1
    # timeouts -> 75
    reset_sim
    admin_post "faults?clear=1&slow=1&slow-ms=3000"
    run rslow --timeout 1 --retries 0 threat summary abc
    rc_is rslow 75
    err_has rslow "imed out"
    admin_post "faults?clear=1"

    # 204 for an empty syslog window: empty output, success
    start_sim quiet --rate 1
    reset_sim
    run s204 siem clicks-blocked --since-seconds 60 --format syslog
    rc_is s204 0
    eq "204: status" "$(reqs '.status')" 204
    eq "204: empty output" "$(wc -c <"$work/s204.out")" 0

    # -v: traces with the secret redacted
    reset_sim
    run trace -v siem all --since-seconds 60
    rc_is trace 0
    err_has trace "pptap: > GET $BASE/v2/siem/all?format=json&sinceSeconds=60 (attempt 1)"
    err_has trace "pptap: > Authorization: Basic <redacted>"
    err_has trace "pptap: < HTTP 200"

    # settings: config file (mode checked), secret file, precedence
    printf '[tap]\nprincipal = %s\nsecret_file = %s\nbase_url = http://127.0.0.1:9\n' \
        "$PRINCIPAL" "$work/secret" >"$work/pptap.conf"
    printf '%s\n' "$SECRET" >"$work/secret"
    chmod 600 "$work/pptap.conf" "$work/secret"
    (
        unset PPTAP_PRINCIPAL PPTAP_SECRET PPTAP_BASE_URL
        run cfg --config "$work/pptap.conf" --base-url "$BASE" ping
        PPTAP_BASE_URL=$BASE run cfgenv --config "$work/pptap.conf" ping
        run cfgbad --config "$work/pptap.conf" --retries 0 ping
        run secf --secret-file "$work/secret" --base-url "$BASE" ping
        PPTAP_PRINCIPAL=$PRINCIPAL run secf2 --secret-file "$work/secret" --base-url "$BASE" ping
        chmod 644 "$work/pptap.conf"
        run cfgmode --config "$work/pptap.conf" ping
        run nocred ping
    )
    rc_is cfg 0
    rc_is cfgenv 0
    rc_is cfgbad 69
    rc_is secf 78
    err_has secf "the service secret is set but not the principal"
    rc_is secf2 0
    rc_is cfgmode 78
    err_has cfgmode "is accessible by group or others"
    rc_is nocred 78
    err_has nocred "no TAP credentials: set PPTAP_PRINCIPAL and PPTAP_SECRET"

    # TLS: refused without the CA, accepted with it, --insecure warns
    start_sim tls --tls-cert "$SRC/tests/sim/tls-cert.pem" --tls-key "$SRC/tests/sim/tls-key.pem"
    run tlsno --retries 0 ping
    rc_is tlsno 69
    err_has tlsno "certificate"
    run tlsca --cacert "$SRC/tests/sim/tls-cert.pem" ping
    rc_is tlsca 0
    run tlsin --insecure ping
    rc_is tlsin 0
    err_has tlsin "WARNING: TLS certificate verification is OFF"
    run tlsv -v --cacert "$SRC/tests/sim/tls-cert.pem" siem all --since-seconds 60
    rc_is tlsv 0
}

case $group in
siem) group_siem ;;
api) group_api ;;
errors) group_errors ;;
*)
    echo "unknown group $group"
    exit 2
    ;;
esac

# The secret never appears: not in any output, trace or log, nor encoded.
b64=$(printf '%s:%s' "$PRINCIPAL" "$SECRET" | base64 -w0)
leaks=$(grep -rlF -e "$SECRET" -e "$b64" "$work" --exclude=secret --exclude=pptap.conf)
if [ -n "$leaks" ]; then fail "the secret appears in: $leaks"; else ok; fi

finish "[$group] %checks checks passed, %failures failed"
