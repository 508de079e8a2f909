#!/usr/bin/env python3
"""Prints the trace_quiz document from a guest console log as a compact per-step listing."""
import json, sys

def doc_from(text):
    a = text.index("=== TRISTATE-TRACE-BEGIN ===") + len("=== TRISTATE-TRACE-BEGIN ===")
    b = text.index("=== TRISTATE-TRACE-END ===")
    return json.loads(text[a:b])

def st(s):
    return "%d/%d" % (s["fastreuse"], s["fastreuseport"]) if s else "-"

def fmt(e):
    parts = [e["kind"], e["function"], e.get("path") or "-", "port=%d" % e["port"]]
    if "before" in e or "after" in e:
        parts.append("%s->%s" % (st(e.get("before")), st(e.get("after"))))
    if "requested_port" in e: parts.append("req=%d" % e["requested_port"])
    if "result" in e: parts.append("ret=%d" % e["result"])
    if e.get("addr"): parts.append("addr=" + e["addr"])
    parts.append("b=%04x" % (int(e["bucket"]) & 0xffff))  # a string since report/2
    return " ".join(parts)

def main():
    d = doc_from(open(sys.argv[1]).read())
    print("kernel", d["kernel"], "force_kprobe", d["force_kprobe"], "mode", d["trace"]["mode"],
          "events", d["trace"]["events"], "lost", d["trace"]["lost"], "leftover", d.get("leftover_programs"),
          "late", d.get("late_events"), "noise_ops", d.get("noise_ops"),
          "deferred_leftover", d.get("deferred_leftover_programs"), "deferred_exit_ms", d.get("deferred_exit_ms"))
    if "error" in d: print("ERROR", d["error"])
    for p in d["trace"]["probes"]:
        print("  probe %-28s %-9s %s %s" % (p["function"], p["mechanism"], p["attached"], p.get("error", "")))
    for q in d.get("quizzes", []):
        print("==", q["name"], q["status"])
        for e in q["background"]: print("   [bg]", fmt(e))
        for s in q["steps"]:
            calls = "; ".join("%s%s" % (c["call"], "" if c["ok"] else " -> " + c.get("err_name", str(c.get("err")))) for c in s["calls"])
            print("  step %d: %s" % (s["index"], calls))
            for e in s["events"]: print("      ", fmt(e))
            if s.get("explanation"): print("      why:", s["explanation"])

if __name__ == "__main__":
    main()
