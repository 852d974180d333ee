#!/bin/sh
# Lighthouse 12 (mobile) over the demo's five main pages: sign-in, the parent's feed, a notice, the
# class page and a notice's results. Starts the demo like `make run` (a fresh data folder, migrate,
# load_demo, collectstatic, uvicorn on 127.0.0.1 and a free port), signs in by session cookie
# (--extra-headers) and prints the four category scores of each page; the reports are left in
# $OUT (default var/lighthouse/). Needs `npm install` in this folder once (lighthouse from the
# registry) and Debian's Chromium: it never downloads a browser.
#   tools/lighthouse/run.sh            scores as a Markdown table (docs/benchmarks.md)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY="$ROOT/.venv/bin/python"
OUT=${OUT:-$ROOT/var/lighthouse}
CHROME_PATH=${CHROME_PATH:-/usr/bin/chromium}
export CHROME_PATH
LH="$HERE/node_modules/.bin/lighthouse"
[ -x "$LH" ] || { echo "Run 'npm install' in $HERE first." >&2; exit 2; }

DATA=$(mktemp -d)
export TONGXIN_DATA_DIR="$DATA" TONGXIN_DEMO=1
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cd "$ROOT"
"$PY" manage.py migrate --noinput -v 0
"$PY" manage.py load_demo >/dev/null
"$PY" manage.py collectstatic --noinput -v 0
"$ROOT/.venv/bin/uvicorn" tongxin.asgi:application --host 127.0.0.1 --port "$PORT" --lifespan off --log-level warning &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$DATA"' EXIT INT TERM
for _ in $(seq 50); do "$PY" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/accounts/login/')" 2>/dev/null && break; sleep 0.2; done

mkdir -p "$OUT"
echo "| page | performance | accessibility | best practices | SEO |"
echo "|---|---|---|---|---|"
"$PY" "$HERE/pages.py" | while IFS="$(printf '\t')" read -r name path session; do
  headers='{}'
  [ "$session" = "-" ] || headers="{\"Cookie\": \"sessionid=$session\"}"
  "$LH" "http://127.0.0.1:$PORT$path" --quiet --form-factor=mobile \
    --only-categories=performance,accessibility,best-practices,seo \
    --extra-headers="$headers" --output=json --output-path="$OUT/$name.json" \
    --chrome-flags="--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync" \
    >/dev/null 2>&1 || { echo "| $name | lighthouse failed | | | |"; continue; }
  "$PY" - "$OUT/$name.json" "$name" "$path" <<'PYEOF'
import json, sys
report = json.load(open(sys.argv[1]))
scores = [round(100 * report["categories"][c]["score"]) for c in ("performance", "accessibility", "best-practices", "seo")]
print(f"| {sys.argv[2]} (`{sys.argv[3]}`) | " + " | ".join(map(str, scores)) + " |")
PYEOF
done
