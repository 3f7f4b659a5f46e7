#!/usr/bin/env bash
# Runs the Autobahn|Testsuite client cases through a release build of wsgate.
#   Tests/Conformance/run.sh quick    # all cases but 9.*, 12.*, 13.* (about 250)
#   Tests/Conformance/run.sh full     # all 517 cases, with permessage-deflate offered
# Sets the suite up on first use (shared/conformance/autobahn beside this repository, or
# AUTOBAHN_SETUP), starts the fuzzing server and the gateway on loopback, and stops both.
set -euo pipefail
MODE=${1:-quick}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BASE=${AUTOBAHN_BASE:-/tmp/autobahn}
SETUP=${AUTOBAHN_SETUP:-$ROOT/../shared/conformance/autobahn/setup.sh}
GATEWAY_PORT=${GATEWAY_PORT:-18787}

if [ ! -x "$BASE/venv/bin/wstest" ]; then
  BASE="$BASE" bash "$SETUP" > "$BASE.setup.log" 2>&1 || { tail -30 "$BASE.setup.log"; exit 1; }
fi
(cd "$ROOT" && swift build -c release --product wsgate > /dev/null)
WSGATE="$(cd "$ROOT" && swift build -c release --show-bin-path)/wsgate"

WORK=$(mktemp -d)
cp "$BASE/work/spec-$MODE.json" "$WORK/spec.json"
cd "$WORK"
"$BASE/venv/bin/wstest" -m fuzzingserver -s spec.json -u 0 > server.log 2>&1 &
SERVER=$!
"$WSGATE" --listen "127.0.0.1:$GATEWAY_PORT" --log-level warning > gateway.log 2>&1 &
GATEWAY=$!
# Stops both, and removes the work directory (the suite's and the gateway's logs, the reports)
# unless the run failed. Under `set -e` a failing command would end the trap early, hence `|| true`.
finish() {
  local status=$?
  kill $SERVER $GATEWAY 2>/dev/null || true
  wait $SERVER $GATEWAY 2>/dev/null || true
  if [ "$status" -eq 0 ]; then rm -rf "$WORK"; else echo "logs and reports kept in $WORK" >&2; fi
}
trap finish EXIT
for _ in $(seq 1 100); do
  (exec 3<>/dev/tcp/127.0.0.1/9001) 2>/dev/null && (exec 3<>/dev/tcp/127.0.0.1/$GATEWAY_PORT) 2>/dev/null && break
  sleep 0.2
done
# The full run offers compression, which the 12.* and 13.* cases need; other cases decline it.
[ "$MODE" = full ] && COMPRESSION=${COMPRESSION:-1}
python3 "$ROOT/Tests/Conformance/driver.py" --gateway-port "$GATEWAY_PORT" --report "$WORK/reports/clients/index.json" \
  ${COMPRESSION:+--compression}
