#!/bin/bash
# Bucket state on this machine's kernel (untraced where tracing is refused): the bucket state after
# every step, its why for a failing step, a failed snapshot that is reported and changes no
# outcome, and --no-state. Real quizzes in private namespaces (root).
# usage: check_state.sh TRISTATE
set -u
TS=$1
fail() { echo "FAIL: $*" >&2; exit 1; }
out=$("$TS" quiz post-3 release-between-connects 2>&1)
rc=$?
grep -q "state: task_file" <<<"$out" || fail "header does not name the snapshot method: $(head -2 <<<"$out")"
# post-3: bind() made the 0/0 bucket, the listener's is there from the setup
grep -A1 "s1.bind(('127.1.1.1', 0))" <<<"$out" | grep -q "state: 1234 0/0 ln · 60000 0/0 s1$" ||
  fail "post-3 step 2 state: $(grep -A1 "s1.bind(('127.1.1.1', 0))" <<<"$out")"
# the failing connect() is explained from the snapshots, traced or not
grep -A6 "s2.connect(('127.9.9.9', 1234))" <<<"$out" | grep -q "Port 60000: 0/0, held by s1\|Port\s*60000's bucket" ||
  fail "post-3 step 6 has no why: $(grep -A6 "s2.connect(('127.9.9.9', 1234))" <<<"$out")"
# release-between-connects: the bind() into the connect()-made bucket turns it to 0/0
grep -A1 "s2.bind(('127.2.2.2', 60_000))" <<<"$out" | grep -q "state: 1234 0/0 ln ln.child · 60000 0/0 s1" ||
  fail "release-between-connects s2.bind state: $(grep -A1 "s2.bind(('127.2.2.2'" <<<"$out")"
[ "$(grep -c "^         state: " <<<"$out")" = 23 ] || fail "expected 23 state lines, got $(grep -c "^         state: " <<<"$out")"

# a snapshot that fails is reported under its step; the outcome and exit status do not change
out2=$(TRISTATE_TEST_SNAPSHOT_FAIL=1 "$TS" quiz post-3 release-between-connects 2>&1)
rc2=$?
[ "$rc2" = "$rc" ] || fail "a failed snapshot changed the exit status: $rc2 (without: $rc)"
[ "$(grep -c "state: not read (reading the iterator failed (test" <<<"$out2")" = 2 ] ||
  fail "the failed snapshots are not reported (one per quiz expected): $(grep "state: not read" <<<"$out2")"
grep -q "2 snapshots failed" <<<"$out2" || fail "the summary does not count the failed snapshots: $(tail -1 <<<"$out2")"

# --no-state: no state lines, the header says so, same outcome
out3=$("$TS" quiz --no-state post-3 2>&1)
grep -q "^         state: " <<<"$out3" && fail "--no-state still printed state lines"
grep -q "snapshots off (--no-state)" <<<"$out3" || fail "--no-state not noted in the header"
# where the iterators are refused (a user namespace's root has no CAP_BPF in the real one):
# one line naming the mechanism, the errno and what is needed; the quizzes still run
out4=$(unshare --user --map-root-user "$TS" quiz post-3 2>&1)
rc4=$?
[ "$rc4" = 0 ] || fail "refused iterators changed the outcome: exit $rc4: $(tail -3 <<<"$out4")"
[ "$(grep -c "note: bucket state snapshots off: loading the BPF iterators iter/task_file and iter/tcp failed (Operation not permitted): needs BPF iterators" <<<"$out4")" = 1 ] ||
  fail "no one-line notice for refused iterators: $(head -4 <<<"$out4")"
grep -q "^         state: " <<<"$out4" && fail "state lines without snapshots"
# the per-kernel cache of the iterators' attach ids and minimal BTF (trace/core_btf_cache): a
# wrong cached id (a tampered file) must not cost the state: the whole BTF decides, the file is
# written anew
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT
XDG_CACHE_HOME=$cache "$TS" quiz post-3 -q 2>/dev/null
ids=$(ls "$cache"/tristate/btf/*-func-ids.txt 2>/dev/null | head -1)
if [ -r /sys/kernel/notes ] && grep -q "GNU" /sys/kernel/notes 2>/dev/null; then
  [ -n "$ids" ] || fail "no attach id cache written under $cache/tristate/btf"
  printf 'bpf_iter_task_file 1\nbpf_iter_tcp 1\n' > "$ids"
  out5=$(XDG_CACHE_HOME=$cache "$TS" quiz post-3 2>&1)
  [ "$(grep -c "^         state: " <<<"$out5")" = 9 ] || fail "a wrong cached attach id lost the state: $(head -3 <<<"$out5")"
  grep -q "bpf_iter_task_file 1$" "$ids" && fail "the wrong cached attach id was kept: $(cat "$ids")"
fi
echo "ok: state after every step, why from snapshots, failed snapshot reported, --no-state, refused iterators, cache fallback"
