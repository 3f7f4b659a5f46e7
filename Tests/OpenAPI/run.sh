#!/usr/bin/env bash
# Checks the OpenAPI document against the live gateway: validates the document the gateway
# serves with openapi-spec-validator, then runs schemathesis (every check but one, see
# schemathesis.toml) with positive and negative cases against it, to zero failures.
#
# The gateway runs in a network namespace of its own with only loopback (unshare -n, as root),
# so that the upstream URLs schemathesis makes up are never reached outside this machine.
# Uses the debug build (`swift build` first); installs its Python tools into .build/python-openapi.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ "${WSGATE_IN_NAMESPACE:-}" != 1 ]; then
  unshare -n true 2>/dev/null || { echo "Tests/OpenAPI/run.sh needs unshare -n (root) to keep the gateway off the network." >&2; exit 1; }
  venv=.build/python-openapi
  [ -x "$venv/bin/schemathesis" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install --quiet schemathesis openapi-spec-validator; }
  exec unshare -n env WSGATE_IN_NAMESPACE=1 PATH="$PWD/$venv/bin:$PATH" "$0" "$@"
fi

ip link set lo up
wsgate=$(swift build --show-bin-path)/wsgate
port=8787
"$wsgate" --listen 127.0.0.1:$port --log-level error &
gateway=$!
document=$(mktemp --suffix .json)
trap 'kill $gateway 2>/dev/null || true; rm -f "$document"' EXIT
curl -s --retry 50 --retry-connrefused --retry-delay 0 -o /dev/null http://127.0.0.1:$port/healthz
curl -s http://127.0.0.1:$port/openapi.json -o "$document"
openapi-spec-validator "$document"
schemathesis --config-file Tests/OpenAPI/schemathesis.toml run http://127.0.0.1:$port/openapi.json \
  --checks all --exclude-checks positive_data_acceptance --max-examples 100
