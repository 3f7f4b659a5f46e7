#!/usr/bin/env bash
# Fuzzes the gateway's parsers with libFuzzer and AddressSanitizer, each target for SECONDS
# (default 60), starting from the committed corpus in Tests/Fuzz/Corpus/<target>.
#
#   Tests/Fuzz/run.sh [SECONDS] [TARGET...]
#
# Targets: json send-body connection-config frames inflater http-request
# upstream-handshake (all by default).
# Inputs libFuzzer finds go to .build-fuzz/corpus/<target>; a crash is written to
# Tests/Fuzz/Crashes/<target>-crash-… and fails the run: add it to the corpus once fixed,
# where `swift test` (CorpusTests) replays it. Exits non-zero on any crash.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(json send-body connection-config frames inflater http-request upstream-handshake)

swift build -c release --product wsgate-fuzz --scratch-path .build-fuzz \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -enable-testing
binary=.build-fuzz/release/wsgate-fuzz
mkdir -p Tests/Fuzz/Crashes
for target in "${targets[@]}"; do
  mkdir -p ".build-fuzz/corpus/$target"
  echo "== $target: ${seconds} s"
  WSGATE_FUZZ_TARGET=$target "$binary" -max_total_time="$seconds" -max_len=16384 -timeout=10 -rss_limit_mb=4096 \
    -print_final_stats=1 -artifact_prefix="Tests/Fuzz/Crashes/$target-" \
    ".build-fuzz/corpus/$target" "Tests/Fuzz/Corpus/$target" 2>&1 \
    | grep -E "^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==ERROR|SUMMARY)|Done [0-9]+ runs|crash|deadly" || true
  [ -z "$(ls -A Tests/Fuzz/Crashes 2>/dev/null | grep "^$target-" || true)" ] || { echo "$target: crash found"; exit 1; }
done
