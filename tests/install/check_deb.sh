#!/usr/bin/env bash
# The .deb CPack builds: control fields, file list, then installed with apt (as a user
# would: `apt install ./tristate_*.deb`), run from /usr/bin, and removed again. Where the
# machine does not allow installing (not root, or a tristate package already installed that
# this test must not replace) the package is extracted and run from the extraction instead,
# and the test says so.
#   check_deb.sh BUILD_DIR WORK_DIR
set -euo pipefail
build=$(realpath "$1") work=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$work"; mkdir -p "$work"; work=$(realpath "$work")
(cd "$build" && cpack -G DEB -B "$work" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; fail "cpack -G DEB"; }
debs=("$work"/tristate_*_amd64.deb)
[[ ${#debs[@]} -eq 1 && -f ${debs[0]} ]] || fail "expected one tristate_*_amd64.deb in $work"
deb=${debs[0]}
echo "built $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)"

field() { dpkg-deb -f "$deb" "$1"; }
[[ $(field Package) == tristate ]] || fail "Package: $(field Package)"
[[ $(field Architecture) == amd64 ]] || fail "Architecture: $(field Architecture)"
[[ $(field Version) =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "Version: $(field Version)"
depends=$(field Depends) recommends=$(field Recommends)
echo "Depends: $depends"
echo "Recommends: $recommends"
# what the binary links must be in Depends (dpkg-shlibdeps), with versions
for lib in libbpf1 libc6 zlib1g; do
  [[ $depends =~ (^|, )$lib\ \(\>=\  ]] || fail "Depends lacks a versioned $lib"
done
for p in qemu-system-x86 busybox-static; do
  [[ $recommends =~ (^|, )$p(,|$) ]] || fail "Recommends lacks $p"
  [[ $depends =~ (^|, )$p ]] && fail "$p must be a Recommends, not a Depends"
done
[[ -n $(field Description) ]] || fail "Description empty"
# Maintainer: TRISTATE_MAINTAINER as configured, else the packaged commit's git author; never
# the old placeholder
maintainer=$(field Maintainer)
echo "Maintainer: $maintainer"
[[ $maintainer =~ ^[^\<\>]+\ \<[^\<\>\ ]+@[^\<\>\ ]+\>$ ]] || fail "Maintainer is not 'Name <email>': $maintainer"
[[ $maintainer != *@invalid* ]] || fail "Maintainer is a placeholder: $maintainer"
src=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$build/CMakeCache.txt")
configured=$(sed -n 's/^TRISTATE_MAINTAINER:STRING=//p' "$build/CMakeCache.txt")
if [[ -z ${TRISTATE_MAINTAINER:-} && -z $configured ]]; then
  expected=$(git -C "$src" log -1 --format='%an <%ae>')
  [[ $maintainer == "$expected" ]] || fail "Maintainer '$maintainer' is not the git author '$expected'"
fi

dpkg-deb -c "$deb" | awk '{print $6}' >"$work/files.txt"
for f in ./usr/bin/tristate ./usr/share/tristate/quizzes/post-3.quiz ./usr/share/man/man1/tristate.1.gz \
         ./usr/share/man/man1/tristate-quiz.1.gz ./usr/share/bash-completion/completions/tristate \
         ./usr/share/zsh/vendor-completions/_tristate ./usr/share/doc/tristate/copyright; do
  grep -qx -- "$f" "$work/files.txt" || fail "not in the package: $f"
done
if grep -v -E '^\./((usr|usr/share)/?|usr/(bin|share/(tristate|man|bash-completion|zsh|doc))(/.*)?)$' "$work/files.txt" | grep .; then
  fail "files outside /usr/bin and /usr/share"
fi
dpkg-deb -x "$deb" "$work/x"
file -b "$work/x/usr/bin/tristate" | grep -q "stripped" && ! file -b "$work/x/usr/bin/tristate" | grep -q "not stripped" ||
  fail "the packaged binary is not stripped"
echo "control fields and $(wc -l <"$work/files.txt") entries: ok"

run_quiz() {  # run_quiz TRISTATE: post-3 untraced on this kernel, from an unrelated cwd
  (cd / && env -u TRISTATE_QUIZ_DIR "$1" quiz post-3 --no-trace >"$work/quiz.txt" 2>&1) ||
    { cat "$work/quiz.txt"; fail "$1 quiz post-3"; }
  grep -q "as expected: 9/9 steps matched" "$work/quiz.txt" || { cat "$work/quiz.txt"; fail "$1 quiz post-3 output"; }
}
if [[ $(id -u) -ne 0 ]] || dpkg-query -W -f='${Status}' tristate 2>/dev/null | grep -q "install ok installed"; then
  echo "NOTE: not installing (not root, or a tristate package is already installed): running the extraction"
  run_quiz "$work/x/usr/bin/tristate"
else
  trap 'dpkg -r tristate >/dev/null 2>&1 || true' EXIT
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 \
    "$deb" >"$work/apt.log" 2>&1 || { cat "$work/apt.log"; fail "apt-get install $deb"; }
  [[ $(command -v tristate) == /usr/bin/tristate ]] || fail "tristate is not /usr/bin/tristate after install"
  run_quiz /usr/bin/tristate
  man -w tristate-quiz >/dev/null 2>&1 || ! command -v man >/dev/null || fail "man cannot find tristate-quiz"
  DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq -o DPkg::Lock::Timeout=300 tristate >"$work/apt.log" 2>&1 ||
    { cat "$work/apt.log"; fail "apt-get remove tristate"; }
  trap - EXIT
  [[ ! -e /usr/bin/tristate && ! -e /usr/share/tristate ]] || fail "files left after removal"
  echo "installed with apt, ran quiz post-3 from /usr/bin, removed: ok"
fi
echo PASS
