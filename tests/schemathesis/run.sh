#!/usr/bin/env bash
# Schemathesis against the real server: `palabre serve --sandbox` with the demo configuration on
# a fresh store, an admin's API token, one conversation to act on; every check of
# schemathesis.toml, for SECONDS (default 120). Fails on any 5xx, any response that breaks the
# OpenAPI document, any schema-violating request taken. Usage: run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-120}"
bin="${PALABRE_BIN:-target/debug/palabre}"
[ -x "$bin" ] || { echo "no $bin: build it first (cargo build)" >&2; exit 2; }
command -v st >/dev/null || { echo "schemathesis is not installed (pip install schemathesis)" >&2; exit 2; }

work=$(mktemp -d)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

"$bin" serve --listen 127.0.0.1:0 --store "$work/palabre.db" --config examples/demo/palabre.toml \
    --sandbox >"$work/out" 2>"$work/err" &
server=$!
url=""
for _ in $(seq 1 100); do
  url=$(sed -n 's/^listening on //p' "$work/out" | head -n1)
  [ -n "$url" ] && break
  sleep 0.2
done
[ -n "$url" ] || { echo "the server did not start:" >&2; cat "$work/err" >&2; exit 1; }

# A long random name: the fuzzer does not stumble on it (and the routes that could take its
# own access away — revoke its token, disable or demote it — are left out below).
admin="schemathesis-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
printf 'correct horse battery staple\n' | "$bin" admin create "$admin" --role admin --password-stdin \
    --store "$work/palabre.db" >/dev/null
token=$("$bin" admin token "$admin" --store "$work/palabre.db")
# Something to act on: a conversation (x:st-1) the operations on /api/conversations/{id} find.
curl -sf -X POST "$url/api/events" -H "Authorization: Bearer $token" -H 'Content-Type: application/x-ndjson' \
    --data-binary '{"platform":"x","id":"st-1","text":"@lumiere_tr mon train est annulé","mentions":["lumiere_tr"],"author":{"id":"77","handle":"st"}}' >/dev/null

export SCHEMATHESIS_HOOKS=hooks PYTHONPATH="tests/schemathesis${PYTHONPATH:+:$PYTHONPATH}"
st --config-file tests/schemathesis/schemathesis.toml run "$url/api/openapi.json" \
    -H "Authorization: Bearer $token" --max-time "$seconds" --workers 2 \
    --phases examples,coverage,fuzzing --exclude-path /api/stream \
    --exclude-path-regex '/api/admin/users/\{name\}/(tokens/\{id\}/revoke|disabled|access)' \
    --seed "${SCHEMATHESIS_SEED:-$RANDOM}"
