#!/usr/bin/env bash
# Runs each fuzz target for a bounded time (SECONDS_PER_TARGET, default 60)
# on seeds from docs/ and the README, and prints what it found. Needs a
# nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`); not part of
# .ci/run, whose robustness tests run the same targets deterministically.
set -euo pipefail
cd "$(dirname "$0")"
SECS=${SECONDS_PER_TARGET:-60}
mkdir -p corpus/decode_frame corpus/verify_token corpus/parse_config
# Seeds: the documented client frames, a valid-looking token, the README's config.
awk '/^```json client$/{f=1;n++;next} /^```$/{f=0} f{print > ("corpus/decode_frame/doc-" n ".json")}' ../docs/protocol.md
printf '%s' 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsInJvbGUiOiJjdXN0b21lciIsImV4cCI6OTk5OTk5OTk5OX0.c2ln' > corpus/verify_token/seed
awk '/^```toml$/{f=1;next} /^```$/{if(f)exit} f{print}' ../README.md > corpus/parse_config/readme.toml
for target in decode_frame verify_token parse_config; do
  echo "== $target ($SECS s)"
  cargo +nightly fuzz run "$target" "corpus/$target" -- -max_total_time="$SECS" 2>&1 | grep -E "^(#[0-9]+.*DONE|Done|==[0-9]+==|SUMMARY|INFO: (Loaded|seed corpus))" || true
  echo "corpus: $(ls "corpus/$target" | wc -l) inputs; crashes: $(ls artifacts/"$target" 2>/dev/null | wc -l)"
done
