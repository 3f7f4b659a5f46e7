#!/usr/bin/env bash
# Builds wsgate in release mode and installs the binary, the default config and the systemd
# unit, then enables and starts the service. Run from anywhere as root:
#   sudo deploy/install.sh            PREFIX=/usr/local by default
set -euo pipefail

PREFIX=${PREFIX:-/usr/local}
cd "$(dirname "$0")/.."

swift build -c release --product wsgate
install -D -m 0755 "$(swift build -c release --show-bin-path)/wsgate" "$PREFIX/bin/wsgate"
# An existing config and token are the user's: keep them.
[ -e "$PREFIX/etc/wsgate/wsgate.yaml" ] || install -D -m 0644 config/wsgate.yaml "$PREFIX/etc/wsgate/wsgate.yaml"
[ -e "$PREFIX/etc/wsgate/token" ] || (umask 077 && "$PREFIX/bin/wsgate" token > "$PREFIX/etc/wsgate/token")
sed "s|/usr/local|$PREFIX|g" deploy/wsgate.service > /etc/systemd/system/wsgate.service
chmod 0644 /etc/systemd/system/wsgate.service
# Socket activation is optional: systemctl enable --now wsgate.socket
install -m 0644 deploy/wsgate.socket /etc/systemd/system/wsgate.socket

systemctl daemon-reload
systemctl enable --now wsgate.service
echo "wsgate is running: curl http://127.0.0.1:8787/healthz"
echo "API requests need its token: curl -H \"Authorization: Bearer \$(sudo cat $PREFIX/etc/wsgate/token)\" http://127.0.0.1:8787/connections"
