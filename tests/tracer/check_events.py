#!/usr/bin/env python3
"""Asserts the bind-bucket events trace_quiz printed from a guest (see run_guest.sh).

usage: check_events.py RUN.out [OTHER_MODE_RUN.out]
With two files (same kernel, fentry and kprobe mode), also asserts both saw the same events.
Exit 0 when every check holds; prints each failure otherwise. Kernel differences are named
where they are expected (see KERNEL-NOTES.md); anything else is a failure to look at.
"""
import os, re, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from show_events import doc_from  # noqa: E402

failures = []

def check(cond, what):
    if not cond:
        failures.append(what)
    return cond

def kernel_at_least(release, major, minor):
    m = re.match(r"(\d+)\.(\d+)", release)
    return (int(m.group(1)), int(m.group(2))) >= (major, minor)

def st(e, key="after"):
    s = e.get(key)
    return (s["fastreuse"], s["fastreuseport"]) if s else None

def step(q, source):
    for s in q["steps"]:
        if s["source"] == source:
            return s
    raise KeyError("%s: no step %r" % (q["name"], source))

def kinds(s):
    return [(e["kind"], e["function"]) for e in s["events"]]

def find(s, kind, **kw):
    for e in s["events"]:
        if e["kind"] == kind and all(e.get(k) == v for k, v in kw.items()):
            return e
    return None

def check_common(d, mode):
    ctx = "%s/%s" % (d["kernel"], mode)
    check("error" not in d, "%s: tracer failed: %s" % (ctx, d.get("error")))
    t = d["trace"]
    check(t["mode"] == mode, "%s: mode %s" % (ctx, t["mode"]))
    check(t["lost"] == 0, "%s: %d events lost" % (ctx, t["lost"]))
    check(d["leftover_programs"] == 0, "%s: %d programs left loaded" % (ctx, d["leftover_programs"]))
    check(d.get("noise_ops", 0) > 0, "%s: no root-namespace noise ran" % ctx)
    check(d.get("late_events", 1) == 0, "%s: %s events arrived after the quizzes" % (ctx, d.get("late_events")))
    required = ["inet_csk_get_port", "__inet_hash_connect", "inet_bind_bucket_create",
                "inet_csk_update_fastreuse", "inet_bind_hash", "inet_bind_bucket_destroy", "inet_put_port"]
    for f in required:
        check(any(p["function"] == f and p["attached"] for p in t["probes"]), "%s: %s not attached" % (ctx, f))
    for q in d["quizzes"]:
        evs = q["background"] + [e for s in q["steps"] for e in s["events"]]
        nets = {e["netns"] for e in evs}
        check(len(nets) == 1, "%s %s: events from %d namespaces" % (ctx, q["name"], len(nets)))
        check(d.get("root_netns") not in nets, "%s %s: root-namespace event" % (ctx, q["name"]))

def check_post3(q, ctx):
    b = step(q, "s1.bind(('127.1.1.1', 0))")
    c = find(b, "bucket_create", path="bind", port=60000)
    a = find(b, "bind_alloc", port=60000, requested_port=0, result=0)
    if check(c and a, "%s post-3 bind: create/alloc missing: %s" % (ctx, kinds(b))):
        check(st(c) == (0, 0) and st(a) == (0, 0), "%s post-3 bind: state %s/%s" % (ctx, st(c), st(a)))
        check(c["bucket"] == a["bucket"], "%s post-3 bind: bucket ids differ" % ctx)
    c1 = find(step(q, "s1.connect(('127.9.9.9', 1234))"), "connect_alloc", result=0, port=60000)
    check(c1 and st(c1) == (0, 0) and c1.get("requested_port") == 60000, "%s post-3 s1.connect: %s" % (ctx, c1))
    s2 = step(q, "s2.connect(('127.9.9.9', 1234))")
    c2 = find(s2, "connect_alloc")
    check(c2 and c2["result"] == -99, "%s post-3 s2.connect: %s" % (ctx, c2))
    check(not find(s2, "bucket_create"), "%s post-3 s2.connect created a bucket" % ctx)
    x = s2.get("explanation", "")
    check("Port 60000's bucket was created by bind() in step 2" in x and "skipped" in x and "EADDRNOTAVAIL" in x,
          "%s post-3 explanation: %r" % (ctx, x))

def reuseaddr_first_bind_state(release):
    """State an SO_REUSEADDR bind() leaves in the bucket it creates.

    Measured: 5.10 and 6.1 -> +1/0 (as the post says); 6.12 and 7.2 -> 0/0 (fastreuse never
    becomes +1). Suspected cause (not bisected): since 6.8 inet_csk_update_fastreuse() treats
    the bucket as new only when hlist_empty(&tb->bhash2), but inet_csk_get_port() has already
    linked the new tb2 into tb->bhash2, so the "existing bucket" branch runs and keeps 0.
    6.2-6.11 are unmeasured; the boundary is put at 6.8 from that reading."""
    return (0, 0) if kernel_at_least(release, 6, 8) else (1, 0)

def check_post8(q, ctx):
    want = reuseaddr_first_bind_state(ctx.split("/")[0])
    b = step(q, "s1.bind(('127.0.0.1', 60_000))")
    c = find(b, "bucket_create", path="bind", port=60000)
    u = find(b, "bucket_state", function="inet_csk_update_fastreuse")
    a = find(b, "bind_alloc", requested_port=60000, result=0)
    check(c and st(c) == (0, 0), "%s post-8 bind create: %s" % (ctx, c))
    check(u and st(u, "before") == (0, 0) and st(u) == want, "%s post-8 update_fastreuse: %s" % (ctx, u))
    check(a and st(a) == want, "%s post-8 bind_alloc: %s" % (ctx, a))
    check(len([e for e in b["events"] if e["kind"] == "bucket_state"]) == 1, "%s post-8: state reported twice: %s" % (ctx, kinds(b)))
    s2 = step(q, "s2.connect(('127.8.8.8', 1234))")
    c2 = find(s2, "connect_alloc")
    check(c2 and c2["result"] == -99, "%s post-8 s2.connect: %s" % (ctx, c2))
    x = s2.get("explanation", "")
    check("(fastreuse %d, fastreuseport %d)" % want in x and "skipped" in x, "%s post-8 explanation: %r" % (ctx, x))

def check_post3_fixed(q, ctx):
    s1 = step(q, "s1.connect(('127.9.9.9', 1234))")
    c = find(s1, "bucket_create", path="connect", port=60000)
    a = find(s1, "connect_alloc", result=0, port=60000)
    if check(c and a, "%s post-3-fixed s1.connect: %s" % (ctx, kinds(s1))):
        # inet_bind_bucket_create seen: 0/0 then __inet_hash_connect writes -1/-1; inlined into
        # __inet_hash_connect: the creation is reported there with the state it leaves
        if c["function"] == "inet_bind_bucket_create":
            w = find(s1, "bucket_state", function="__inet_hash_connect")
            check(st(c) == (0, 0) and w and st(w) == (-1, -1), "%s post-3-fixed: -1 write not seen" % ctx)
        else:
            check(c["function"] == "__inet_hash_connect" and st(c) == (-1, -1), "%s post-3-fixed create %s" % (ctx, c))
        check(st(a) == (-1, -1) and a["bucket"] == c["bucket"], "%s post-3-fixed alloc %s" % (ctx, a))
    s2 = step(q, "s2.connect(('127.9.9.9', 1234))")
    a2 = find(s2, "connect_alloc", result=0, port=60000)
    check(a2 and a and a2["bucket"] == a["bucket"] and not find(s2, "bucket_create"),
          "%s post-3-fixed s2.connect did not share the bucket: %s" % (ctx, kinds(s2)))

def check_reuseaddr_into_connect(q, ctx, release):
    b = step(q, "s2.bind(('127.0.0.1', 60_000))")
    u = find(b, "bucket_state", function="inet_csk_update_fastreuse")
    check(u and st(u, "before") == (-1, -1) and st(u) == (-1, 0), "%s reuseaddr bind: %s" % (ctx, u))
    s3 = step(q, "s3.connect(('127.7.7.7', 1234))")
    check("(fastreuse -1, fastreuseport 0)" in s3.get("explanation", ""), "%s reuseaddr explanation %r" % (ctx, s3.get("explanation")))
    close = step(q, "s2.close()")
    back = find(close, "bucket_state", function="inet_put_port")
    s4 = find(step(q, "s4.connect(('127.7.7.7', 1234))"), "connect_alloc")
    if kernel_at_least(release, 6, 18):
        # d57f4b874946: the last bind() owner leaving returns the bucket to -1
        check(back and st(back) == (-1, -1), "%s reuseaddr: no return to -1 on release: %s" % (ctx, kinds(close)))
        check(s4 and s4["result"] == 0, "%s reuseaddr: s4.connect %s" % (ctx, s4))
    else:
        check(not back, "%s reuseaddr: state changed on release before 6.18: %s" % (ctx, back))
        check(s4 and s4["result"] == -99, "%s reuseaddr: s4.connect %s" % (ctx, s4))

def signature(d):
    out = []
    for q in d["quizzes"]:
        for s in q["steps"]:
            for e in s["events"]:
                out.append((q["name"], s["index"], e["kind"], e["function"], e.get("path", ""), e["port"],
                            st(e, "before"), st(e), e.get("result"), e.get("requested_port")))
    return out

def main():
    d = doc_from(open(sys.argv[1]).read())
    mode = "kprobe" if d["force_kprobe"] else "fentry"
    ctx = "%s/%s" % (d["kernel"], mode)
    check_common(d, mode)
    by_name = {q["name"]: q for q in d.get("quizzes", [])}
    checks = {"post-3": check_post3, "post-8": check_post8, "post-3-fixed": check_post3_fixed}
    for name, fn in checks.items():
        if check(name in by_name, "%s: quiz %s not run" % (ctx, name)):
            fn(by_name[name], ctx)
    if "reuseaddr-into-connect-bucket" in by_name:
        check_reuseaddr_into_connect(by_name["reuseaddr-into-connect-bucket"], ctx, d["kernel"])
    if len(sys.argv) > 2:
        o = doc_from(open(sys.argv[2]).read())
        a, b = signature(d), signature(o)
        check(a == b, "%s: fentry and kprobe runs differ:\n  %s" % (ctx, "\n  ".join(
            "%s | %s" % (x, y) for x, y in zip(a, b) if x != y) or "lengths %d %d" % (len(a), len(b))))
    for f in failures:
        print("FAIL", f)
    print("%s: %d checks failed" % (ctx, len(failures)))
    return 1 if failures else 0

if __name__ == "__main__":
    sys.exit(main())
