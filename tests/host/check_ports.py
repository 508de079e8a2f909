#!/usr/bin/python3
"""`tristate ports` against real sockets in a private network namespace.

   check_ports.py TRISTATE SCHEMA

Re-runs itself under `unshare --net` (the namespace dies with it; nothing of the host's is
written). Sets ip_local_port_range 60000-60099, reserves 60050, then: child A makes N
bind(port 0)-then-connect() sockets, child B N2 SO_REUSEADDR binds to fixed ports and a
listener inside the range; this process makes M plain connect()s to the destination, K
connections left in TIME_WAIT, J connections to another destination. Every count tristate gives
is checked against what was built, and `usable` against ground truth taken after the snapshot:
plain connect()s to the destination until EADDRNOTAVAIL, counted. Twice: tcp_tw_reuse 0 (a
TIME_WAIT 4-tuple blocks its port) and 1 after the reuse delay (connect() takes it over).
Then bad input: exit 2 and a message naming the problem."""
import errno, json, os, select, signal, socket, struct, subprocess, sys, time

N, N2, M, K, J = 20, 5, 10, 6, 4
LO, HI, RESERVED = 60000, 60099, 60050
DEST, OTHER = ("127.0.0.1", 5000), ("127.0.0.1", 5001)
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def sysctl(name, value):
    # only ever inside the private namespace this script unshared (checked in main)
    with open("/proc/sys/net/ipv4/" + name, "w") as f:
        f.write(value)


def tristate(*args, expect=0):
    p = subprocess.run([TRISTATE, "ports", *args], capture_output=True, text=True, timeout=60)
    if p.returncode != expect:
        print(p.stdout, p.stderr, file=sys.stderr)
    return p


def snapshot():
    out = "/tmp/check_ports.%d.json" % os.getpid()
    p = tristate("--dest", "%s:%d" % DEST, "--json", out)
    check(p.returncode == 0, "tristate ports --dest --json exits 0")
    with open(out) as f:
        doc = json.load(f)
    errors = ["%s: %s" % ("/".join(map(str, e.absolute_path)), e.message) for e in VALIDATOR.iter_errors(doc)]
    check(not errors, "the document validates against docs/ports.schema.json " + "; ".join(errors[:5]))
    os.unlink(out)
    # 5.11+ must load the program that asks bpf_sock_from_file(): on 6.18 it was refused once
    # (an untrusted sock->sk passed to a helper) and the object fell back to 5.10's silently
    release = os.uname().release
    if tuple(int(x) for x in release.split(".")[:2]) >= (5, 11):
        check("bpf_sock_from_file" in doc["method"], "on %s the 5.11+ iterator loaded: %s" % (release, doc["method"]))
    [ns] = doc["namespaces"]
    return ns


def ground_truth(dest=DEST, family=socket.AF_INET):
    """Plain connect()s to dest until EADDRNOTAVAIL; the sockets are then reset (SO_LINGER 0:
    no TIME_WAIT left behind) so that the namespace is as before."""
    got = []
    while True:
        s = socket.socket(family)
        try:
            s.connect(dest)
        except OSError as e:
            s.close()
            if e.errno != errno.EADDRNOTAVAIL:
                raise
            break
        got.append(s)
    for s in got:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    return len(got)


def child(work):
    """Runs work() in a child that reports its ports and waits until killed."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            keep, ports = work()
        except Exception as e:
            print("child: %r" % e, file=sys.stderr)
            os._exit(1)
        os.write(w, json.dumps(ports).encode() + b"\n")
        signal.pause()
        os._exit(0)
    os.close(w)
    data = b""
    while not data.endswith(b"\n"):
        more = os.read(r, 65536)
        if not more:
            sys.exit("a child process failed before reporting its ports")
        data += more
    os.close(r)
    return pid, json.loads(data)


def bind_then_connect():
    keep, ports = [], []
    for _ in range(N):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))  # no IP_BIND_ADDRESS_NO_PORT: the bucket is bind()-made
        s.connect(DEST)
        keep.append(s)
        ports.append(s.getsockname()[1])
    return keep, ports


def reuseaddr_binds():
    keep, ports = [], []
    for i in range(N2):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 60090 + i))
        keep.append(s)
        ports.append(60090 + i)
    ln = socket.socket()
    ln.bind(("127.0.0.1", 60095))
    ln.listen(8)
    keep.append(ln)
    ports.append(60095)
    return keep, ports


def main():
    if str(os.stat("/proc/self/ns/net").st_ino) == os.environ.get("CHECK_PORTS_OUTER_NS"):
        sys.exit("refusing to run in the host's network namespace")
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    sysctl("ip_local_port_range", "%d %d" % (LO, HI))
    sysctl("ip_local_reserved_ports", str(RESERVED))
    sysctl("tcp_tw_reuse", "0")
    ln = socket.socket()
    ln.bind(DEST)
    ln.listen(4096)
    ln2 = socket.socket()
    ln2.bind(OTHER)
    ln2.listen(64)
    pid_b, ports_b = child(reuseaddr_binds)  # fixed ports first: connect()s and port-0 binds land anywhere
    # next, while the accept queue is empty: accept() must return this connection's server end
    tw_ports = []
    for _ in range(K):  # the client closes first, then the server: the client's end waits in TIME_WAIT
        s = socket.socket()
        s.connect(DEST)
        tw_ports.append(s.getsockname()[1])
        a, _ = ln.accept()
        s.close()
        time.sleep(0.01)
        a.close()
    pid_a, ports_a = child(bind_then_connect)
    keep = []
    for _ in range(M):
        s = socket.socket()
        s.connect(DEST)
        keep.append(s)
    for _ in range(J):  # connect() may give these ports the DEST connections use: another 4-tuple
        s = socket.socket()
        s.connect(OTHER)
        keep.append(s)
    shared_ports = {s.getsockname()[1] for s in keep} | set(tw_ports)
    time.sleep(0.2)
    states = open("/proc/net/tcp").read().split("\n")[1:]
    in_tw = sum(1 for l in states if l.split() and l.split()[3] == "06")  # a timewait sock's substate
    check(in_tw == K, "%d sockets in TIME_WAIT (/proc/net/tcp: %d)" % (K, in_tw))

    blocked_ports = set(ports_a) | set(ports_b)
    ns = snapshot()
    d = ns["destination"]
    check(ns["ip_local_port_range"] == [LO, HI] and ns["range_size"] == HI - LO + 1,
          "the range read from inside the namespace: %s" % ns["ip_local_port_range"])
    check(ns["reserved"] == 1, "reserved: %d == 1" % ns["reserved"])
    check(ns["blocked"] == len(blocked_ports), "blocked: %d == %d bind()-made ports" % (ns["blocked"], len(blocked_ports)))
    check(ns["shareable"] == len(shared_ports), "shareable: %d == %d ports of plain connect()s" % (ns["shareable"], len(shared_ports)))
    check(ns["free"] == HI - LO + 1 - 1 - len(blocked_ports) - len(shared_ports), "free: %d" % ns["free"])
    check(d["taken"] == M + K and d["taken_time_wait"] == K,
          "taken by connections to the destination: %d (TIME_WAIT %d) == M+K = %d" % (d["taken"], d["taken_time_wait"], M + K))
    truth = ground_truth()
    check(d["usable"] == truth, "tcp_tw_reuse 0: usable %d == %d plain connect()s until EADDRNOTAVAIL" % (d["usable"], truth))
    holders = {h["pid"]: h for h in ns["holders"]}
    a, b = holders.get(pid_a), holders.get(pid_b)
    check(a is not None and a["ports"] == N and a["kinds"].get("port0_bind", {}).get("sockets") == N
          and a["reuseaddr"] == 0, "child A (pid %d): %d ports, all port0_bind: %s" % (pid_a, N, a))
    check(b is not None and b["ports"] == N2 + 1 and b["kinds"].get("explicit_port", {}).get("sockets") == N2
          and b["kinds"].get("listener", {}).get("sockets") == 1 and b["reuseaddr"] == N2,
          "child B (pid %d): %d SO_REUSEADDR explicit ports and a listener: %s" % (pid_b, N2, b))
    check(set(holders) == {pid_a, pid_b}, "no other holders: %s" % sorted(holders))
    check(all(k["remedy"] for h in ns["holders"] for k in h["kinds"].values()), "every kind names its remedy")

    # TIME_WAIT counted as the kernel counts it when it may reuse one: tcp_tw_reuse 1, past the delay
    sysctl("tcp_tw_reuse", "1")
    time.sleep(1.5)
    ns = snapshot()
    d = ns["destination"]
    check(d["time_wait_reusable"] == K and d["taken"] == M,
          "tcp_tw_reuse 1: %d TIME_WAIT reusable (want %d), taken %d (want %d)" % (d["time_wait_reusable"], K, d["taken"], M))
    truth = ground_truth()
    check(d["usable"] == truth, "tcp_tw_reuse 1: usable %d == %d plain connect()s until EADDRNOTAVAIL" % (d["usable"], truth))

    # IPv6: another destination; the IPv4 connections' ports are shareable with it
    ln6 = socket.socket(socket.AF_INET6)
    ln6.bind(("::1", 5002))
    ln6.listen(4096)
    v6 = []
    for _ in range(3):
        s = socket.socket(socket.AF_INET6)
        s.connect(("::1", 5002))
        v6.append(s)
    p = tristate("--dest", "[::1]:5002", "--json", "-")
    d6 = json.loads(p.stdout)["namespaces"][0]["destination"] if p.returncode == 0 else {}
    truth = ground_truth(("::1", 5002), socket.AF_INET6)
    check(d6.get("taken") == 3 and d6.get("usable") == truth and d6.get("source") == "[::1]",
          "[::1]:5002: usable %s == %d plain connect()s until EADDRNOTAVAIL, taken %s == 3" % (d6.get("usable"), truth, d6.get("taken")))

    # text: the verdict comes first
    p = tristate("--dest", "%s:%d" % DEST)
    first = p.stdout.splitlines()[0] if p.stdout else ""
    check(first.startswith("connect() to 127.0.0.1:5000 from netns self can use ") and "python3[%d]" % pid_a in first,
          "the verdict first: " + first)
    check("port0_bind: bind(addr, 0) before connect(): set IP_BIND_ADDRESS_NO_PORT" in p.stdout
          and "explicit_port: " in p.stdout and "listener: " in p.stdout, "the text names the remedy of each kind seen")
    # --netns PATH and PID: the same namespace through a process
    p = tristate("--netns", "/proc/%d/ns/net" % pid_b, "--json", "-")
    check(p.returncode == 0 and json.loads(p.stdout)["namespaces"][0]["blocked"] == len(blocked_ports),
          "--netns /proc/PID/ns/net reads that namespace")
    p = tristate("--netns", str(pid_a), "--json", "-")
    check(p.returncode == 0 and json.loads(p.stdout)["namespaces"][0]["blocked"] == len(blocked_ports),
          "--netns PID reads that process's namespace")
    p = tristate("--netns", "all", "--json", "-")
    me = os.stat("/proc/self/ns/net").st_ino
    check(p.returncode == 0 and any(n["inode"] == me and n["blocked"] == len(blocked_ports)
                                    for n in json.loads(p.stdout)["namespaces"]), "--netns all includes this namespace")
    # --watch: a verdict per snapshot until SIGINT
    # Waits for the third verdict (not a fixed time: on a loaded machine one snapshot can take
    # longer than the interval), then interrupts.
    w = subprocess.Popen([TRISTATE, "ports", "--watch", "200ms"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen, deadline = "", time.monotonic() + 30
    while seen.count("are blocked by bind()-made buckets") < 3 and time.monotonic() < deadline:
        if select.select([w.stdout], [], [], 1.0)[0]:
            line = w.stdout.readline()
            if not line:
                break
            seen += line
    w.send_signal(signal.SIGINT)
    rest, _ = w.communicate(timeout=10)
    out = seen + rest
    check(w.returncode == 0 and out.count("are blocked by bind()-made buckets") >= 3,
          "--watch 200ms prints the verdict again, ends on SIGINT with 0 (%d verdicts)" % out.count("are blocked"))

    # bad input: exit 2, a message naming the problem
    gone = subprocess.Popen(["sleep", "0"])
    gone.wait()
    for args, words in ((["--netns", "/nonexistent/ns"], "/nonexistent/ns"),
                        (["--netns", "/etc/hostname"], "not a namespace file"),
                        (["--netns", str(gone.pid)], "no process %d" % gone.pid),
                        (["--netns", "bogus"], "expected a path"),
                        (["--dest", "notanaddress"], "expected ADDR:PORT"),
                        (["--dest", "127.0.0.1:70000"], "expected ADDR:PORT"),
                        (["--watch", "soon"], "soon")):
        p = tristate(*args, expect=2)
        check(p.returncode == 2 and words in p.stderr, "%s: exit %d, %s" % (" ".join(args), p.returncode, p.stderr.strip()))
    for pid in (pid_a, pid_b):
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    print("%d checks failed" % len(failures) if failures else "all checks passed")
    sys.exit(1 if failures else 0)


TRISTATE, SCHEMA = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
if os.environ.get("CHECK_PORTS_INSIDE") != "1":
    if os.geteuid() != 0:
        sys.exit("check_ports.py needs root (a private network namespace, BPF iterators)")
    env = dict(os.environ, CHECK_PORTS_INSIDE="1", CHECK_PORTS_OUTER_NS=str(os.stat("/proc/self/ns/net").st_ino))
    sys.exit(subprocess.run(["unshare", "--net", "--", "/usr/bin/python3", os.path.abspath(__file__), *sys.argv[1:]],
                            env=env).returncode)
import jsonschema  # noqa: E402  (Debian's python3-jsonschema, as scripts/validate-report.py)
with open(SCHEMA) as f:
    VALIDATOR = jsonschema.Draft202012Validator(json.load(f))
main()
