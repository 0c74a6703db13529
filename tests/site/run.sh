#!/usr/bin/env bash
# Serve the built site on the loopback interface and check it in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/../.."
html=_build/html
[ -f "$html/index.html" ] || { echo "No built site in $html: run 'make book' first."; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$html" >/dev/null 2>&1 &
server=$!
trap 'kill $server' EXIT
sleep 1
node tests/site/check_site.mjs "http://127.0.0.1:$port" "$html" artifacts/screenshots
