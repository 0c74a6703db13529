#!/usr/bin/env bash
# Serve the built site on the loopback interface and check it in headless Chromium: every
# page (check_site.mjs), every slide deck (check_slides.mjs), then the PDF with poppler
# (check_pdf.py). All three run; the script fails if any of them does.
set -uo pipefail
cd "$(dirname "$0")/../.."
html=_build/html
shots=artifacts/screenshots
[ -f "$html/index.html" ] || { echo "No built site in $html: run 'make book' first."; exit 1; }
if ! command -v pdftoppm >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null
    else
        echo "pdftoppm is missing: install poppler-utils (apt-get install poppler-utils)."; exit 1
    fi
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$html" >/dev/null 2>&1 &
server=$!
trap 'kill $server' EXIT
sleep 1
status=0
start=$(date +%s)
node tests/site/check_site.mjs "http://127.0.0.1:$port" "$html" "$shots" || status=1
pages=$(date +%s)
node tests/site/check_slides.mjs "http://127.0.0.1:$port" "$html" "$shots" || status=1
slides=$(date +%s)
"${PYTHON:-.venv/bin/python}" tests/site/check_pdf.py "$html/lecture9-convnets.pdf" "$html/_print/manifest.json" "$shots" || status=1
done=$(date +%s)
echo "site check timings: pages $((pages - start)) s, slides $((slides - pages)) s, PDF $((done - slides)) s"
exit $status
