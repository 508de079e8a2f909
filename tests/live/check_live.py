#!/usr/bin/env python3
"""Asserts the live-trace guest run (live_guest.sh's /tmp/result, printed back by the lab).

usage: check_live.py RESULT_FILE
Every assertion is about what the kernel reported through `tristate trace`: events of the
traced command and only them, each filter's events satisfy it (and the workload it selects is
all there), JSON Lines complete after SIGINT/SIGTERM, no program left loaded, loss counted.
"""
import importlib.util
import json
import os
import re
import sys

# Every JSON line and document is also validated against its JSON Schema in docs/
# (scripts/validate-json.py resolves the references between them).
HERE = os.path.dirname(os.path.abspath(__file__))
DOCS = os.path.join(HERE, "..", "..", "docs")
_spec = importlib.util.spec_from_file_location("validate_json", os.path.join(HERE, "..", "..", "scripts", "validate-json.py"))
validate_json = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(validate_json)
TRACE_SCHEMA = validate_json.make_validator(os.path.join(DOCS, "trace.schema.json"))
STATE_SCHEMA = validate_json.make_validator(os.path.join(DOCS, "state.schema.json"))
schema_checked = {"trace": 0, "state": 0}


def schema_valid(validator, doc, what, kind):
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    schema_checked[kind] += 1
    check(not errors, f"{what}: not valid against its schema: " +
          "; ".join(f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors[:3]))

failures = []
passes = 0


def check(cond, what):
    global passes
    if cond:
        passes += 1
    else:
        failures.append(what)


def parse(path):
    sections, cur, part = {}, None, None
    for line in open(path, encoding="utf-8", errors="replace"):
        line = line.rstrip("\n")
        if line.startswith("=== "):
            cur = {"meta": {}, "text": [], "json": [], "extra": {}}
            sections[line[4:]] = cur
            part = "meta"
        elif cur is None:
            continue
        elif line.startswith("--- "):
            part = line[4:]
        elif part == "meta":
            k, _, v = line.partition(" ")
            cur["meta"][k] = v
        elif part in ("text", "json"):
            cur[part].append(line)
        elif part != "end":
            cur["extra"].setdefault(part, []).append(line)
    return sections


def jsonl(sec, name):
    """(events, summary): every line must be a complete JSON object, the last the summary."""
    events, summary = [], None
    for i, line in enumerate(sec["json"]):
        try:
            obj = json.loads(line)
        except ValueError as e:
            failures.append(f"{name}: JSON line {i + 1} is not complete JSON ({e}): {line[:80]}")
            continue
        schema_valid(TRACE_SCHEMA, obj, f"{name}: JSON line {i + 1}", "trace")
        if "summary" in obj:
            check(i == len(sec["json"]) - 1, f"{name}: summary is not the last line")
            summary = obj["summary"]
        else:
            check("kind" in obj and "function" in obj and "pid" in obj, f"{name}: event line lacks kind/function/pid")
            events.append(obj)
    check(summary is not None, f"{name}: no summary line")
    if summary:
        check(summary["events"] == len(events), f"{name}: summary says {summary['events']} events, file has {len(events)}")
    return events, summary or {}


def text_value(sec, prefix):
    for line in sec["text"]:
        if line.startswith(prefix):
            return line[len(prefix):].strip()
    return None


def release_of(kernel):
    """(major, minor) of a release string ("6.12.117+deb12-cloud-amd64"); (0, 0) if unknown."""
    m = re.match(r"(\d+)\.(\d+)", kernel or "")
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def main():
    secs = parse(sys.argv[1])
    kernel = re.search(r"^kernel (\S+)", open(sys.argv[1]).read(), re.M)
    print(f"kernel: {kernel.group(1) if kernel else '?'}")
    check("done" in secs, "the guest script did not finish (no '=== done')")

    # 1. -- CMD (fentry and forced kprobe)
    for name, port, n in (("cmd", 7001, 3), ("cmdk", 7011, 2)):
        sec = secs.get(name)
        if not sec:
            failures.append(f"{name}: section missing")
            continue
        events, summary = jsonl(sec, name)
        want_exit = "3" if name == "cmd" else "0"
        check(sec["meta"].get("exit") == want_exit, f"{name}: exit {sec['meta'].get('exit')}, want the command's {want_exit}")
        pid = int(text_value(sec, "pid ") or -1)
        child = int(text_value(sec, "child ") or -2)
        noise = int(sec["meta"].get("noise", -3))
        pids = {e["pid"] for e in events}
        check(pids <= {pid, child}, f"{name}: events of other processes: {sorted(pids - {pid, child})} (command {pid}, child {child})")
        check(noise not in pids, f"{name}: events of the concurrent noise process {noise}")
        check(not any(e["port"] == 7100 for e in events), f"{name}: noise port 7100 seen")
        for who, p in ((pid, port), (child, port + 1)):
            ok_connects = [e for e in events if e["pid"] == who and e["kind"] == "connect_alloc" and e.get("result") == 0]
            check(len(ok_connects) == n, f"{name}: {len(ok_connects)} connect_alloc of pid {who}, want {n}")
            binds = [e for e in events if e["pid"] == who and e["kind"] == "bind_alloc" and e["port"] == p]
            check(len(binds) >= 1, f"{name}: no bind_alloc on {p} by pid {who}")
        lines = [l for l in sec["text"] if re.match(r"^\d\d:\d\d:\d\d\.\d{6} ", l)]
        check(len(lines) == len(events), f"{name}: {len(lines)} text lines for {len(events)} JSON events")
        check(summary.get("lost") == 0, f"{name}: {summary.get('lost')} lost")

    # 2. filters
    def fsec(name):
        sec = secs.get(name)
        if not sec:
            failures.append(f"{name}: section missing")
            return None, None, None
        events, summary = jsonl(sec, name)
        check(sec["meta"].get("exit") == "0", f"{name}: exit {sec['meta'].get('exit')}")
        check(summary.get("lost") == 0, f"{name}: {summary.get('lost')} lost")
        return sec, events, summary

    def port_of(e):
        return e["port"] or e.get("requested_port", 0)

    def connects(events, comm):
        return len([e for e in events if e["comm"] == comm and e["kind"] == "connect_alloc" and e.get("result") == 0])

    sec, ev, _ = fsec("f_all")
    if sec:
        for comm in ("loada", "loadb", "loadn", "loadc"):
            check(connects(ev, comm) == 3, f"f_all: {connects(ev, comm)} connects of {comm}, want 3")
    sec, ev, _ = fsec("f_comm")
    if sec:
        check(all(e["comm"] == "loada" for e in ev), "f_comm: events of other comms")
        check(connects(ev, "loada") == 3, f"f_comm: {connects(ev, 'loada')} connects of loada, want 3")
    sec, ev, _ = fsec("f_pid")
    if sec:
        pb = int(sec["meta"]["pid_b"])
        check(all(e["pid"] == pb for e in ev), f"f_pid: events of other pids than {pb}")
        check(connects(ev, "loadb") == 3, "f_pid: not all 3 connects of loadb")
    sec, ev, _ = fsec("f_port")
    if sec:
        check(all(port_of(e) == 7202 for e in ev), "f_port: events of other ports")
        check(any(e["kind"] == "bind_alloc" and e.get("result", 0) != 0 for e in ev), "f_port: failed bind on 7202 missing")
        check(any(e["kind"] == "bind_alloc" and e.get("result") == 0 for e in ev), "f_port: listener bind on 7202 missing")
    sec, ev, _ = fsec("f_range")
    if sec:
        check(all(7201 <= port_of(e) <= 7202 for e in ev), "f_range: events outside 7201-7202")
        check({7201, 7202} <= {port_of(e) for e in ev}, "f_range: 7201 or 7202 missing")
    sec, ev, _ = fsec("f_netns")
    if sec:
        nn = int(sec["meta"]["netns_n"])
        check(all(e["netns"] == nn for e in ev), f"f_netns: events of other netns than {nn}")
        check(connects(ev, "loadn") == 3, "f_netns: not all 3 connects of loadn")
    sec, ev, _ = fsec("f_cgroup")
    if sec:
        check(all(e["comm"] == "loadc" for e in ev), f"f_cgroup: events of {sorted({e['comm'] for e in ev})}")
        check(connects(ev, "loadc") == 3, "f_cgroup: not all 3 connects of loadc")
    sec, ev, _ = fsec("f_failed")
    if sec:
        check(all(e["kind"] in ("bind_alloc", "connect_alloc") and e.get("result", 0) != 0 for e in ev), "f_failed: a non-failure event")
        check(any(e["comm"] == "loadb" and port_of(e) == 7202 for e in ev), "f_failed: loadb's failed bind on 7202 missing")
    sec, ev, _ = fsec("f_failed_load")  # fsec also fails it on any lost event
    if sec:
        check(any(e["comm"] == "loadb" and port_of(e) == 7212 and e.get("result", 0) != 0 for e in ev),
              "f_failed_load: loadb's failed bind on 7212 lost behind 3000 filtered-out connections")
    sec, ev, _ = fsec("f_combo")
    if sec:
        check(len(ev) == 1 and ev[0]["comm"] == "loadb" and port_of(ev[0]) == 7202 and ev[0].get("result", 0) != 0,
              f"f_combo: want exactly loadb's failed bind on 7202, got {[(e['comm'], e['kind'], port_of(e)) for e in ev]}")
    for name in ("f_combo_none", "f_none"):
        sec, ev, summary = fsec(name)
        if sec:
            check(len(ev) == 0 and summary.get("events") == 0, f"{name}: {len(ev)} events, want 0")
            check(any(l.startswith("summary: 0 events") for l in sec["text"]), f"{name}: text summary of 0 not printed")

    # 3. signals
    for sig in ("INT", "TERM"):
        sec = secs.get("sig" + sig)
        if not sec:
            failures.append(f"sig{sig}: section missing")
            continue
        events, summary = jsonl(sec, "sig" + sig)
        check(sec["meta"].get("exit") == "0", f"sig{sig}: exit {sec['meta'].get('exit')}, want 0")
        check(len(events) > 0, f"sig{sig}: no events before the signal")
        prog = re.compile(r"name (fentry__|fexit__|kprobe__|kretprobe__|raw_tp__)")
        during = sec["extra"].get("bpftool during", [])
        after = sec["extra"].get("bpftool after", [])
        check(any(prog.search(l) for l in during), f"sig{sig}: bpftool did not show the programs while tracing (check is blind)")
        check(not any(prog.search(l) for l in after), f"sig{sig}: programs still loaded after exit: {[l for l in after if prog.search(l)][:3]}")

    # 4. loss
    sec = secs.get("loss")
    if sec:
        events, summary = jsonl(sec, "loss")
        check(sec["meta"].get("exit") == "0", f"loss: exit {sec['meta'].get('exit')}")
        lost = summary.get("lost", 0)
        check(lost > 0, "loss: a 4 KiB ring buffer read every 100 ms lost nothing (flood too slow?)")
        check(summary.get("kernel_events") == len(events), f"loss: kernel submitted {summary.get('kernel_events')}, reader got {len(events)}")
        check(any(f"{lost} lost" in l for l in sec["text"]), "loss: the text summary does not print the loss")
        check(any("were lost" in l for l in sec["text"]), "loss: no warning about the loss")
        print(f"loss: {len(events)} events received, {lost} lost")
    else:
        failures.append("loss: section missing")

    # 5. `tristate state`: three buckets held open, one per state. What each state must be is
    # the tri-state itself (bind() 0, SO_REUSEADDR +1, connect()'s own bucket -1), and the
    # snapshot must agree with the last state the trace of the same namespace reported.
    sec = secs.get("state")
    if sec:
        check(sec["meta"].get("exit") == "0", f"state: exit {sec['meta'].get('exit')}: {sec['text'][-3:]}")
        hold = dict(l.split(" ", 1) for l in sec["extra"].get("hold", []) if " " in l)
        try:
            snap = json.loads("\n".join(sec["json"]))
            schema_valid(STATE_SCHEMA, snap, "state --json", "state")
        except ValueError as e:
            snap = {"buckets": []}
            failures.append(f"state: --json output is not JSON ({e})")
        netns = int(hold.get("netns", "0"))
        buckets = snap.get("buckets", [])
        check(buckets and all(b["netns"] == netns for b in buckets),
              f"state: buckets of other namespaces with --netns: {[b['netns'] for b in buckets]} vs {netns}")
        by_port = {b["port"]: b for b in buckets}
        events, _ = jsonl(secs.get("st_trace", {"json": []}), "st_trace")
        # SO_REUSEADDR into a new bucket: +1 before 6.8; 0 since, where inet_csk_update_fastreuse
        # finds the just-linked tb2 on tb->bhash2 and no longer treats the bucket as new
        # (docs/design.md, "What the kernels really did"; the tracer tests see the same).
        reuse_state = (0, 0) if release_of(kernel.group(1) if kernel else "") >= (6, 8) else (1, 0)
        want = {"listen": ((0, 0), {"LISTEN": 1, "ESTABLISHED": 2}),
                "reuse": (reuse_state, {"ESTABLISHED": 1}),
                "connect": ((-1, -1), {"ESTABLISHED": 1})}
        for role, (state, sockets) in want.items():
            port = int(hold.get(role, "0"))
            b = by_port.get(port)
            if not b:
                failures.append(f"state: no bucket for the {role} port {port}: {sorted(by_port)}")
                continue
            got = (b["state"]["fastreuse"], b["state"]["fastreuseport"])
            check(got == state, f"state: {role} port {port} is {got}, want {state}")
            check(b["sockets"] == sockets, f"state: {role} port {port} holds {b['sockets']}, want {sockets}")
            check(b["connect_shares"] == (state == (-1, -1)), f"state: {role} port {port} connect_shares {b['connect_shares']}")
            seen = [e["after"] for e in events if e.get("port") == port and "after" in e]
            check(seen and (seen[-1]["fastreuse"], seen[-1]["fastreuseport"]) == got,
                  f"state: {role} port {port}: snapshot {got}, the trace last reported {seen[-1:]}")
        text = sec["text"]
        check(any(l.startswith("2 bhash buckets") for l in text), f"state: --port 7501-7502 text: {text[:4]}")
        check(any("not seen:" in l for l in text), "state: the text does not say what it cannot see")
        # Owners as ss -tanp shows them, from the per-process iterator
        check(any("users:((" in l and "live_load" in l for l in text), f"state: no owner line naming live_load: {text[:8]}")
        for role in want:
            b = by_port.get(int(hold.get(role, "0")))
            if b:
                check(b.get("owners") and all(o["pid"] > 0 for o in b["owners"] if o["tcp_state"] != "TIME_WAIT"),
                      f"state: {role} bucket owners {b.get('owners')}")
        print(f"state: {len(buckets)} buckets, " + ", ".join(f"{p} {b['state']}" for p, b in sorted(by_port.items())))
    else:
        failures.append("state: section missing")

    print(f"schema: {schema_checked['trace']} trace lines, {schema_checked['state']} state documents validated")
    check(schema_checked["trace"] > 0 and schema_checked["state"] > 0, "schema: nothing was validated")
    for f in failures:
        print("FAIL", f)
    print(f"{passes} checks passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
