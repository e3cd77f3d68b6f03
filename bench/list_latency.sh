#!/usr/bin/env bash
# Paginated list latency with 10,000 objects in one organisation, on SQLite and
# on PostgreSQL: the API list and the matching HTML page, each loaded by wrk at
# 32 connections for 20 s on loopback. Goal (issue 2): p99 under 50 ms.
#
# usage: bench/list_latency.sh [postgres://…/postgres]   (PostgreSQL admin URL;
#        default postgres://postgres@127.0.0.1:5432/postgres; "none" skips it)
set -euo pipefail
cd "$(dirname "$0")/.."
PG_ADMIN=${1:-postgres://postgres@127.0.0.1:5432/postgres}
OBJECTS=${OBJECTS:-10000}
DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-32}
PORT=18281
PASSWORD='tawny-owl-pass-phrase'

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
cargo build --release -q
BIN=target/release/rampart
WORK=$(mktemp -d)
SERVER=
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT

run_backend() {
    local name=$1 url=$2
    export RAMPART_DATABASE_URL=$url RAMPART_LOG=warn
    $BIN org create Bench --kind provider >/dev/null
    echo -n "$PASSWORD" | $BIN user create bench@bench.example --org Bench --role admin --password-stdin >/dev/null
    local secret
    secret=$($BIN token create --user bench@bench.example --org Bench --name bench --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])')
    $BIN serve --addr 127.0.0.1:$PORT >/dev/null &
    SERVER=$!
    for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
    python3 bench/seed.py "http://127.0.0.1:$PORT" "$secret" "$OBJECTS"
    # Planner statistics as autovacuum would have them a minute later; without
    # them PostgreSQL plans the freshly filled tables as if they were empty.
    if [ "$name" = postgres ]; then psql "$url" -qc ANALYZE; fi
    local cookie
    cookie=$(curl -s -o /dev/null -D - -H 'Sec-Fetch-Site: same-origin' \
        --data-urlencode "email=bench@bench.example" --data-urlencode "password=$PASSWORD" \
        "http://127.0.0.1:$PORT/login" | sed -n 's/^set-cookie: \([^;]*\).*/\1/Ip')
    for target in "API /api/v1/tokens?limit=50|Authorization: Bearer $secret|/api/v1/tokens?limit=50" \
                  "HTML /settings/tokens|Cookie: $cookie|/settings/tokens" \
                  "API /api/v1/audit?limit=50|Authorization: Bearer $secret|/api/v1/audit?limit=50" \
                  "HTML /audit|Cookie: $cookie|/audit"; do
        IFS='|' read -r label header path <<<"$target"
        wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -H "$header" "http://127.0.0.1:$PORT$path" >"$WORK/wrk.txt"
        local rps p50 p99 non2xx
        rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt")
        p50=$(awk '$1=="50%" {print $2}' "$WORK/wrk.txt")
        p99=$(awk '$1=="99%" {print $2}' "$WORK/wrk.txt")
        non2xx=$(awk '/Non-2xx/ {print $5}' "$WORK/wrk.txt")
        printf '| %-10s | %-28s | %10s | %8s | %8s | %s\n' "$name" "$label" "$rps" "$p50" "$p99" "${non2xx:-0 errors}"
    done
    kill $SERVER; wait $SERVER 2>/dev/null || true
}

printf '| database   | list                         |  req/s     |   p50    |   p99    |\n'
run_backend sqlite "sqlite://$WORK/bench.db"
if [ "$PG_ADMIN" != none ]; then
    psql "$PG_ADMIN" -qc 'DROP DATABASE IF EXISTS rampart_bench WITH (FORCE)' -c 'CREATE DATABASE rampart_bench'
    run_backend postgres "${PG_ADMIN%/*}/rampart_bench"
fi
