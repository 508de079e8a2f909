#!/bin/bash
# Guest-tier tests of the kernel lab: each case boots real Debian kernels under qemu through
# `tristate kernels …` and asserts what the user sees (exit status, message, payload) and that
# no qemu process is left behind. Usage: lab_cases.sh TRISTATE CASE [ARGS]
# The real cache (~/.cache/tristate, or $XDG_CACHE_HOME) is shared with the fetch fixture;
# failure cases run on a private copy so they can damage it freely.
set -u
TS=$1
CASE=$2
shift 2

fail() { echo "FAIL: $*" >&2; exit 1; }
WORK=$(mktemp -d /tmp/tristate-guest-test.XXXXXX)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
valid() {  # valid SCHEMA FILE: FILE validates against docs/SCHEMA.schema.json
  /usr/bin/python3 "$SRC/scripts/validate-json.py" "$SRC/docs/$1.schema.json" "$2" || fail "$2 is not valid $1 JSON"
}
trap 'rm -rf "$WORK"' EXIT

# The real cache root, as tristate itself computes it.
REAL_CACHE=$("$TS" kernels list | sed -n 's/^cache: //p')
[ -n "$REAL_CACHE" ] || fail "tristate kernels list printed no cache path"

# The cached package / kernel release of a series, from `tristate kernels list`'s table:
#   6.1     Debian 12 bookworm(-security)   linux-image-6.1.0-56-cloud-amd64 6.1.192-2 (6.1.0-56-cloud-amd64, 13.5 MiB)
cached_field() {  # SERIES 0=package 2=release
  "$TS" kernels list | awk -v s="$1" -v k="$2" '
    $1 == s { for (i = 2; i <= NF; i++) if ($i ~ /^linux-/) { f = $(i + k); gsub(/[(,]/, "", f); print f; exit } }'
}

# A private cache ($WORK/xdg/tristate) holding copies of the cached kernels of some series.
private_cache() {
  mkdir -p "$WORK/xdg/tristate/kernels"
  local s pkg
  for s in "$@"; do
    pkg=$(cached_field "$s" 0)
    [ -n "$pkg" ] || fail "series $s is not cached (the fetch fixture should have fetched it)"
    cp -r "$REAL_CACHE/kernels/$pkg" "$WORK/xdg/tristate/kernels/"
  done
}

# qemu processes that use a path under $1 (kernel or initrd): must be none after a run.
assert_no_qemu() {
  local left
  left=$(pgrep -f "qemu-system-x86_64.*$1" || true)
  [ -z "$left" ] || { ps -fp $left >&2; fail "qemu left running: $left"; }
}

# The same for a run on the shared cache, where other tests' guests may be running at the
# same time: only a qemu whose tristate is gone (reparented to init) was left behind.
assert_no_orphan_qemu() {
  local left
  left=$(pgrep -P 1 -f "qemu-system-x86_64.*$1" || true)
  [ -z "$left" ] || { ps -fp $left >&2; fail "qemu left running: $left"; }
}

# run CMD... : captures status, stdout, stderr and wall seconds
run() {
  local t0=$(date +%s%N)
  "$@" >"$WORK/out" 2>"$WORK/err"
  RC=$?
  SECS=$(( ($(date +%s%N) - t0) / 1000000000 ))
  OUT=$(cat "$WORK/out")
  ERR=$(cat "$WORK/err")
}
expect_rc() { [ "$RC" = "$1" ] || fail "exit status $RC, expected $1; stderr: $ERR; stdout: $OUT"; }
expect_err() { grep -qF -- "$1" "$WORK/err" || fail "stderr lacks '$1': $ERR"; }

case "$CASE" in
  fetch)  # fixture: the four series in the real cache (downloads when missing or outdated)
    run "$TS" kernels fetch 5.10 6.1 6.12 latest
    expect_rc 0
    echo "$OUT"
    ;;

  boot)  # boot SERIES: the guest runs this very tristate; status and payload come back
    S=$1
    private_cache "$S"  # its own paths, so the qemu check below sees only this test's guest
    run env XDG_CACHE_HOME="$WORK/xdg" "$TS" kernels boot "$S" --timeout 300 -- sh -c 'uname -r > /tmp/result; tristate --version >> /tmp/result; exit 7'
    expect_rc 7
    REL=$(echo "$OUT" | sed -n 1p)
    WANT=$(cached_field "$S" 2)
    [ "$REL" = "$WANT" ] || fail "guest uname -r '$REL', cached kernel of $S is '$WANT'"
    case "$S" in
      latest) case "$REL" in 5.10.*|6.1.*|6.12.*) fail "latest booted an old series: $REL";; esac ;;
      *) case "$REL" in "$S".*) ;; *) fail "series $S booted $REL";; esac ;;
    esac
    echo "$OUT" | sed -n 2p | grep -q "^tristate " || fail "tristate --version did not run in the guest: $OUT"
    # no result file: what the command printed is the output
    run env XDG_CACHE_HOME="$WORK/xdg" "$TS" kernels boot "$S" --timeout 300 -- uname -r
    expect_rc 0
    [ "$OUT" = "$WANT" ] || fail "kernels boot -- uname -r printed '$OUT', want '$WANT'"
    expect_err "boot "
    assert_no_qemu "$WORK"
    echo "$S: $REL in ${SECS}s"
    ;;

  verifier-stats)  # -vv: every loaded tracer program's verifier statistics, one line each
    S=$1
    run "$TS" kernels boot "$S" --timeout 300 -- sh -c 'tristate -vv quiz --no-state post-3 2>&1 | grep "verifier: " > /tmp/result'
    expect_rc 0
    n=$(echo "$OUT" | grep -cE '^tristate: trace: verifier: f(entry|exit)__[a-z0-9_]+: verification time [0-9]+ usec.*processed [0-9]+ insns')
    [ "$n" -ge 10 ] || fail "expected a statistics line per fentry/fexit program (>= 10), got $n: $OUT"
    echo "$OUT" | grep -q "verifier: fentry__inet_csk_get_port: " || fail "no statistics of fentry__inet_csk_get_port: $OUT"
    assert_no_orphan_qemu "$REAL_CACHE"
    echo "$S: $n programs"
    ;;

  panic)  # an init that exits: the kernel panics; the error says so and shows the console
    private_cache 6.1
    printf '#!/bin/busybox sh\necho bogus init exiting\nexit 3\n' > "$WORK/init"
    run env XDG_CACHE_HOME="$WORK/xdg" "$TS" kernels boot 6.1 --timeout 120 --init "$WORK/init"
    expect_rc 2
    expect_err "the guest kernel panicked"
    expect_err "Attempted to kill init"
    expect_err "bogus init exiting"
    assert_no_qemu "$WORK"
    ;;

  boot-panic)  # a panic before /init ran (not init exiting): booted once more, then reported
    private_cache 6.1
    printf '#!/bin/busybox sh\n/bin/busybox mkdir -p /proc\n/bin/busybox mount -t proc proc /proc\necho crashing on purpose\necho c > /proc/sysrq-trigger\n' > "$WORK/init"
    run env XDG_CACHE_HOME="$WORK/xdg" "$TS" kernels boot 6.1 --timeout 120 --init "$WORK/init"
    expect_rc 2
    expect_err "the guest kernel panicked"
    expect_err "sysrq triggered crash"
    expect_err "booting it once more"
    [ "$(grep -c 'booting linux-' "$WORK/err")" = 2 ] || fail "expected exactly two boots: $(cat "$WORK/err")"
    assert_no_qemu "$WORK"
    ;;

  hang)  # a guest that never finishes: killed at the timeout, with the console tail
    private_cache 6.1
    run env XDG_CACHE_HOME="$WORK/xdg" "$TS" kernels boot 6.1 --timeout 3 -- sleep 100000
    expect_rc 2
    expect_err "timed out after 3 s"
    expect_err "qemu killed"
    [ "$SECS" -lt 20 ] || fail "timeout of 3 s took ${SECS}s"
    assert_no_qemu "$WORK"
    ;;

  missing-package)  # a package the archive does not have: one clear line, exit 2
    run env XDG_CACHE_HOME="$WORK/xdg" "$TS" kernels fetch linux-image-6.1.0-999-cloud-amd64
    expect_rc 2
    expect_err "kernel package linux-image-6.1.0-999-cloud-amd64 not found"
    run env XDG_CACHE_HOME="$WORK/xdg" "$TS" kernels boot linux-image-6.1.0-999-cloud-amd64 -- true
    expect_rc 2
    expect_err "not found"
    assert_no_qemu "$WORK"
    ;;

  corrupt)  # a damaged vmlinuz: refetched when the mirror answers, else a clear error
    private_cache 6.1
    V=$(ls "$WORK"/xdg/tristate/kernels/*/vmlinuz)
    printf 'X' | dd of="$V" bs=1 seek=1000 conv=notrunc status=none
    printf 'Types: deb\nURIs: file:///nonexistent/debian\nSuites: bookworm\n\nTypes: deb\nURIs: file:///nonexistent/debian-security\nSuites: bookworm-security\n' > "$WORK/offline.sources"
    run env XDG_CACHE_HOME="$WORK/xdg" TRISTATE_DEBIAN_SOURCES="$WORK/offline.sources" "$TS" kernels boot 6.1 -- true
    expect_rc 2
    expect_err "corrupt kernel cache entry"
    expect_err "$V"
    expect_err "tristate kernels prune"
    expect_err "fetching it again failed"
    assert_no_qemu "$WORK"
    # with the machine's mirror the entry is fetched again and the guest boots
    run env XDG_CACHE_HOME="$WORK/xdg" "$TS" kernels boot 6.1 --timeout 300 -- sh -c 'uname -r > /tmp/result'
    expect_rc 0
    expect_err "fetching it again"
    echo "$OUT" | grep -q '^6\.1\.' || fail "refetched guest printed '$OUT'"
    assert_no_qemu "$WORK"
    ;;

  offline)  # a cached kernel needs no network: no apt lists, no mirror, no network namespace
    private_cache 6.12
    [ ! -e "$WORK/xdg/tristate/apt" ] || fail "private cache has apt lists"
    run env XDG_CACHE_HOME="$WORK/xdg" TRISTATE_DEBIAN_SOURCES=/nonexistent \
        unshare --net "$TS" kernels boot 6.12 --timeout 300 -- sh -c 'uname -r > /tmp/result'
    expect_rc 0
    echo "$OUT" | grep -q '^6\.12\.' || fail "offline guest printed '$OUT'"
    [ ! -e "$WORK/xdg/tristate/apt" ] || fail "apt ran for a cached kernel"
    assert_no_qemu "$WORK"
    ;;

  kvm-failure)  # qemu stops on "KVM internal error" and pauses: killed at once, reported
    private_cache 6.1
    mkdir -p "$WORK/bin"
    real=$(command -v qemu-system-x86_64)
    # a qemu whose KVM fails as kvm_pvm's did: the line, then silence with the output open
    printf '#!/bin/sh\ncase " $* " in *" -accel kvm "*) echo "Booting from ROM..."; echo "KVM internal error. Suberror: 1"; exec sleep 4242;; esac\nexec %s "$@"\n' "$real" > "$WORK/bin/qemu-system-x86_64"
    chmod +x "$WORK/bin/qemu-system-x86_64"
    run env XDG_CACHE_HOME="$WORK/xdg" PATH="$WORK/bin:$PATH" TRISTATE_ACCEL=kvm "$TS" kernels boot 6.1 --timeout 120 -- true
    expect_rc 2
    if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
      expect_err "KVM failed to run"
      expect_err "(TRISTATE_ACCEL=kvm)"
      [ "$SECS" -lt 30 ] || fail "a KVM failure took ${SECS}s to report"
      ! pgrep -f "sleep 4242" > /dev/null || fail "the paused qemu was left running"
    else
      expect_err "/dev/kvm cannot be opened"
    fi
    run env XDG_CACHE_HOME="$WORK/xdg" TRISTATE_ACCEL=hvf "$TS" kernels boot 6.1 -- true
    expect_rc 2
    expect_err "TRISTATE_ACCEL='hvf': use kvm, tcg or auto"
    ;;

  no-qemu)  # qemu missing: one line naming the package
    private_cache 6.1
    run env XDG_CACHE_HOME="$WORK/xdg" PATH=/nonexistent "$TS" kernels boot 6.1 -- true
    expect_rc 2
    expect_err "apt-get install qemu-system-x86"
    ;;

  bad-spec)
    run "$TS" kernels boot 6.2.x -- true
    expect_rc 2
    expect_err "unknown kernel spec '6.2.x'"
    expect_err "5.10, 6.1, 6.12, latest"
    # a well-formed version the mirror does not have: said with the minors it has
    run "$TS" kernels boot 6.2 -- true
    expect_rc 2
    expect_err "no Debian cloud kernel build of 6.2 on this machine's mirror"
    expect_err "6.17"
    ;;

  available)  # every build of the mirror, from the machine's own apt sources
    run "$TS" kernels available --json
    expect_rc 0
    python3 - "$WORK/out" <<'PY' || fail "kernels available --json: $OUT"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "tristate.kernels-available/1", d.get("schema")
b = d["kernels"]
vs = [x["version"] for x in b]
suites = {s for x in b for s in x["suites"]}
for want in ("5.10", "6.1", "6.12", "6.16", "6.17", "6.18", "7.2"):
    assert any(x["series"] == want for x in b), ("no build of", want, vs)
for want in ("bullseye-security", "bookworm-security", "trixie-backports", "sid"):
    assert want in suites, (want, suites)
assert all(x["package"].endswith("-cloud-amd64") for x in b)
print(len(b), "builds in", len(suites), "suites")
PY
    valid kernels-available "$WORK/out"
    # no mirror host name is ever written into what tristate prints
    HOSTS=$(sed -n 's#^URIs: *[a-z+]*://\([^/]*\).*#\1#p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | sort -u)
    for h in $HOSTS; do ! grep -qF "$h" "$WORK/out" || fail "mirror host $h in the output"; done
    # without any apt source: the way out is named
    run env TRISTATE_DEBIAN_SOURCES=/nonexistent TRISTATE_APT_SOURCES_LIST=/nonexistent XDG_CACHE_HOME="$WORK/xdg" "$TS" kernels available
    expect_rc 2
    expect_err "--kernel /path/to/vmlinuz"
    ;;

  bisect)  # a real bisect: release-between-connects changed with "tcp: Update bind bucket
    # state on port release" (d57f4b874946, 6.18), which Debian's 6.17.8 already carries as a
    # stable backport: measured 2026-12-06, 6.16.12 fails s4.connect() with EADDRNOTAVAIL and
    # 6.17.8 connects. A narrow range keeps CI to three kernels.
    run "$TS" bisect release-between-connects --from 6.16.3 --to 6.17.8 --json "$WORK/b.json"
    expect_rc 1
    echo "$OUT"
    python3 - "$WORK/b.json" <<'PY' || fail "bisect result: $(cat "$WORK/b.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["builds"] == 3 and r["boots"] == 3, r
(b,) = r["boundaries"]
assert (b["last_good"], b["first_bad"]) == ("6.16.12", "6.17.8"), b
steps = {(s["step"], s["last_good"], s["first_bad"]) for s in b["steps"]}
assert any(g == "EADDRNOTAVAIL" and f == "ok" for _, g, f in steps), steps
log = [l["text"] for l in b["changelog"]]
assert "tcp: Update bind bucket state on port release" in log, log[:20]
assert all(l["version"].startswith("6.17") for l in b["changelog"]), b["changelog"][:5]
PY
    valid bisect "$WORK/b.json"
    echo "$OUT" | grep -qF "first different: 6.17.8" || fail "no boundary line: $OUT"
    assert_no_orphan_qemu "$REAL_CACHE"
    ;;

  bisect-state)  # --by state finds what --by outcome cannot: reuseaddr-into-connect-bucket's
    # bucket goes back to -1/-1 when s2 closes on 6.17.8 (measured 2026-12-06: step 10, -1/0 on
    # 6.16.12), two steps before any outcome differs (s4.connect(), step 12).
    run "$TS" bisect reuseaddr-into-connect-bucket --by state --from 6.16.12 --to 6.17.8 --json "$WORK/s.json"
    expect_rc 1
    echo "$OUT" | head -12
    python3 - "$WORK/s.json" <<'PY' || fail "bisect --by state result: $(cat "$WORK/s.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["by"] == "state", r
(b,) = r["boundaries"]
assert (b["last_good"], b["first_bad"]) == ("6.16.12", "6.17.8"), b
first = b["steps"][0]
assert first["step"] == 10 and first["last_good"] == first["first_bad"] == "ok", first
assert "60000 -1/0" in first["last_good_state"] and "60000 -1/-1" in first["first_bad_state"], first
assert any(s["step"] == 12 and s["last_good"] == "EADDRNOTAVAIL" for s in b["steps"]), b["steps"]
PY
    valid bisect "$WORK/s.json"
    assert_no_orphan_qemu "$REAL_CACHE"
    ;;

  prune)  # selective removal by version or minor, --keep N by last use; no question off a terminal
    private_cache 6.1 6.12
    V61=$(cached_field 6.1 0)
    run env XDG_CACHE_HOME="$WORK/xdg" "$TS" kernels prune 6.1 < /dev/null
    expect_rc 0
    echo "$OUT" | grep -qF "removed $V61" || fail "prune 6.1: $OUT"
    [ ! -e "$WORK/xdg/tristate/kernels/$V61" ] || fail "prune 6.1 left $V61"
    [ -n "$(ls "$WORK/xdg/tristate/kernels")" ] || fail "prune 6.1 removed 6.12 too"
    run env XDG_CACHE_HOME="$WORK/xdg" "$TS" kernels prune 9.9 < /dev/null
    expect_rc 2
    expect_err "no cached kernel matches '9.9'"
    run env XDG_CACHE_HOME="$WORK/xdg" "$TS" kernels prune --keep 0 < /dev/null
    expect_rc 0
    [ -z "$(ls "$WORK/xdg/tristate/kernels")" ] || fail "--keep 0 kept: $(ls "$WORK/xdg/tristate/kernels")"
    run env XDG_CACHE_HOME="$WORK/xdg" "$TS" kernels prune < /dev/null  # not a terminal: no question
    expect_rc 0
    [ ! -e "$WORK/xdg/tristate" ] || fail "whole-cache prune left $WORK/xdg/tristate"
    run env XDG_CACHE_HOME="$WORK/xdg" TRISTATE_CACHE_MAX=lots "$TS" kernels list
    expect_rc 2
    expect_err "TRISTATE_CACHE_MAX='lots' is not a size"
    ;;

  history)  # matrix --history: a column per minor from 5.10 on, and where each row first changes
    run "$TS" matrix --history release-between-connects
    expect_rc 1
    for m in 5.10 6.1 6.12 6.16 6.17 6.18 7.2; do
      echo "$OUT" | grep -q "^  $m [0-9]" || fail "no column for $m: $OUT"
    done
    # measured 2026-12-06 (bisect case): the change is Debian's 6.17.8 stable backport
    echo "$OUT" | grep -qF "release-between-connects step 10 (s4.connect(('127.8.8.8', 1234))): 6.16 " ||
      fail "first change of step 10 not listed: $(echo "$OUT" | tail -5)"
    echo "$OUT" | grep -F "step 10 (s4.connect" | grep -qF -- "-> 6.17 " || fail "step 10 does not change at 6.17"
    ;;

  kill-leftovers)  # SIGKILL inside an initramfs build (staging, packing) and during a fetch: the next
    # run removes what the killed one staged (and says so), and no staging file stays
    KV=$(ls "$REAL_CACHE"/kernels/linux-image-6.1.*/vmlinuz | head -1)
    [ -n "$KV" ] || fail "no cached 6.1 kernel"
    cp "$KV" "$WORK/vmlinuz"
    staged() { find "$WORK/xdg/tristate" \( -name '.stage-*' -o -name '*.tmp-*' \) 2>/dev/null; }
    # kill_when DIR NAME CMD...: runs CMD in its own process group (tristate and its strip,
    # apt-get, qemu) and SIGKILLs the whole group the moment a file named NAME (a find -name
    # pattern) appears in DIR of the cache. The image is written in-process in a few hundred
    # ms, so a kill at a random time mostly missed it; watching for the staging tree, then for
    # the archive being written, lands one kill inside each step every time. A 64 MB file
    # shipped alongside widens both steps past the watcher's 10 ms polls.
    kill_when() {
      local dir=$1 name=$2; shift 2
      setsid "$@" >/dev/null 2>&1 &
      local p=$!
      for _ in $(seq 3000); do
        kill -0 "$p" 2>/dev/null || break
        if [ -n "$(find "$WORK/xdg/tristate/$dir" -maxdepth 1 -name "$name" 2>/dev/null | head -1)" ]; then
          kill -9 -- "-$p" 2>/dev/null
          break
        fi
        sleep 0.01
      done
      wait "$p" 2>/dev/null
    }
    head -c 64M /dev/urandom > "$WORK/big.bin"
    CAUGHT=0
    for name in '.stage-*' '*.cpio.tmp-*'; do
      rm -rf "$WORK/xdg/tristate/initramfs"
      kill_when initramfs "$name" env XDG_CACHE_HOME="$WORK/xdg" "$TS" kernels boot "$WORK/vmlinuz" --timeout 60 \
        --file "$WORK/big.bin" -- true
      LEFT=$(staged)
      [ -n "$LEFT" ] || fail "killed when $name appeared, yet nothing was left to sweep"
      # the next run, whatever it ships, sweeps what the killed one left
      run env XDG_CACHE_HOME="$WORK/xdg" "$TS" kernels boot "$WORK/vmlinuz" --timeout 120 -- true
      expect_rc 0
      [ -z "$(staged)" ] || fail "after a killed initramfs build ($name), left: $(staged)"
      expect_err "left by a killed run: pid"
      CAUGHT=$((CAUGHT + 1))
    done
    echo "initramfs: $CAUGHT kills (staging, packing) left files, all removed by the next run"
    # the download's staging directory appearing is the moment: a kill at fixed times missed
    # every one of 2..10 s once when the mirror answered fast (the fetch was over at 2 s)
    kill_when kernels '.tmp-*' env XDG_CACHE_HOME="$WORK/xdg" "$TS" kernels fetch 5.10
    [ -n "$(find "$WORK/xdg/tristate/kernels" -maxdepth 1 -name '.tmp-*' 2>/dev/null)" ] ||
      fail "no kill landed inside a download (its .tmp-* never appeared, or the fetch was over first)"
    run env XDG_CACHE_HOME="$WORK/xdg" "$TS" kernels fetch 5.10
    expect_rc 0
    expect_err "left by a killed run: pid"
    [ -z "$(staged)" ] || fail "after a killed fetch, left: $(staged)"
    assert_no_qemu "$WORK"
    ;;

  *) fail "unknown case $CASE" ;;
esac
echo "ok: $CASE"
