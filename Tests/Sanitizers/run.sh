#!/usr/bin/env bash
# Runs the test suite under a sanitizer, in a build folder of its own:
#
#   Tests/Sanitizers/run.sh address   # AddressSanitizer (and LeakSanitizer at exit)
#   Tests/Sanitizers/run.sh thread    # ThreadSanitizer
#
# A first build compiles every package with the sanitizer (about 15 minutes on 2 cores), which
# is why CI does not run it. Extra arguments go to `swift test` (e.g. --filter FaultTests).
set -euo pipefail
cd "$(dirname "$0")/../.."
sanitizer=${1:?address or thread}
shift
# Also for the gateway processes the tests start, which inherit the environment.
export LSAN_OPTIONS="suppressions=$PWD/Tests/Sanitizers/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export ASAN_OPTIONS="suppressions=$PWD/Tests/Sanitizers/asan.supp${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
swift test --sanitize="$sanitizer" --scratch-path ".build-$sanitizer" "$@"
