#!/bin/bash
# Interoperability: the official MCP TypeScript SDK client against pptap mcp.
#
# Usage: run.sh PPTAP PPTAP_SIM WORKDIR
#
# Installs the SDK (package.json beside this script, exact versions) with npm
# into WORKDIR (in the build tree; node_modules is never committed), starts
# pptap-sim on port 0 and runs client.mjs. Without node, npm or the registry
# the test fails: it never skips.
set -u
PPTAP=$1
SIM=$2
WORK=$3
HERE=$(cd "$(dirname "$0")" && pwd)

for tool in node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "FAIL: $tool is not installed (scripts/install-deps installs nodejs and npm)"
        exit 1
    fi
done

mkdir -p "$WORK"
cp "$HERE/package.json" "$HERE/client.mjs" "$WORK/"
# Install unless the pinned versions are already there.
want_sdk=$(node -e 'console.log(require(process.argv[1]).dependencies["@modelcontextprotocol/sdk"])' \
    "$WORK/package.json")
have_sdk=$(node -e 'try{console.log(require(process.argv[1]).version)}catch(e){}' \
    "$WORK/node_modules/@modelcontextprotocol/sdk/package.json" 2>/dev/null)
if [ "$have_sdk" != "$want_sdk" ] || [ ! -f "$WORK/node_modules/ajv/dist/2020.js" ] ||
    [ ! -d "$WORK/node_modules/ajv-formats" ]; then
    if ! (cd "$WORK" && npm install --no-audit --no-fund --loglevel=error >npm.log 2>&1); then
        echo "FAIL: npm install of @modelcontextprotocol/sdk $want_sdk failed:"
        tail -n 20 "$WORK/npm.log"
        exit 1
    fi
fi

tmp=$(mktemp -d)
sim_pid=
cleanup() {
    if [ -n "$sim_pid" ]; then
        kill "$sim_pid" 2>/dev/null
        wait "$sim_pid" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY PPTAP_PROXY PPTAP_CONFIG
SECRET='Int3rop-s3cret-4Wm'
PPTAP_SIM_PRINCIPAL=pptap-sim PPTAP_SIM_SECRET=$SECRET \
    "$SIM" --port 0 --port-file "$tmp/url" --seed 42 --start 2026-03-04T12:00:00Z --speed 0 \
    >"$tmp/sim.out" 2>"$tmp/sim.err" &
sim_pid=$!
for _ in $(seq 1 100); do
    [ -s "$tmp/url" ] && break
    sleep 0.05
done
if [ ! -s "$tmp/url" ]; then
    echo "FAIL: pptap-sim did not start"
    cat "$tmp/sim.err"
    exit 1
fi

export PPTAP_BASE_URL
PPTAP_BASE_URL=$(cat "$tmp/url")
export PPTAP_PRINCIPAL=pptap-sim PPTAP_SECRET=$SECRET PPTAP_NOW=2026-03-04T12:00:00Z
export NO_PROXY=127.0.0.1 no_proxy=127.0.0.1
cd "$WORK" && node client.mjs "$PPTAP"
