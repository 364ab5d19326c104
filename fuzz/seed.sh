#!/usr/bin/env bash
# Seeds each fuzz target's corpus from the repository's real inputs: the connectors' recorded
# payloads (each one minified to a line, once per format byte that reads it and once for
# auto), the example streams, the example campaign files, signed webhook bodies.
set -euo pipefail
cd "$(dirname "$0")"
root=..
corpus=corpus
mkdir -p "$corpus/normalize" "$corpus/campaign_file" "$corpus/webhook_signature"
# The format byte: index in fuzz_targets/normalize.rs FORMATS.
declare -A byte=([auto]=0 [x]=1 [mastodon]=2 [bluesky]=3 [messenger]=4 [google]=5 [trustpilot]=6 [generic]=7)
n=0
for dir in "$root"/crates/connectors/fixtures/*/; do
  platform=$(basename "$dir")
  for f in "$dir"*.json "$dir"*.jsonl; do
    [ -f "$f" ] || continue
    while IFS= read -r line; do
      [ -n "$line" ] || continue
      for fmt in auto "$platform"; do
        b=${byte[$fmt]:-0}
        { printf "\\x$(printf %02x "$b")"; printf '%s' "$line"; } > "$corpus/normalize/seed-$n"
        n=$((n + 1))
      done
    done < <(python3 -c 'import json,sys
text=open(sys.argv[1]).read()
try:
    print(json.dumps(json.loads(text), ensure_ascii=False))
except ValueError:
    print(text)' "$f")
  done
done
for f in "$root"/examples/stream.jsonl "$root"/examples/demo/stream.jsonl; do
  while IFS= read -r line; do
    { printf '\x00'; printf '%s' "$line"; } > "$corpus/normalize/seed-$n"; n=$((n + 1))
    { printf '\x07'; printf '%s' "$line"; } > "$corpus/normalize/seed-$n"; n=$((n + 1))
  done < <(head -n 200 "$f")
done
cp "$root"/examples/campaigns/*/*.toml "$corpus/campaign_file/"
i=0
for f in "$corpus"/normalize/seed-*; do
  [ $i -lt 50 ] || break
  { printf 'sha256=AAAA\n'; tail -c +2 "$f"; } > "$corpus/webhook_signature/seed-$i"
  i=$((i + 1))
done
echo "seeded: $(ls "$corpus/normalize" | wc -l) lines, $(ls "$corpus/campaign_file" | wc -l) campaigns, $i webhook bodies"
