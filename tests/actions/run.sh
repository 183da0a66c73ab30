#!/bin/bash
# Integration tests of `pptap action` and `pptap case` against pptap-sim.
#
# Usage: run.sh PPTAP PPTAP_SIM
#
# Starts a simulator on port 0 with a fixed seed and a frozen clock, gives
# pptap the same "now" (PPTAP_NOW), runs every action on JSON requests and
# checks the JSON results (result_value, execution_state, output_message,
# json_result, insights, entities, tables), the exit status, the cases kept
# in the store, and what the simulator received (/admin/requests, pools).
set -u
PPTAP=$1
SIM=$2

NOW=2026-03-04T12:00:00Z
SECRET='Act10ns-s3cret-K9v'
PRINCIPAL=pptap-sim
. "$(dirname "$0")/../lib/harness.sh"
unset PPTAP_CONFIG PPTAP_SECRET_FILE PPTAP_CACERT PPTAP_INSECURE PPTAP_TIMEOUT PPTAP_LEDGER
unset PPTAP_STATE

PPTAP_SIM_PRINCIPAL=$PRINCIPAL PPTAP_SIM_SECRET=$SECRET \
    launch_sim sim --seed 42 --start "$NOW" --speed 0
BASE=$SIM_URL
export PPTAP_BASE_URL=$BASE PPTAP_PRINCIPAL=$PRINCIPAL PPTAP_SECRET=$SECRET PPTAP_NOW=$NOW
STATE=$work/state.db

admin() { curl -s --max-time 10 "$BASE/admin/$1"; }
admin_post() { curl -s --max-time 10 -X POST "$BASE/admin/$1" >/dev/null; }
reset_sim() { admin_post reset; }
api() { curl -s --max-time 10 -u "$PRINCIPAL:$SECRET" "$BASE$1"; }
pool_used() { admin "pools" | jq ".[\"$1\"].requests"; }
total_reqs() { admin "requests?last=0" | jq ".total"; }
# the paths and raw queries received since the last reset
received() { admin "requests?last=1000" | jq -r '.requests[] | .path + "?" + .query'; }

# act NAME ACTION REQUEST [action options...]: runs an action (with the
# global options in $G); keeps NAME.json, NAME.err and NAME.rc.
G=
act() {
    local name=$1 action=$2 req=$3
    shift 3
    printf '%s' "$req" >"$work/$name.req"
    # shellcheck disable=SC2086
    "$PPTAP" $G action "$action" --input "$work/$name.req" "$@" >"$work/$name.json" \
        2>"$work/$name.err"
    echo $? >"$work/$name.rc"
}

# jq_is NAME FILTER WANT: the filter on NAME.json gives WANT (compact JSON or raw string)
jq_is() {
    local got
    got=$(jq -c -r "$2" "$work/$1.json" 2>&1)
    if [ "$got" = "$3" ]; then ok; else
        fail "$1: $2 is '$got', want '$3'"
    fi
}

# jq_true NAME FILTER: the filter gives true
jq_true() { jq_is "$1" "$2" true; }

# The 429 sentence of the SecOps integration, exactly, before pptap's detail.
THROTTLED='The user has made too many requests over the past 24 hours and has been throttled.'
# throttled NAME POOL: the action failed on a 429 of POOL (exit 75) with the
# SecOps sentence followed by the pool, and the failed result carries no
# partial data tables, insights or entities.
throttled() {
    rc_is "$1" 75
    jq_is "$1" .execution_state failed
    jq_is "$1" .result_value false
    jq_true "$1" ".output_message | contains(\"$THROTTLED The $2 pool \")"
    jq_is "$1" '[.data_tables, .insights, .entities]' '[[],[],[]]'
}
# spend POOL PATH [BODY]: shrinks POOL to one request and spends it on PATH
# (a POST of BODY when given)
spend() {
    admin_post "pools?$1=1&reset=1"
    if [ $# -gt 2 ]; then
        curl -s --max-time 10 -u "$PRINCIPAL:$SECRET" -H 'Content-Type: application/json' \
            -d "$3" "$BASE$2" >/dev/null
    else
        api "$2" >/dev/null
    fi
    eq "spend: pool $1 used" "$(pool_used "$1")" 1
}

# ------------------------------------------------------------------------
# Ping: the threat summary endpoint, no throttled pool
reset_sim
act ping ping '{"case_id": "1", "alert_group_identifiers": []}'
rc_is ping 0
jq_is ping .execution_state completed
jq_is ping .result_value true
jq_is ping .result_name is_success
jq_is ping .output_message \
    "Successfully connected to the ProofPoint TAP server with the provided connection parameters!"
jq_is ping .json_result.status 404
jq_is ping .json_result.pool none
eq "ping: one request" "$(received)" \
    "/v2/threat/summary/0000000000000000000000000000000000000000000000000000000000000000?"
eq "ping: no throttled pool spent" \
    "$(admin pools | jq '[.[] | .requests] | add')" 0

# Ping with a refused secret: 77, SecOps failure message
reset_sim
PPTAP_SECRET=wrong act ping401 ping '{}'
rc_is ping401 77
jq_is ping401 .execution_state failed
jq_is ping401 .result_value false
jq_true ping401 '.output_message | startswith("Failed to connect to the ProofPoint TAP server! Error is ")'
jq_true ping401 '.output_message | contains("credentials refused")'
grep -q "Failed to connect" "$work/ping401.err" && ok || fail "ping401: message not on stderr"

# Ping of a closed port: 69
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
G="--retries 0" PPTAP_BASE_URL=http://127.0.0.1:$port act pingdown ping '{}'
rc_is pingdown 69
jq_is pingdown .execution_state failed

# Ping without credentials or base URL: Ping's own failure message, 78, no request
reset_sim
env -u PPTAP_BASE_URL -u PPTAP_PRINCIPAL -u PPTAP_SECRET "$PPTAP" action ping <<<'{}' \
    >"$work/pingnocred.json" 2>"$work/pingnocred.err"
echo $? >"$work/pingnocred.rc"
rc_is pingnocred 78
jq_is pingnocred .execution_state failed
jq_true pingnocred '.output_message | startswith("Failed to connect to the ProofPoint TAP server! Error is no TAP API client: ")'
eq "ping without credentials: no request" "$(total_reqs)" 0

# ------------------------------------------------------------------------
# Decode URL
V3='https://urldefense.com/v3/__http://docs-share-portal.net/MJ7vimdX__;!KhYFNrJBOdJz!C31qOQwH9xp_bf25VTZh1fIu3Geh7AfKnIPFOwnGNlayjUd6NEMAxQ3XmlaE$'
V2='https://urldefense.proofpoint.com/v2/url?u=https-3A__example.com_a-3Fb-3D1&d=DwMF&c=x&r=y&m=z&s=w&e='
V9='https://urldefense.com/v9/__x__;!!a$'
PLAIN='https://plain.example/'
ENT='https://urldefense.com/v3/__http://newsoffer.xyz/SOpGVCeW__;!cfOxZjg9vMfI!YK9cYUE9FXtOx6JShKJQk_QupCkwJ2FueuM6CyuPPI9qkUYRV4PQb4GVU91k$'
"$PPTAP" case add-entity 10 URL "$ENT" --state "$STATE" >"$work/add.out" 2>&1 && ok || fail "case add-entity: $(cat "$work/add.out")"
eq "add-entity output" "$(cat "$work/add.out")" "added URL $ENT (case 10)"
"$PPTAP" case add-entity 10 USERUNIQNAME alice@example.com --state "$STATE" >/dev/null && ok || fail "add user"
"$PPTAP" case add-entity 10 url "$ENT" --state "$STATE" --json >"$work/add2.json" && ok || fail "add again"
jq_is add2 .new false

reset_sim
req=$(jq -nc --arg u "$V2, $V9, $PLAIN, $V3" '{case_id: "10", alert_group_identifiers: ["g1"], parameters: {"Encoded URLs": $u}}')
act dec decode-url "$req" --state "$STATE"
rc_is dec 0
jq_is dec .result_name decoded_urls
jq_is dec .result_value true
jq_is dec .execution_state completed
jq_is dec '.output_message' "Successfully decoded the following URLs in ProofPoint TAP: $ENT, $V2, $V3
Action wasn't able to decode the following URLs in ProofPoint TAP: $V9, $PLAIN"
jq_is dec '[.json_result[] | [.encodedUrl == null, .success, .source, .fromEntity]]' \
    '[[false,true,"offline",true],[false,true,"offline",false],[false,false,"api",false],[false,false,"offline",false],[false,true,"offline",false]]'
jq_is dec '[.json_result[] | .decodedUrl] | map(select(. != null))' \
    '["http://newsoffer.xyz/SOpGVCeW","https://example.com/a?b=1","http://docs-share-portal.net/MJ7vimdX"]'
# entities only for decoded parameter URLs, not for the case's URL entity
jq_is dec '[.entities[] | [.entity_type, .identifier, .new, .properties.is_new_entity]]' \
    '[["URL","https://example.com/a?b=1",true,true],["URL","http://docs-share-portal.net/MJ7vimdX",true,true]]'
jq_is dec .case '{"stored":true,"new_entities":2,"new_insights":0}'
# only the link the offline decoder could not read went to the API, in one request
eq "decode: requests" "$(received)" "/v2/url/decode?"
eq "decode: url-decode pool" "$(pool_used url-decode)" 1

# the same request again creates nothing
act dec2 decode-url "$req" --state "$STATE"
jq_is dec2 '[.entities[].new]' '[false,false]'
jq_is dec2 .case '{"stored":true,"new_entities":0,"new_insights":0}'
"$PPTAP" case show 10 --state "$STATE" --json >"$work/case10.json"
jq_is case10 '[.entities[] | .entity_type + " " + .created_by]' \
    '["URL pptap case add-entity","USERUNIQNAME pptap case add-entity","URL Decode URL","URL Decode URL"]'

# Use API: every URL goes to the API; its extras (messageGuid, clusterName,
# recipientEmail) are kept
reset_sim
req=$(jq -nc --arg u "$V2" '{parameters: {"Encoded URLs": $u, "Use API": "true", "Create URL Entities": "false"}}')
act decapi decode-url "$req"
rc_is decapi 0
jq_is decapi '.json_result[0].source' api
jq_is decapi '.json_result[0].decodedUrl' 'https://example.com/a?b=1'
jq_true decapi '.json_result[0] | has("messageGuid") and has("clusterName") and has("recipientEmail")'
jq_is decapi '.entities | length' 0

# Offline without credentials or base URL: works, no request
reset_sim
req=$(jq -nc --arg u "$V3" '{parameters: {"Encoded URLs": $u}}')
env -u PPTAP_BASE_URL -u PPTAP_PRINCIPAL -u PPTAP_SECRET "$PPTAP" action decode-url \
    --input - <<<"$req" >"$work/decoff.json" 2>"$work/decoff.err"
echo $? >"$work/decoff.rc"
rc_is decoff 0
jq_is decoff '.json_result[0].decodedUrl' 'http://docs-share-portal.net/MJ7vimdX'
eq "offline: nothing on stderr" "$(cat "$work/decoff.err")" ""
eq "offline: no request" "$(total_reqs)" 0
# ...but Use API without credentials fails with 78
req=$(jq -nc --arg u "$V3" '{parameters: {"Encoded URLs": $u, "Use API": true}}')
env -u PPTAP_BASE_URL -u PPTAP_PRINCIPAL -u PPTAP_SECRET "$PPTAP" action decode-url \
    <<<"$req" >"$work/decnocred.json" 2>"$work/decnocred.err"
echo $? >"$work/decnocred.rc"
rc_is decnocred 78
jq_true decnocred '.output_message | startswith("Error executing action ProofPointTAP - Decode URL. Reason: no TAP API client")'

# Scopes over the case's entities
act scurl decode-url '{"case_id": "10", "scope": "URL entities"}' --state "$STATE"
jq_is scurl '[.json_result[] | .fromEntity] | length' 3
act suser decode-url '{"case_id": "10", "scope": "user entities"}' --state "$STATE"
jq_is suser .result_value false
jq_is suser '.json_result | length' 0
jq_is suser '.output_message | split("\n") | .[0]' "None of the provided URLs were decoded in ProofPoint TAP."
jq_is suser '.output_message | split("\n") | .[1]' 'There were no URLs to decode: "Encoded URLs" is empty and no URL entity is in scope.'
act stgt decode-url "$(jq -nc --arg u "$V2" '{case_id: "10", scope: "Hash entities", target_entities: [{Identifier: "X", EntityType: "URL", AdditionalProperties: {OriginalIdentifier: $u}}]}')" --state "$STATE"
jq_is stgt '[.json_result[] | .decodedUrl]' '["https://example.com/a?b=1"]'
act sbad decode-url '{"case_id": "10", "scope": "Odd entities"}' --state "$STATE"
rc_is sbad 64
jq_is sbad .output_message 'Error executing action ProofPointTAP - Decode URL. Reason: Unknown scope "Odd entities". Possible values: All entities, URL entities, User entities, Hash entities, IP entities, Host entities, Threat entities, Suspicious entities.'

# The API fallback throttled: the links the offline decoder read are decoded,
# the others carry the 429 as their error, and the action completes.
reset_sim
spend url-decode /v2/url/decode '{"urls": ["https://urldefense.com/v9/__x__;!!a$"]}'
req=$(jq -nc --arg u "$V2, $V9" '{parameters: {"Encoded URLs": $u, "Create URL Entities": false}}')
act dec429 decode-url "$req"
rc_is dec429 0
jq_is dec429 .execution_state completed
jq_is dec429 .result_value true
jq_is dec429 '[.json_result[] | [.encodedUrl, .success, .source]]' \
    "$(jq -nc --arg a "$V2" --arg b "$V9" '[[$a, true, "offline"], [$b, false, "api"]]')"
jq_true dec429 ".json_result[1].error | startswith(\"$THROTTLED The url-decode pool (1800 requests per rolling 24 hours) is exhausted\")"
jq_is dec429 '.output_message | split("\n") | .[0:2]' \
    "$(jq -nc --arg a "$V2" --arg b "$V9" '["Successfully decoded the following URLs in ProofPoint TAP: " + $a, "Action wasn'"'"'t able to decode the following URLs in ProofPoint TAP: " + $b]')"
jq_true dec429 ".output_message | split(\"\n\") | .[2] | startswith(\"The URL Decoder API could not be used for the links the offline decoder could not read: $THROTTLED\")"
eq "decode 429: the one request was throttled" \
    "$(admin "requests?last=1" | jq -r '.requests[0] | "\(.path) \(.status)"')" "/v2/url/decode 429"
# none decoded offline and the API throttled: completed, false
act dec429b decode-url "$(jq -nc --arg u "$V9" '{parameters: {"Encoded URLs": $u}}')"
rc_is dec429b 0
jq_is dec429b .result_value false
jq_is dec429b '.output_message | split("\n") | .[0]' "None of the provided URLs were decoded in ProofPoint TAP."
jq_true dec429b ".json_result[0].error | startswith(\"$THROTTLED\")"
admin_post "pools?url-decode=1800&reset=1"

# ------------------------------------------------------------------------
# Every action refuses an unknown scope before anything is asked: exit 64,
# the allowed scopes listed. Mandatory parameters without default get "x".
reset_sim
"$PPTAP" action --list --json | jq -r .cli_name >"$work/actions.txt"
eq "every action listed" "$(wc -l <"$work/actions.txt")" 13
while read -r a; do
    params=$("$PPTAP" action "$a" --describe |
        jq -c '[.parameters[] | select(.mandatory and .default == null) | {(.name): "x"}] | add // {}')
    act "scope-$a" "$a" "$(jq -nc --argjson p "$params" '{case_id: "10", parameters: $p, scope: "Odd entities"}')" \
        --state "$STATE"
    rc_is "scope-$a" 64
    jq_is "scope-$a" .execution_state failed
    jq_true "scope-$a" '.output_message | endswith(": Unknown scope \"Odd entities\". Possible values: All entities, URL entities, User entities, Hash entities, IP entities, Host entities, Threat entities, Suspicious entities.")'
done <"$work/actions.txt"
eq "unknown scopes: no request" "$(total_reqs)" 0

# ------------------------------------------------------------------------
# Get Campaign
# a campaign with actors, brands and member threats; one without members
ids=$(for d in 2026-03-03T12:00:00Z/2026-03-04T12:00:00Z 2026-03-02T12:00:00Z/2026-03-03T12:00:00Z \
    2026-03-01T12:00:00Z/2026-03-02T12:00:00Z; do
    api "/v2/campaign/ids?interval=$d" | jq -r '.campaigns[].id'
done)
CAMP=
EMPTY=
for id in $ids; do
    api "/v2/campaign/$id" >"$work/c.json"
    if [ -z "$EMPTY" ] && jq -e '(.campaignMembers | length) == 0' "$work/c.json" >/dev/null; then
        EMPTY=$id
    fi
    if [ -z "$CAMP" ] && jq -e '(.actors | length) > 0 and (.brands | length) > 0 and
        (.campaignMembers | length) > 0' "$work/c.json" >/dev/null; then
        CAMP=$id
        cp "$work/c.json" "$work/camp.json"
    fi
done
[ -n "$CAMP" ] && ok || fail "no campaign with actors, brands and members in the simulator"
[ -n "$EMPTY" ] && ok || fail "no campaign without members in the simulator"
ACTORS=$(jq -r '[.actors[].name] | join(", ")' "$work/camp.json")
BRANDS=$(jq -r '[.brands[].name] | join(", ")' "$work/camp.json")
CNAME=$(jq -r .name "$work/camp.json")
api "/v2/forensics?campaignId=$CAMP" >"$work/campf.json"

reset_sim
req=$(jq -nc --arg c "$CAMP, no-such-campaign" '{case_id: "20", alert_group_identifiers: [], parameters: {"Campaign ID": $c, "Forensic Evidence Type Filter": "url,dns", "Max Forensics Evidence To Return": "4"}}')
act gc get-campaign "$req" --state "$STATE"
rc_is gc 0
jq_is gc .result_name campaign_info
jq_is gc .result_value true
jq_is gc .output_message "Successfully found information for the following campaigns in ProofPoint TAP: $CAMP
Action wasn't able to find information for the following campaigns in ProofPoint TAP: no-such-campaign"
jq_is gc '.json_result | length' 1
jq_is gc '.json_result[0].id' "$CAMP"
# forensics: every member's report read, filtered to the types, capped at 4
want_matched=$(jq '[.reports[].forensics[] | select(.type == "url" or .type == "dns")] | length' "$work/campf.json")
jq_is gc '.json_result[0].forensics.matched' "$want_matched"
jq_is gc '.json_result[0].forensics.forensics | length' "$([ "$want_matched" -lt 4 ] && echo "$want_matched" || echo 4)"
jq_true gc '[.json_result[0].forensics.forensics[].type] | all(. == "url" or . == "dns")'
jq_is gc '.json_result[0].forensics.reports' "$(jq '.reports | length' "$work/campf.json")"
# Related Actors are the actors, not the brands
jq_is gc '.data_tables[0].title' "Campaign Details"
jq_is gc '.data_tables[0].columns' '["ID","Name","Description","Start Date","Related Families","Related Malware","Related Techniques","Related Actors","Related Brands"]'
jq_is gc '.data_tables[0].rows[0][7]' "$ACTORS"
jq_is gc '.data_tables[0].rows[0][8]' "$BRANDS"
jq_is gc '.data_tables[1].title' "Campaign $CAMP Evidence"
jq_is gc '.data_tables[1].columns' '["Type","Description","Malicious","URL","Path","SHA256","IP Address","Platforms"]'
# one insight, the THREATACTOR entity
jq_is gc '[.insights[] | [.title, .severity, .type, .triggered_by, .new]]' "[[\"$CAMP\",\"Informational\",\"General\",\"ProofPointTAP\",true]]"
jq_true gc ".insights[0].body_html | contains(\"<strong>Related Actors:</strong> $ACTORS<br>\")"
jq_true gc '.insights[0].body_html | contains("<h2><strong>")'
jq_is gc '[.entities[] | [.entity_type, .identifier, .properties.campaignId, .new]]' "$(jq -nc --arg n "$CNAME" --arg c "$CAMP" '[["THREATACTOR", $n, $c, true]]')"
eq "get campaign: requests" "$(received | sort)" "$(printf '%s\n' "/v2/campaign/$CAMP?" "/v2/campaign/no-such-campaign?" "/v2/forensics?campaignId=$CAMP" | sort)"

# re-run: nothing twice
act gc2 get-campaign "$req" --state "$STATE"
jq_is gc2 '[.insights[].new, .entities[].new]' '[false,false]'
jq_is gc2 .case '{"stored":true,"new_entities":0,"new_insights":0}'
"$PPTAP" case show 20 --state "$STATE" --json >"$work/case20.json"
jq_is case20 '[(.insights | length), (.entities | length), .insights[0].action]' '[1,1,"Get Campaign"]'
"$PPTAP" case show 20 --state "$STATE" >"$work/case20.txt"
grep -q "Related Actors: $ACTORS" "$work/case20.txt" && ok || fail "case show text: $(head -c 400 "$work/case20.txt")"
"$PPTAP" case list --state "$STATE" --json >"$work/cases.json"
jq -s -c '[.[] | [.case_id, .entities, .insights]]' "$work/cases.json" >"$work/cases.got"
eq "case list" "$(cat "$work/cases.got")" '[["10",4,0],["20",1,1]]'

# none found: completed, result false
reset_sim
act gcnone get-campaign '{"parameters": {"Campaign ID": "nope-1,nope-2", "Fetch Forensics Info": false}}'
rc_is gcnone 0
jq_is gcnone .execution_state completed
jq_is gcnone .result_value false
jq_is gcnone .output_message "No information about provided campaigns was found."
# identifiers are percent-encoded in paths
G=-v act gcenc get-campaign '{"parameters": {"Campaign ID": "a/b c?d", "Fetch Forensics Info": "false"}}'
grep -q "GET $BASE/v2/campaign/a%2Fb%20c%3Fd " "$work/gcenc.err" && ok || fail "campaign id not encoded: $(grep '> GET' "$work/gcenc.err")"

# parameter errors: no request is made
reset_sim
act gcmiss get-campaign '{"parameters": {"Create Insight": true}}'
rc_is gcmiss 64
jq_is gcmiss .output_message 'Error executing action ProofPointTAP - Get Campaign. Reason: Missing mandatory parameter "Campaign ID".'
act gcrange get-campaign '{"parameters": {"Campaign ID": "x", "Max Forensics Evidence To Return": "1001"}}'
rc_is gcrange 64
jq_is gcrange .output_message 'Error executing action ProofPointTAP - Get Campaign. Reason: Invalid value provided for the parameter "Max Forensics Evidence To Return": 1001. It should be in range from 1 to 1000.'
act gcbool get-campaign '{"parameters": {"Campaign ID": "x", "Create Insight": "yes"}}'
rc_is gcbool 64
act gcfilter get-campaign '{"parameters": {"Campaign ID": "x", "Forensic Evidence Type Filter": "url, smell"}}'
rc_is gcfilter 64
jq_true gcfilter '.output_message | contains("\"smell\". Possible values: attachment, cookie, dns")'
act gcunk get-campaign '{"parameters": {"Campaign": "x"}}'
rc_is gcunk 64
act gcfield get-campaign '{"params": {}}'
rc_is gcfield 64
eq "parameter errors: no request" "$(total_reqs)" 0

# 401
reset_sim
PPTAP_SECRET=wrong act gc401 get-campaign "{\"parameters\": {\"Campaign ID\": \"$CAMP\"}}"
rc_is gc401 77
jq_true gc401 '.output_message | startswith("Error executing action ProofPointTAP - Get Campaign. Reason: campaign")'

# 429 on the second campaign: the first one's rows are not reported
reset_sim
admin_post "pools?campaign=1&reset=1"
act gc429 get-campaign "$(jq -nc --arg c "$CAMP, no-such-campaign" '{case_id: "21", parameters: {"Campaign ID": $c}}')" --state "$STATE"
throttled gc429 campaign
jq_true gc429 '.output_message | startswith("Error executing action ProofPointTAP - Get Campaign. Reason: campaign \"no-such-campaign\": ")'
eq "get campaign 429: the first campaign was read" "$(received | sort)" \
    "$(printf '%s\n' "/v2/campaign/$CAMP?" "/v2/campaign/no-such-campaign?" "/v2/forensics?campaignId=$CAMP" | sort)"
"$PPTAP" case show 21 --state "$STATE" --json >"$work/case21.json"
jq_is case21 '[(.insights | length), (.entities | length)]' '[0,0]'
admin_post "pools?campaign=0&reset=1"

# An answer that does not parse is a protocol error (76), not the caller's
# bad data (65)
reset_sim
admin_post "faults?clear=1&badjson=1"
act gcbadjson get-campaign "{\"parameters\": {\"Campaign ID\": \"$CAMP\"}}"
rc_is gcbadjson 76
jq_is gcbadjson .execution_state failed
jq_true gcbadjson '.output_message | startswith("Error executing action ProofPointTAP - Get Campaign. Reason: campaign")'
admin_post "faults?clear=1"

# ------------------------------------------------------------------------
# Get Threat Forensics
THREAT=$(jq -r '.campaignMembers[0].id' "$work/camp.json")
reset_sim
act tf get-threat-forensics "{\"parameters\": {\"Threat ID\": \"$THREAT, $THREAT\", \"Include Campaign Forensics\": \"true\", \"Max Results To Return\": 2}}"
rc_is tf 0
jq_is tf .output_message "Successfully returned forensics for the following threats in Proofpoint TAP: $THREAT"
jq_true tf '[.json_result[] | .forensics | length <= 2] | all'
jq_true tf '[.json_result[] | .scope] | (index("THREAT") != null) and (index("CAMPAIGN") != null)'
eq "threat forensics: one request, lower-case boolean" "$(received)" "/v2/forensics?threatId=$THREAT&includeCampaignForensics=true"
reset_sim
act tfbad get-threat-forensics "{\"parameters\": {\"Threat ID\": \"bogus1,$THREAT,bogus2\"}}"
rc_is tfbad 64
jq_is tfbad .execution_state failed
jq_is tfbad .output_message 'Error executing action "ProofPointTAP - Get Threat Forensics". Reason: the following threat IDs are invalid: bogus1, bogus2. Please check the spelling.'
jq_is tfbad '[.json_result, .data_tables]' '[null,[]]'
# after an invalid id the others are asked only to name every invalid one:
# one request per id, never more
eq "threat forensics, invalid ids: one request per id" "$(received)" "$(printf '%s\n' \
    "/v2/forensics?threatId=bogus1" "/v2/forensics?threatId=$THREAT" "/v2/forensics?threatId=bogus2")"
# 429: stops at once, and names the invalid ids found before it
reset_sim
admin_post "pools?forensics=1&reset=1"
act tf429 get-threat-forensics "{\"parameters\": {\"Threat ID\": \"bogus1,$THREAT,bogus2\"}}"
throttled tf429 forensics
jq_true tf429 ".output_message | startswith(\"Error executing action \\\"ProofPointTAP - Get Threat Forensics\\\". Reason: forensics of threat \\\"$THREAT\\\": $THROTTLED\")"
jq_true tf429 '.output_message | endswith("; the following threat IDs are invalid as well: bogus1. Please check the spelling.")'
eq "threat forensics 429: stopped at the throttled id" "$(admin "requests?last=10" | jq -r '.requests[] | "\(.query) \(.status)"')" \
    "$(printf '%s\n' "threatId=bogus1 404" "threatId=$THREAT 429")"
reset_sim
admin_post "pools?forensics=1&reset=1"
act tf429b get-threat-forensics "{\"parameters\": {\"Threat ID\": \"$THREAT,bogus1\"}}"
throttled tf429b forensics
eq "threat forensics 429: one request" "$(total_reqs)" 2
admin_post "pools?forensics=0&reset=1"
act tfrange get-threat-forensics '{"parameters": {"Threat ID": "x", "Max Results To Return": "0"}}'
rc_is tfrange 64

# ------------------------------------------------------------------------
# Get Campaign Forensics
reset_sim
act cf get-campaign-forensics "{\"parameters\": {\"Campaign ID\": \"$CAMP,nope,$EMPTY\", \"Forensic Evidence Type Filter\": \"screenshot\", \"Max Results To Return\": \"3\"}}"
rc_is cf 0
jq_is cf .result_value true
jq_is cf .output_message "Successfully returned forensics for the following campaigns in Proofpoint TAP: $CAMP
No forensics were found for the following campaigns in Proofpoint TAP: $EMPTY
Action wasn't able to find the following campaigns in Proofpoint TAP: nope"
jq_is cf '[.json_result[].forensics[]] | length' 3
jq_true cf '[.json_result[].forensics[].type] | all(. == "screenshot")'
jq_is cf '.data_tables[0].rows | length' 3
# 429 on the second campaign
reset_sim
admin_post "pools?forensics=1&reset=1"
act cf429 get-campaign-forensics "{\"parameters\": {\"Campaign ID\": \"$CAMP,$EMPTY\"}}"
throttled cf429 forensics
jq_true cf429 ".output_message | startswith(\"Error executing action \\\"ProofPointTAP - Get Campaign Forensics\\\". Reason: \")"
eq "campaign forensics 429: the first campaign answered, the second throttled" \
    "$(admin "requests?last=10" | jq -r '.requests[] | "\(.query) \(.status)"')" \
    "$(printf '%s\n' "campaignId=$CAMP 200" "campaignId=$EMPTY 429")"
admin_post "pools?forensics=0&reset=1"

# ------------------------------------------------------------------------
# List Campaigns: day slices, newest first
reset_sim
act lc list-campaigns '{"parameters": {"Time Frame": "Last Week", "Max Results To Return": "1000"}}'
rc_is lc 0
jq_is lc .output_message "Successfully returned campaigns from Proofpoint TAP."
eq "list campaigns: 7 day slices" "$(received | sed 's/&size.*//')" "$(printf '%s\n' \
    '/v2/campaign/ids?interval=2026-03-03T12%3A00%3A00Z%2F2026-03-04T12%3A00%3A00Z' \
    '/v2/campaign/ids?interval=2026-03-02T12%3A00%3A00Z%2F2026-03-03T12%3A00%3A00Z' \
    '/v2/campaign/ids?interval=2026-03-01T12%3A00%3A00Z%2F2026-03-02T12%3A00%3A00Z' \
    '/v2/campaign/ids?interval=2026-02-28T12%3A00%3A00Z%2F2026-03-01T12%3A00%3A00Z' \
    '/v2/campaign/ids?interval=2026-02-27T12%3A00%3A00Z%2F2026-02-28T12%3A00%3A00Z' \
    '/v2/campaign/ids?interval=2026-02-26T12%3A00%3A00Z%2F2026-02-27T12%3A00%3A00Z' \
    '/v2/campaign/ids?interval=2026-02-25T13%3A00%3A00Z%2F2026-02-26T12%3A00%3A00Z')"
jq_true lc '(.json_result.campaigns | map(.id) | unique | length) == (.json_result.campaigns | length)'
jq_true lc '.json_result.campaigns | length > 3'
# the cap stops early: 2 campaigns from the first day only
reset_sim
act lc2 list-campaigns '{"parameters": {"Time Frame": "Last Week", "Max Results To Return": 2}}'
jq_is lc2 '.json_result.campaigns | length' 2
eq "list campaigns: one request for 2" "$(pool_used campaign-ids)" 1
act lccust list-campaigns '{"parameters": {"Time Frame": "Custom"}}'
rc_is lccust 64
jq_is lccust .output_message 'Error executing action "ProofPointTAP - List Campaigns". Reason: Start Time is required for custom time frame.'
act lcst list-campaigns '{"parameters": {"Start Time": "2026-03-04T00:00:00Z"}}'
rc_is lcst 64
jq_true lcst '.output_message | contains("Please select \"Custom\" in \"Time Frame\"")'
act lcframe list-campaigns '{"parameters": {"Time Frame": "Yesterday"}}'
rc_is lcframe 64
jq_true lcframe '.output_message | endswith("Possible values: Last Hour, Last 6 Hours, Last 24 Hours, Last Week, Custom.")'

# 429: the campaign-ids pool shrunk to 2; with a store, the ledger says when it frees
reset_sim
admin_post "pools?campaign-ids=2&reset=1"
act lc429 list-campaigns '{"parameters": {"Time Frame": "Last Week", "Max Results To Return": "1000"}}' --state "$STATE"
rc_is lc429 75
jq_is lc429 .execution_state failed
jq_true lc429 '.output_message | contains("The user has made too many requests over the past 24 hours and has been throttled. The campaign-ids pool (50 requests per rolling 24 hours) is exhausted")'
jq_true lc429 '.output_message | contains("the request ledger holds 3 requests in this pool in the last 24 hours; the oldest ages out, freeing a request, at 2026-03-05T12:00:00Z")'
jq_is lc429 '[.data_tables, .insights, .entities]' '[[],[],[]]'
act lc429b list-campaigns '{"parameters": {"Time Frame": "Last Hour"}}'
rc_is lc429b 75
jq_true lc429b '.output_message | contains("when a request frees up is unknown")'
admin_post "pools?campaign-ids=50&reset=1"

# ------------------------------------------------------------------------
# Get Threat Summary (not throttled)
reset_sim
act ts get-threat-summary "{\"parameters\": {\"Threat ID\": \"$THREAT,nope\"}}"
rc_is ts 0
jq_is ts .output_message "Successfully returned threat summaries for the following threats in Proofpoint TAP: $THREAT
Action wasn't able to find the following threats in Proofpoint TAP: nope"
jq_is ts '.json_result[0].id' "$THREAT"
jq_is ts '.data_tables[0].rows[0][0]' "$THREAT"
eq "threat summary: no throttled pool" "$(admin pools | jq '[.[] | .requests] | add')" 0

# ------------------------------------------------------------------------
# List VAPs / List Top Clickers
reset_sim
act vap list-vaps '{"parameters": {"Window": 90, "Size": "3", "Page": "2"}}'
rc_is vap 0
jq_is vap '.data_tables[0].rows | length' 3
jq_true vap '.output_message | startswith("Successfully returned 3 of ")'
act tc list-top-clickers '{"parameters": {"Window": "14", "Size": 2}}'
rc_is tc 0
jq_is tc '.data_tables[0].columns[6]' "Click Count"
eq "people: queries" "$(received)" "$(printf '%s\n' '/v2/people/vap?window=90&size=3&page=2' '/v2/people/top-clickers?window=14&size=2&page=1')"
act tcbig list-top-clickers '{"parameters": {"Size": 201}}'
rc_is tcbig 64
act vapw list-vaps '{"parameters": {"Window": "7"}}'
rc_is vapw 64
# 429: the vap pool (50 a day) and the top-clickers pool spent
reset_sim
spend vap "/v2/people/vap?window=30"
act vap429 list-vaps '{"parameters": {"Window": 30}}'
throttled vap429 vap
jq_true vap429 '.output_message | startswith("Error executing action \"ProofPointTAP - List VAPs\". Reason: ")'
spend top-clickers "/v2/people/top-clickers?window=30"
act tc429 list-top-clickers '{"parameters": {"Window": 30}}'
throttled tc429 top-clickers
admin_post "pools?vap=50&top-clickers=0&reset=1"

# ------------------------------------------------------------------------
# the secret is nowhere
if grep -rqF -- "$SECRET" "$work"/*.json "$work"/*.err "$STATE" 2>/dev/null; then
    fail "the secret was written to an output or the store"
else
    ok
fi

finish "actions: %checks checks, %failures failures"
