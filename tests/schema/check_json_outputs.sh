#!/usr/bin/env bash
# Every JSON document the host can produce, validated against its JSON Schema in docs/:
# doctor --json, state --json (with a listener of ours open, so there is a bucket to show),
# quiz --list --json, and compare --json (the matrix) of the browser test's reports. Trace
# lines, kernels available and bisect need a guest or the mirror: tests/live, tests/guest.
# Also: a document with an integer bucket id (the pre-2 form) must NOT validate, so the schemas
# really check what the ids are.
#   check_json_outputs.sh TRISTATE SOURCE_DIR COMPARE_FIXTURES WORK_DIR
set -euo pipefail
T=$1 SRC=$2 FIXTURES=$3 WORK=$4
fail() { echo "FAIL: $*" >&2; exit 1; }
valid() {  # valid SCHEMA FILE
  /usr/bin/python3 "$SRC/scripts/validate-json.py" "$SRC/docs/$1.schema.json" "$2" || fail "$2: not valid $1"
}
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK"

"$T" doctor --json doctor.json
valid doctor doctor.json

# a bound and listening socket of ours, so that state has at least one bucket to describe
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print(s.getsockname()[1], flush=True); time.sleep(60)' >port.txt &
holder=$!
trap 'kill $holder 2>/dev/null || true' EXIT
for _ in $(seq 50); do [[ -s port.txt ]] && break; sleep 0.1; done
port=$(cat port.txt)
[[ -n $port ]] || fail "the listener did not start"
"$T" state --json state.json 2>state.err || { cat state.err; fail "state --json"; }
valid state state.json
/usr/bin/python3 - state.json "$port" "$holder" <<'PY' || fail "state.json: our listener's bucket"
import json, sys
d = json.load(open(sys.argv[1])); port, pid = int(sys.argv[2]), int(sys.argv[3])
mine = [b for b in d["buckets"] if b["port"] == port and any(o["pid"] == pid for o in b["owners"])]
assert len(mine) == 1, (port, pid, [b["port"] for b in d["buckets"]])
b = mine[0]
assert isinstance(b["bucket"], str) and b["bucket"].isdigit() and int(b["bucket"]) > 0, b["bucket"]
print(f"state: {len(d['buckets'])} buckets; ours on {port}: bucket id {b['bucket']} ({int(b['bucket']).bit_length()} bits)")
PY
kill $holder 2>/dev/null || true

"$T" quiz --list --json quiz-list.json
valid quiz-list quiz-list.json

"$FIXTURES" fixtures
rc=0; "$T" compare fixtures/a.json fixtures/b.json --json matrix.json -q || rc=$?
[[ $rc -eq 1 ]] || fail "compare a.json b.json exited $rc, want 1"
valid matrix matrix.json
rc=0; "$T" compare fixtures/busy-a.json fixtures/busy-b.json fixtures/busy-c.json --json busy.json -q || rc=$?
[[ $rc -eq 1 ]] || fail "compare busy-*.json exited $rc, want 1"
valid matrix busy.json
# the fixtures' bucket ids are above 2^53: strings, and the same digits as in the reports
/usr/bin/python3 - matrix.json fixtures/a.json fixtures/b.json <<'PY' || fail "matrix.json: bucket ids"
import json, sys
m = json.load(open(sys.argv[1]))
evs = [e for r in m["rows"] if "divergence" in r for e in r["divergence"]["events"] if e]
assert evs and all(isinstance(e["bucket"], str) for e in evs), evs
ids = {e["bucket"] for f in sys.argv[2:] for q in json.load(open(f))["quizzes"]
       for s in q["steps"] for e in s["events"]}
assert all(isinstance(i, str) for i in ids), ids
assert all(e["bucket"] in ids for e in evs), (evs, ids)
assert any(int(e["bucket"]) > 2**53 for e in evs), "no id above 2^53 to test with"
print(f"matrix: {len(evs)} divergence events, bucket ids as strings (largest {max(int(e['bucket']) for e in evs)})")
PY

# the old integer form does not pass: the schema checks the type, not only the presence
/usr/bin/python3 - matrix.json old.json <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
for r in m["rows"]:
    for e in r.get("divergence", {}).get("events", []):
        if e:
            e["bucket"] = int(e["bucket"])
json.dump(m, open(sys.argv[2], "w"))
PY
if /usr/bin/python3 "$SRC/scripts/validate-json.py" "$SRC/docs/matrix.schema.json" old.json 2>/dev/null; then
  fail "a matrix with integer bucket ids validated"
fi
echo "PASS: doctor, state, quiz-list, matrix JSON valid against docs/*.schema.json"
