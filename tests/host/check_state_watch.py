#!/usr/bin/python3
"""`tristate state --watch` against sockets made in a private network namespace.

   check_state_watch.py TRISTATE DOCS_DIR

Re-runs itself under `unshare --net` (the namespace dies with it). Port range 60000-60000, a
listener on 5000; the watch samples port 60000 every 100 ms into JSON Lines while this script
connect()s (the port's bucket appears), bind()s a second socket to another address on the same
port (state or holders change), then closes both with SO_LINGER 0 (no TIME_WAIT: the bucket is
freed). After each step, once the sockets are still, a one-shot `tristate state --json` is the
reference the watch's lines must agree with: no kernel outcome is predicted here. SIGINT ends
the watch with exit 0 and whole lines, each valid against docs/state-watch.schema.json. Then
bad input: exit 2 and a message naming the problem."""
import json, os, signal, socket, struct, subprocess, sys, time

PORT, LISTEN = 60000, ("127.0.0.1", 5000)
FD1 = -1
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def one_shot():
    p = subprocess.run([TRISTATE, "state", "--json", "-", "-P", str(PORT)], capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        sys.exit("tristate state --json failed: " + p.stderr)
    buckets = json.loads(p.stdout)["buckets"]
    return buckets[0] if buckets else None


def pair(b):
    return (b["state"]["fastreuse"], b["state"]["fastreuseport"])


def lines_of(path):
    with open(path) as f:
        text = f.read()
    check(text.endswith("\n") or not text, "every line of the watch is complete")
    return [json.loads(line) for line in text.splitlines()]


def main():
    if str(os.stat("/proc/self/ns/net").st_ino) == os.environ.get("CHECK_WATCH_OUTER_NS"):
        sys.exit("refusing to run in the host's network namespace")
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    # only ever inside the private namespace this script unshared (checked above)
    with open("/proc/sys/net/ipv4/ip_local_port_range", "w") as f:
        f.write("%d %d" % (PORT, PORT))
    ln = socket.socket()
    ln.bind(LISTEN)
    ln.listen(8)
    out = "/tmp/tristate-watch-%d.jsonl" % os.getpid()
    watch = subprocess.Popen([TRISTATE, "state", "--watch", "100ms", "-P", str(PORT), "--json", out],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.0)  # loaded, first sample taken
        s1 = socket.socket()
        s1.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s1.connect(LISTEN)
        check(s1.getsockname()[1] == PORT, "connect() took the one port of the range")
        global FD1
        FD1 = s1.fileno()
        child, _ = ln.accept()
        child.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        time.sleep(0.6)
        after_connect = one_shot()
        s2 = socket.socket()
        s2.bind(("127.0.0.2", PORT))
        time.sleep(0.6)
        after_bind = one_shot()
        child.close()
        s1.close()
        s2.close()
        time.sleep(0.6)
        after_close = one_shot()
    finally:
        watch.send_signal(signal.SIGINT)
        _, err = watch.communicate(timeout=30)
    check(watch.returncode == 0, "SIGINT ends the watch with exit 0 (got %s: %s)" % (watch.returncode, err.strip()))
    lines = lines_of(out)
    os.unlink(out)
    p = subprocess.run(["/usr/bin/python3", os.path.join(SRC, "scripts", "validate-json.py"), "--lines",
                        os.path.join(DOCS, "state-watch.schema.json"), "-"], input="\n".join(json.dumps(l) for l in lines),
                       capture_output=True, text=True)
    check(p.returncode == 0, "every line is valid state-watch JSON " + p.stdout + p.stderr)
    changes = [(l["change"], l) for l in lines]
    print("watch saw:", [(c, pair(l["bucket"]), sorted(l["bucket"]["sockets"].items())) for c, l in changes])

    check(after_connect is not None and after_close is None, "the one-shot reference saw the bucket come and go")
    if after_connect is None or after_bind is None:
        return
    # the connect(): a bucket appears, in the state and with the holder the one-shot saw
    appeared = [l for c, l in changes if c == "appeared"]
    check(len(appeared) == 1, "one bucket appeared (got %d)" % len(appeared))
    if appeared:
        b = appeared[0]["bucket"]
        check(pair(b) == pair(after_connect), "it appeared as %s, as state --json saw it" % (pair(after_connect),))
        check(any(o["pid"] == os.getpid() and o["fd"] == FD1 for o in b["owners"]),
              "its holder is this process's connected socket (fd %d)" % FD1)
    # the bind(): the state moved (a `state` line from and to what the one-shots saw) or, if the
    # kernel left it, the holders did (a `sockets` line)
    later = [(c, l) for c, l in changes if c in ("state", "sockets")]
    if pair(after_bind) != pair(after_connect):
        moves = [l for c, l in later if c == "state"]
        check(len(moves) >= 1, "the bind() moved the state %s -> %s: a state line" % (pair(after_connect), pair(after_bind)))
        if moves:
            check(pair(moves[0]["before"]) == pair(after_connect) and pair(moves[0]["bucket"]) == pair(after_bind),
                  "the state line goes %s -> %s" % (pair(moves[0]["before"]), pair(moves[0]["bucket"])))
    else:
        check(any(c == "sockets" for c, _ in later), "the bind() left the state: a sockets line")
    check(any(sum(l["bucket"]["sockets"].values()) == 2 for _, l in later), "a line shows the bucket's two sockets")
    # the close: freed, after everything else
    gone = [i for i, (c, _) in enumerate(changes) if c == "gone"]
    check(len(gone) == 1 and gone[0] == len(changes) - 1, "the bucket is freed once, last")
    times = [l["time"] for _, l in changes]
    check(times == sorted(times), "lines are in time order")

    # bad input: exit 2, a message naming the problem
    for args, words in ((["--duration", "1s"], "--watch"), (["--watch", "5ms"], "100ms"),
                        (["--watch", "1s", "--json", "/nonexistent-dir/x.jsonl", "--duration", "1s"], "/nonexistent-dir/x.jsonl")):
        p = subprocess.run([TRISTATE, "state", *args], capture_output=True, text=True, timeout=60)
        check(p.returncode == 2 and words in p.stderr, "state %s: exit 2 naming %s (%d: %s)" %
              (" ".join(args), words, p.returncode, p.stderr.strip()[:200]))


TRISTATE, DOCS = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
SRC = os.path.dirname(DOCS)
if os.environ.get("CHECK_WATCH_INSIDE") != "1":
    if os.geteuid() != 0:
        sys.exit("check_state_watch.py needs root (a private network namespace, BPF iterators)")
    env = dict(os.environ, CHECK_WATCH_INSIDE="1", CHECK_WATCH_OUTER_NS=str(os.stat("/proc/self/ns/net").st_ino))
    sys.exit(subprocess.run(["unshare", "--net", "--", "/usr/bin/python3", os.path.abspath(__file__), *sys.argv[1:]],
                            env=env).returncode)
main()
print("%d checks failed" % len(failures) if failures else "all checks passed")
sys.exit(1 if failures else 0)
