#!/usr/bin/env bash
# cmake --install into a DESTDIR, then run the installed tristate with the source and build
# trees hidden under empty tmpfs mounts (a private mount namespace): anything that still
# pointed back at them would fail. Checks the installed files, --list, a quiz on the host, a
# quiz inside a 6.12 guest (`kernels boot 6.12 -- tristate quiz post-3`), a matrix over 6.1
# and 6.12, the man pages
# against --help, and the completions.
#   check_install.sh SOURCE_DIR BUILD_DIR WORK_DIR
set -euo pipefail
src=$(realpath "$1") build=$(realpath "$2") work=$3
here=$(cd "$(dirname "$0")" && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$work"
mkdir -p "$work"
work=$(realpath "$work")
case $work in "$src"/*|"$build"/*) # the work dir must stay visible while the trees are hidden
  work=$(mktemp -d /tmp/tristate-install.XXXXXX); trap 'rm -rf "$work"' EXIT ;; esac
root=$work/root

DESTDIR=$root cmake --install "$build" --prefix /usr >"$work/install.log" || { cat "$work/install.log"; fail "cmake --install"; }
for f in usr/bin/tristate usr/share/tristate/quizzes/post-3.quiz usr/share/man/man1/tristate.1.gz \
         usr/share/man/man1/tristate-quiz.1.gz usr/share/man/man1/tristate-kernels.1.gz \
         usr/share/bash-completion/completions/tristate usr/share/zsh/vendor-completions/_tristate \
         usr/share/doc/tristate/README.md usr/share/doc/tristate/copyright \
         usr/share/doc/tristate/report.schema.json; do
  [[ -e $root/$f ]] || fail "not installed: /$f"
done
nquiz=$(ls "$src"/quizzes/*.quiz | wc -l)
[[ $(ls "$root"/usr/share/tristate/quizzes/*.quiz | wc -l) -eq $nquiz ]] || fail "not every quiz installed"
echo "installed into $root: $(cd "$root" && find . -type f | wc -l) files"

# Everything below runs with the trees hidden; the lab cache (~/.cache/tristate) stays.
cat >"$work/hidden.sh" <<'INNER'
set -euo pipefail
root=$1 src=$2 build=$3 here_copy=$4
fail() { echo "FAIL: $*" >&2; exit 1; }
mount -t tmpfs none "$src"
[[ $build == "$src"/* ]] || mount -t tmpfs none "$build"
[[ -z $(ls -A "$src") ]] || fail "source tree still visible"
unset TRISTATE_QUIZ_DIR
export PATH=$root/usr/bin:/usr/sbin:/usr/bin:/sbin:/bin
cd /
tristate quiz --list >/tmp/list.txt || fail "quiz --list"
grep -q '^post-3 ' /tmp/list.txt || fail "quiz --list does not show post-3"
tristate quiz --list --json - | python3 -c '
import json, sys; d = json.load(sys.stdin); root = sys.argv[1]
assert d["schema"] == "tristate.quiz-list/1", d["schema"]
assert d["quiz_dir"] == root + "/usr/share/tristate/quizzes", d["quiz_dir"]
assert any(q["name"] == "post-3" and q["steps"] > 0 for q in d["quizzes"])' "$root" || fail "quiz --list --json"
rc=0; tristate quiz post-3 --no-trace >/tmp/quiz.txt 2>&1 || rc=$?
[[ $rc -eq 0 ]] || { cat /tmp/quiz.txt; fail "quiz post-3 on the host exited $rc"; }
grep -q "as expected: 9/9 steps matched" /tmp/quiz.txt || { cat /tmp/quiz.txt; fail "quiz post-3 did not match"; }
echo "host: quiz post-3 from the installed tree: as expected"
rc=0; tristate kernels boot 6.12 -- tristate quiz post-3 >/tmp/guest.txt 2>/tmp/guest.err || rc=$?
[[ $rc -eq 0 ]] || { cat /tmp/guest.txt /tmp/guest.err; fail "kernels boot 6.12 -- tristate quiz post-3 exited $rc"; }
grep -q "trace: fentry" /tmp/guest.txt || { cat /tmp/guest.txt; fail "the guest's quiz was not traced"; }
grep -q "as expected: 9/9 steps matched" /tmp/guest.txt || { cat /tmp/guest.txt; fail "guest quiz post-3"; }
echo "guest 6.12: kernels boot 6.12 -- tristate quiz post-3: traced, as expected"
rc=0; tristate matrix --no-host -k 6.1 -k 6.12 post-3 --json /tmp/matrix.json -q 2>/tmp/matrix.err || rc=$?
[[ $rc -le 1 ]] || { cat /tmp/matrix.err; fail "matrix --no-host -k 6.1 -k 6.12 exited $rc"; }
python3 -c '
import json, sys; d = json.load(open("/tmp/matrix.json"))
assert [c["label"].split()[0] for c in d["columns"]] == ["6.1", "6.12"], d["columns"]
assert all(c["traced"] and c["where"] == "guest" for c in d["columns"])
assert d["rows"] and all(len(r["cells"]) == 2 for r in d["rows"])' || fail "matrix JSON"
echo "matrix --no-host -k 6.1 -k 6.12 post-3: two traced guest columns"
python3 "$here_copy/check_help_man.py" "$root/usr/bin/tristate" "$root/usr/share/man/man1" || fail "man pages and --help differ"
bash "$here_copy/check_completion.sh" "$root" || fail "completions"
INNER
# the helper scripts live in the source tree, which is about to disappear
cp "$here"/check_help_man.py "$here"/check_completion.sh "$here"/complete.zsh "$work/"
unshare --mount --propagation private bash "$work/hidden.sh" "$root" "$src" "$build" "$work"

# TRISTATE_QUIZ_DIR replaces the built-in quizzes
mkdir -p "$work/mine"
cp "$src/quizzes/post-1.quiz" "$work/mine/only-mine.quiz"
TRISTATE_QUIZ_DIR=$work/mine "$root/usr/bin/tristate" quiz --list >"$work/mine.txt"
[[ $(tail -n +2 "$work/mine.txt" | awk '{print $1}') == only-mine ]] || { cat "$work/mine.txt"; fail "TRISTATE_QUIZ_DIR"; }
echo "PASS"
