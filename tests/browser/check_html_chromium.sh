#!/bin/sh
# Renders `tristate compare --html` in headless Chromium: the DOM Chromium built must hold the
# matrix table, a differing cell and at least one SVG state diagram with its nodes; then, on a
# copy of each page with geometry.js added, what Chromium laid out is measured: no SVG text
# clipped or overlapping another (getBBox / getBoundingClientRect), every summary link lands
# on a row, every step's output is visible without hovering. A screenshot is kept in WORKDIR
# as the test's artifact.
# usage: check_html_chromium.sh TRISTATE COMPARE_FIXTURES WORKDIR
set -u
TRISTATE=$1 FIXTURES=$2 DIR=$3
HERE=$(cd "$(dirname "$0")" && pwd)
CHROMIUM=$(command -v chromium || command -v chromium-browser) || {
  echo "FAIL: chromium not found: apt-get install -y chromium"; exit 1; }
rm -rf "$DIR" && mkdir -p "$DIR" && "$FIXTURES" "$DIR" || exit 1
cd "$DIR"
"$TRISTATE" compare a.json b.json --html page.html >/dev/null
[ $? = 1 ] || { echo "FAIL: compare of differing reports did not exit 1"; exit 1; }
"$TRISTATE" compare busy-a.json busy-b.json busy-c.json --html busy.html >/dev/null
[ $? = 1 ] || { echo "FAIL: compare of the busy reports did not exit 1"; exit 1; }

run_chromium() {
  profile=$(mktemp -d "$DIR/profile.XXXXXX")
  timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$profile" "$@"
  rc=$?
  rm -rf "$profile"
  return $rc
}

run_chromium --dump-dom "file://$DIR/page.html" >dom.html 2>chromium-dom.log ||
  { echo "FAIL: chromium --dump-dom failed"; cat chromium-dom.log; exit 1; }
fail=0
check() {
  n=$(grep -o -- "$1" dom.html | wc -l)
  if [ "$n" -lt "$2" ]; then echo "FAIL: rendered DOM has $n × '$1', expected ≥ $2"; fail=1
  else echo "ok: $n × '$1'"; fi
}
check '<table class="matrix" id="matrix">' 1
check '<td class="diff mismatch"' 1
check '<svg xmlns="http://www.w3.org/2000/svg" class="state-diagram"' 1
check '<g class="node" data-state="absent">' 1
check '<g class="edge" data-from="0" data-to="-1">' 1
check '<nav class="differing">' 1

# measure: geometry.js appended to a copy of each page; its findings come back in the DOM
for page in page busy; do
  { sed '/^<\/body>/,$d' "$page.html"; echo "<script>"; cat "$HERE/geometry.js"; echo "</script></body></html>"; } \
    >"$page-measured.html"
  run_chromium --dump-dom "file://$DIR/$page-measured.html" >"$page-measured-dom.html" 2>>chromium-dom.log ||
    { echo "FAIL: chromium --dump-dom $page-measured.html failed"; exit 1; }
  sed -n '/<pre id="geometry">/,/<\/pre>/p' "$page-measured-dom.html" | sed '1d;$d' >"$page-geometry.txt"
  grep -q '^COUNT ' "$page-geometry.txt" || { echo "FAIL: $page: geometry.js did not run"; fail=1; continue; }
  echo "$page: $(grep '^COUNT ' "$page-geometry.txt")"
  if grep -v '^COUNT ' "$page-geometry.txt" | grep .; then echo "FAIL: $page: see the lines above"; fail=1; fi
  # every differing row is linked from the summary, and something was measured at all
  count() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" "$page-geometry.txt"; }
  [ "$(count summary_links)" = "$(count differing_rows)" ] && [ "$(count differing_rows)" -ge 1 ] ||
    { echo "FAIL: $page: $(count summary_links) summary links for $(count differing_rows) differing rows"; fail=1; }
  [ "$(count texts)" -ge 10 ] && [ "$(count visible_outputs)" -ge 1 ] ||
    { echo "FAIL: $page: too little measured"; fail=1; }
done

run_chromium --screenshot="$DIR/compare.png" --window-size=1280,2200 --hide-scrollbars \
  "file://$DIR/page.html" >chromium-shot.log 2>&1 ||
  { echo "FAIL: chromium --screenshot failed"; cat chromium-shot.log; exit 1; }
size=$(stat -c %s compare.png 2>/dev/null || echo 0)
[ "$size" -gt 10000 ] || { echo "FAIL: screenshot missing or empty ($size bytes)"; fail=1; }
echo "screenshot: $DIR/compare.png ($size bytes)"
run_chromium --screenshot="$DIR/busy.png" --window-size=1600,2600 --hide-scrollbars \
  "file://$DIR/busy.html" >>chromium-shot.log 2>&1 || true
exit $fail
