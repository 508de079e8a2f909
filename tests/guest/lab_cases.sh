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
    run "$TS" kernels boot 6.2 -- true
    expect_rc 2
    expect_err "unknown kernel spec '6.2'"
    expect_err "5.10, 6.1, 6.12, latest"
    ;;

  *) fail "unknown case $CASE" ;;
esac
echo "ok: $CASE"
