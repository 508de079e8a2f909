#!/usr/bin/env python3
"""`tristate quiz -j N` runs the shipped quizzes side by side and gives what -j 1
gives: the same quizzes in the files' order, the same steps, outcomes, bucket states and
assertions. Compared as JSON minus what differs between any two runs (times, thread ids, the
per-run salted bucket ids, renumbered in order of appearance), and, as the matrix compares
states, without the TCP state of each socket and the name of a bucket's holder no fd has
("closing" or "time-wait"): whether the loopback peer's ACK was processed before the snapshot
is the kernel's timing (seen: time-wait's s5.close() in FIN_WAIT1 with -j 1 and TIME_WAIT with
-j 2 on a loaded host). Also checks that -j 2 really overlapped quizzes (two quizzes' step
windows intersect) and that -j 1 never did.
   check_jobs.py TRISTATE   (root: private network namespaces, BPF iterators)"""
import json, os, subprocess, sys, tempfile

ts = sys.argv[1]
RUN_SPECIFIC = {"created", "command", "duration_ms", "t_ns", "t_start_ns", "t_end_ns", "tid", "wall_time"}


def run(jobs, path):
    p = subprocess.run([ts, "quiz", "-q", "-j", str(jobs), "--json", path], capture_output=True, text=True)
    if p.returncode not in (0, 1):
        sys.exit(f"FAIL: tristate quiz -j {jobs} exited {p.returncode}: {p.stderr.strip()}")
    with open(path) as f:
        return json.load(f)


def normalized(report):
    def walk(v, ids):
        if isinstance(v, dict):
            out = {}
            for k, x in v.items():
                if k in RUN_SPECIFIC or k == "tcp_state":
                    continue
                if k == "name" and v.get("fd") == -1 and x in ("closing", "time-wait"):
                    out[k] = "closing or time-wait"
                    continue
                if k in ("bucket", "bucket2") and isinstance(x, (int, str)) and x not in (0, "0"):
                    out[k] = ids.setdefault(x, len(ids) + 1)
                else:
                    out[k] = walk(x, ids)
            if isinstance(out.get("sockets"), list):  # sorted by name, which was just renamed
                out["sockets"] = sorted(out["sockets"], key=lambda so: json.dumps(so, sort_keys=True))
            return out
        if isinstance(v, list):
            return [walk(x, ids) for x in v]
        return v
    top = {k: v for k, v in report.items() if k not in RUN_SPECIFIC and k != "quizzes"}
    return top, [walk(q, {}) for q in report["quizzes"]]  # ids renumbered per quiz


def windows(report):
    out = []
    for q in report["quizzes"]:
        ts_ = [(s["t_start_ns"], s["t_end_ns"]) for s in q["steps"] if s.get("t_start_ns")]
        if ts_:
            out.append((min(a for a, _ in ts_), max(b for _, b in ts_), q["name"]))
    return out


def overlapping(ws):
    ws = sorted(ws)
    return [(a[2], b[2]) for a, b in zip(ws, ws[1:]) if b[0] < a[1]]


with tempfile.TemporaryDirectory() as d:
    one = run(1, os.path.join(d, "j1.json"))
    two = run(2, os.path.join(d, "j2.json"))
names1 = [q["name"] for q in one["quizzes"]]
names2 = [q["name"] for q in two["quizzes"]]
listed = json.loads(subprocess.run([ts, "quiz", "--list", "--json", "-"], capture_output=True, text=True,
                                   check=True).stdout)
files_order = [q["name"] for q in listed["quizzes"]]
if names1 != files_order or names2 != files_order:
    sys.exit(f"FAIL: reports not in the files' order:\n  files {files_order}\n  -j 1  {names1}\n  -j 2  {names2}")
if len(names1) < 2:
    sys.exit("FAIL: fewer than two quizzes shipped: nothing to run side by side")
t1, q1 = normalized(one)
t2, q2 = normalized(two)
if t1 != t2:
    sys.exit(f"FAIL: report headers differ:\n  -j 1 {t1}\n  -j 2 {t2}")
diffs = [a["name"] for a, b in zip(q1, q2) if a != b]
if diffs:
    a, b = q1[names1.index(diffs[0])], q2[names1.index(diffs[0])]
    for i, (s1, s2) in enumerate(zip(a.get("steps", []), b.get("steps", []))):
        if s1 != s2:
            sys.exit(f"FAIL: -j 2 differs from -j 1 in {diffs}; first: {diffs[0]} step {i + 1}:\n  -j 1 {s1}\n  -j 2 {s2}")
    sys.exit(f"FAIL: -j 2 differs from -j 1 in {diffs}")
if overlapping(windows(one)):
    sys.exit(f"FAIL: -j 1 ran quizzes side by side: {overlapping(windows(one))}")
if not overlapping(windows(two)):
    sys.exit("FAIL: -j 2 never ran two quizzes at the same time")
steps = sum(len(q["steps"]) for q in q1)
print(f"ok: {len(names1)} quizzes, {steps} steps: -j 2 (overlapping {len(overlapping(windows(two)))} times) "
      f"gives what -j 1 gives, in the files' order")
