#!/usr/bin/python3
"""`tristate matrix` over the four lab kernels, asserted cell by cell.

usage: check_matrix.py TRISTATE OUT.json
The differences asserted were measured in the lab (docs/design.md), each with its reason;
every other step of the post's quizzes must agree across the kernels.
"""
import json
import os
import subprocess
import sys

KERNELS = ["5.10", "6.1", "6.12", "latest"]
POST = ["post-1", "post-2", "post-3", "post-4", "post-5", "post-6", "post-7", "post-8",
        "post-3-fixed", "post-5-fixed", "post-6-fixed", "cloudflare-5"]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
    return cond


def row(m, quiz, source):
    for r in m["rows"]:
        if r["quiz"] == quiz and r["source"] == source:
            return r
    failures.append("%s: no row %r" % (quiz, source))
    return None


def main(tristate, out):
    argv = [tristate, "matrix", "--no-host", "-j", "2", "--json", out]
    for k in KERNELS:
        argv += ["-k", k]
    argv += POST + ["release-between-connects", "v6only-dual-stack"]
    rc = subprocess.run(argv, stdout=subprocess.DEVNULL).returncode
    # the kernels do differ (below), so the matrix must say so through its exit status
    check(rc == 1, "tristate matrix exited %d, want 1 (kernels differ)" % rc)
    with open(out) as f:
        m = json.load(f)
    # the document validates against docs/matrix.schema.json (and the report's event in it)
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.join(here, "..", "..")
    v = subprocess.run(["/usr/bin/python3", os.path.join(root, "scripts", "validate-json.py"),
                        os.path.join(root, "docs", "matrix.schema.json"), out])
    check(v.returncode == 0, "matrix JSON does not validate against docs/matrix.schema.json")
    labels = [c["label"] for c in m["columns"]]
    check(len(labels) == 4 and all(l.startswith(k + " ") for l, k in zip(labels, KERNELS)),
          "columns %s" % labels)
    check(all(c["traced"] for c in m["columns"]), "untraced column: %s" % m["columns"])

    # Every step of the post's quizzes has the same outcome on every kernel, as the post says.
    for r in m["rows"]:
        if r["quiz"] in POST:
            outs = [c["outcome"] for c in r["cells"]]
            check(not r["outcome_differs"] and all(c["matched"] for c in r["cells"]),
                  "%s %s: outcomes %s" % (r["quiz"], r["source"], outs))

    # 6.18 "tcp: Update bind bucket state on port release": closing the bind()-owned s2
    # turns the bucket back to -1/-1, so s4.connect() shares the port only on latest (7.2).
    r = row(m, "release-between-connects", "s4.connect(('127.8.8.8', 1234))")
    if r:
        outs = [c["outcome"] for c in r["cells"]]
        check(outs == ["EADDRNOTAVAIL"] * 3 + ["ok"], "release-between-connects s4.connect: %s" % outs)
        check(r["differs"], "release-between-connects s4.connect: row not flagged")
    r = row(m, "release-between-connects", "s2.close()")
    if r:
        states = [c["state"] for c in r["cells"]]
        check("-1/-1" in states[3] and all("-1/-1" not in s for s in states[:3]),
              "release-between-connects s2.close states: %s" % states)

    # Since 6.8 inet_csk_update_fastreuse() sees tb->bhash2 already holding the new tb2 and
    # leaves a fresh SO_REUSEADDR bucket at 0/0; 5.10 and 6.1 write +1/0 as the post says.
    r = row(m, "post-8", "s1.bind(('127.0.0.1', 60_000))")
    if r:
        states = [c["state"] for c in r["cells"]]
        check(all("+1/0" in s for s in states[:2]) and all(" 0/0" in s for s in states[2:]),
              "post-8 s1.bind states: %s" % states)
        check(r["state_differs"] and not r["outcome_differs"], "post-8 s1.bind flags: %s" % r)

    # Closing the only owner frees the bucket everywhere; 5.10 - 6.12 inline the destroy into
    # __inet_put_port (reported at its exit), 7.2 does not. Where the tracer saw it is no
    # kernel difference: the row must agree.
    r = row(m, "v6only-dual-stack", "s1.close()")
    if r:
        check(not r["events_differ"] and not r["differs"], "v6only-dual-stack s1.close: flagged %s" % r)

    for f in failures:
        print("FAIL", f)
    print("%d checks failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
