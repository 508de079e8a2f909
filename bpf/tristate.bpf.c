// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
/* Bind-bucket tracer: follows inet_bind_bucket fastreuse/fastreuseport (-1 / 0 / +1) through
 * bind(), listen(), connect() and release.
 *
 * Every traced point exists twice: fentry/fexit and kprobe/kretprobe. Both wrappers call the
 * same handler; the fentry/fexit one tells it (`direct`, read.bpf.h) that its arguments may be
 * dereferenced, the kprobe one that every read must go through bpf_probe_read_kernel().
 * Userspace (trace/attach_plan.cpp) keeps one mechanism per function and turns the others off
 * with bpf_program__set_autoload(false). Where a prototype changed in a way CO-RE
 * cannot relocate (argument order or count), there is one wrapper per prototype, suffixed
 * __<variant>, and userspace picks the one matching the running kernel's BTF. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "core_fixes.bpf.h"
#include "tristate.h"
#include "filters.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define TCP_LISTEN_STATE 10

/* Configuration, fixed before load. */
const volatile bool filter_netns = true;  /* only netns inodes present in netns_filter */
const volatile __u32 target_tgid = 0;     /* 0: any process */
const volatile __u64 bucket_salt = 0;     /* per-run key for bucket ids */
const volatile bool wakeup = false;       /* quiz mode drains explicitly: no wakeups */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ts_counters);
} counters SEC(".maps");

/* Network namespaces (inode numbers) being traced. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u8);
} netns_filter SEC(".maps");

/* The first TS_NETNS_FAST watched namespaces, mirrored from netns_filter by userspace
 * (Tracer::watch_netns): a few compares instead of a hash lookup, once in every program run,
 * a dozen times per connection. An entry never moves while it is watched (removing one leaves
 * a 0 in its place), so a namespace watched throughout is found during any rewrite.
 * netns_fast_n: entries in use, or TS_NETNS_SLOW once more were watched (the map decides). */
__u32 netns_fast[TS_NETNS_FAST];
__u32 netns_fast_n;

/* The socket operation running on a thread: set at entry of inet_csk_get_port,
 * __inet_hash_connect and inet_put_port, ended (func = 0) at their exit. Inner probes use it to
 * say who caused an event, and __inet_hash_connect's exit to see the state it wrote into a
 * bucket after inet_bind_bucket_create() returned (create always initialises 0/0). */
struct op {
	__u64 sk;
	__u64 tb;          /* release: the bucket the socket was on */
	__u64 created_tb;  /* bucket created during this operation */
	__u64 started;     /* bpf_jiffies64() at entry: tells a stale op from a live one */
	__u32 netns;       /* the socket's, checked against the filter at entry */
	__u16 snum;
	__u8 path;
	__u8 func;         /* enum ts_func; 0: no operation in progress */
	__s8 fr;           /* release: state at entry */
	__s8 frp;
	__s8 created_fr;   /* created_tb's state at creation */
	__s8 created_frp;
	__u8 destroyed;    /* the bucket in `tb` was freed during the operation */
	__u8 sole_owner;   /* release: the socket was `tb`'s only owner at entry */
	__u8 pad[2];
};

/* Entry state of an inner function (inet_csk_update_fastreuse). */
struct inner {
	__u64 tb;
	__u64 sk;
	__u32 netns;       /* tb's, checked against the filter at entry */
	__u8 func;         /* 0: none in progress */
	__s8 fr;
	__s8 frp;
	__u8 pad[1];
};

/* A thread's op and inner record live in slot tid % TS_SLOTS, tagged with the owning tid and
 * written in place. A hash map keyed by tid cost an insert and a delete per operation, a
 * quarter of the programs' time in a connect() loop (bench/trace_bench --profile); an array
 * lookup is inlined by the verifier into a few instructions. Two threads share a slot
 * only when their tids are equal modulo TS_SLOTS: the second takes it once the first's op is
 * over (or stale), and a live op is never clobbered: what cannot be followed is counted
 * (ts_counters.busy, reported in trace.missed), not silently lost. */
#define TS_SLOTS 8192
/* An op's age is told in jiffies: staleness is a matter of seconds, and bpf_ktime_get_ns()
 * cost ~50 instructions at every operation's entry (bench/trace_bench --profile; the coarse
 * clock is refused to tracing programs). 1000 jiffies: 1 s at HZ=1000, 4 s at Debian's 250. */
#define TS_STALE_JIFFIES 1000

/* How long ago, in jiffies, the op started (bpf_jiffies64() at its entry). */
static __always_inline __u64 op_age(const struct op *o)
{
	return bpf_jiffies64() - o->started;
}

struct slot {
	__u32 tid;
	__u32 pad;
	struct op op;
	struct inner in;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TS_SLOTS);
	__type(key, __u32);
	__type(value, struct slot);
} slots SEC(".maps");

/* This CPU's counters (NULL only if the map were broken). */
static __always_inline struct ts_counters *counters_here(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&counters, &zero);
}

static __always_inline void count_busy(void)
{
	struct ts_counters *c = counters_here();

	if (c)
		c->busy++;
}

static __always_inline __u32 tid_of(void)
{
	return (__u32)bpf_get_current_pid_tgid();
}

static __always_inline bool wanted_task(void)
{
	if (target_tgid && (bpf_get_current_pid_tgid() >> 32) != target_tgid)
		return false;
	return want_task();
}

static __always_inline bool wanted_netns(__u32 inum)
{
	__u32 n;

	if (!filter_netns)
		return true;
	n = *(volatile __u32 *)&netns_fast_n;
	if (n > TS_NETNS_FAST)
		return bpf_map_lookup_elem(&netns_filter, &inum) != NULL;
	if (!inum) /* a free entry is 0, no namespace's inode */
		return false;
	for (__u32 i = 0; i < TS_NETNS_FAST; i++)
		if (i < n && netns_fast[i] == inum)
			return true;
	return false;
}

/* direct: see read.bpf.h; every helper below that takes it passes it on to its reads. */
static __always_inline __u32 netns_of_bucket(bool direct, const struct inet_bind_bucket *tb)
{
	return TS_READ(direct, tb, ib_net.net, ns.inum);
}

static __always_inline __u32 netns_of_bucket2(bool direct, const struct inet_bind2_bucket *tb2)
{
	return TS_READ(direct, tb2, ib_net.net, ns.inum);
}

static __always_inline __u32 netns_of_sock(bool direct, const struct sock *sk)
{
	return TS_READ(direct, sk, __sk_common.skc_net.net, ns.inum);
}

/* An address as a number, to remember and compare. In fentry programs p is a BTF pointer: the
 * verifier lets a privileged program store and compare it (bpf_allow_ptr_leaks: tracing
 * programs need CAP_PERFMON anyway), and memory gives it back as a plain number. No helper
 * call: a bpf_probe_read_kernel() of the pointer did the same at ~15 calls per connection. */
#define addr_of(p) ((__u64)(p))

static __always_inline __u64 bucket_id(__u64 addr)
{
	__u64 x = addr ^ bucket_salt;

	/* splitmix64 finaliser: ids stay stable within a run, addresses do not leak */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* e->bucket for the bucket at p. Arithmetic on a BTF pointer is refused even to privileged
 * programs: the address goes through the record (a volatile load, so clang cannot keep it in
 * the register) and comes back as a number. */
static __always_inline void set_bucket_id(struct ts_event *e, const void *p)
{
	e->bucket = addr_of(p);
	e->bucket = bucket_id(*(volatile __u64 *)&e->bucket);
}

/* Who runs, into e. 5.11+ hand out the task itself (bpf_get_current_task_btf()): its ids and
 * comm are a few loads. bpf_get_current_comm() copies comm with strscpy(), a loop that cost
 * more than anything else in a record but the ring buffer itself (5.10 keeps it). */
static __always_inline void fill_task(struct ts_event *e)
{
	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_get_current_task_btf)) {
		struct task_struct *t = bpf_get_current_task_btf();

		e->pid = t->tgid;
		e->tid = t->pid;
		__builtin_memcpy(e->comm, t->comm, sizeof(e->comm));
	} else {
		__u64 id = bpf_get_current_pid_tgid();

		e->pid = id >> 32;
		e->tid = (__u32)id;
		bpf_get_current_comm(e->comm, sizeof(e->comm));
	}
}

static __always_inline struct ts_event *reserve(__u8 kind, __u8 func, __u32 netns)
{
	struct ts_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		struct ts_counters *c = counters_here();

		if (c)
			c->lost++;
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = bpf_ktime_get_ns();
	e->netns = netns;
	e->kind = kind;
	e->func = func;
	fill_task(e);
	return e;
}

static __always_inline void submit(struct ts_event *e)
{
	struct ts_counters *c = counters_here();

	if (!want_event(e)) {
		/* A discarded record keeps its ring space until the reader moves past it: wake the
		 * reader by the same rule as for a submitted one, or under load a --failed-only
		 * trace fills the ring with discards and loses the failure that follows. */
		bpf_ringbuf_discard(e, submit_flags(c ? &c->records : NULL, wakeup));
		return;
	}
	if (c)
		c->events++;
	bpf_ringbuf_submit(e, submit_flags(c ? &c->records : NULL, wakeup));
}

/* The calling thread's slot; NULL while another thread's record holds it. */
static __always_inline struct slot *my_slot(__u32 tid)
{
	__u32 idx = tid % TS_SLOTS;
	struct slot *s = bpf_map_lookup_elem(&slots, &idx);

	return s && s->tid == tid ? s : NULL;
}

/* The calling thread's slot, taken over from a thread whose operation is over or stale. Two
 * CPUs taking the same slot at the same instant could interleave their writes; that needs two
 * tids equal modulo TS_SLOTS entering a traced function together. */
static __always_inline struct slot *claim_slot(__u32 tid)
{
	__u32 idx = tid % TS_SLOTS;
	struct slot *s = bpf_map_lookup_elem(&slots, &idx);

	if (!s || s->tid == tid)
		return s;
	if (s->op.func && op_age(&s->op) < TS_STALE_JIFFIES) {
		count_busy();
		return NULL;
	}
	/* An inner record has no age (its functions run under a spinlock and never sleep): one
	 * left by the other thread is taken over, and counted, since its exit will find nothing. */
	if (s->in.func)
		count_busy();
	s->tid = tid;
	s->op.func = 0;
	s->in.func = 0;
	return s;
}

/* The operation in progress on a slot, if any. */
static __always_inline struct op *live_op(struct slot *s)
{
	return s && s->op.func ? &s->op : NULL;
}

/* The operation in progress on this thread, if any. */
static __always_inline struct op *current_op(__u32 tid)
{
	return live_op(my_slot(tid));
}

static __always_inline __u8 current_path(void)
{
	struct op *o = current_op(tid_of());

	return o ? o->path : TS_PATH_NONE;
}

/* Claims the thread's op slot for an operation on `sk`. Softirq work can run on the same
 * thread in the middle of an operation (loopback: spin_unlock_bh() inside
 * __inet_hash_connect processes packets, and tcp_done() -> inet_put_port() for another
 * socket, possibly of another namespace, runs there). Such a nested operation must not
 * clobber the outer one, whose exit would then find nothing and its event would be lost
 * silently. Operations on sockets of namespaces not traced are never recorded. An op older
 * than TS_STALE_JIFFIES is stale (its exit was never seen) and may be replaced. Returns the
 * thread's op record to fill, and the socket's namespace. */
static __always_inline struct op *claim_op(bool direct, __u32 tid, const struct sock *sk,
					   __u32 *netns)
{
	struct slot *s;

	*netns = netns_of_sock(direct, sk);
	if (!wanted_netns(*netns))
		return NULL;
	s = claim_slot(tid);
	if (!s)
		return NULL;
	if (s->op.func && s->op.sk != addr_of(sk) && op_age(&s->op) <= TS_STALE_JIFFIES)
		return NULL;
	return &s->op;
}

static __always_inline void fill_bucket(bool direct, struct ts_event *e,
					const struct inet_bind_bucket *tb)
{
	set_bucket_id(e, tb);
	e->port = TS_READ(direct, tb, port);
	e->l3mdev = TS_READ(direct, tb, l3mdev);
}

/* The bucket, and its state now as the event's `after`. */
static __always_inline void fill_bucket_after(bool direct, struct ts_event *e,
					      const struct inet_bind_bucket *tb)
{
	fill_bucket(direct, e, tb);
	ts_read_state(direct, tb, &e->after_fastreuse, &e->after_fastreuseport);
	e->flags |= TS_F_AFTER;
}

/* netns: tb's, already checked against the filter. */
static __always_inline void emit_state(bool direct, const struct inet_bind_bucket *tb, __u32 netns,
				       __u8 func, __u8 path, __s8 bfr, __s8 bfrp, __s8 afr, __s8 afrp)
{
	struct ts_event *e;

	e = reserve(TS_EV_BUCKET_STATE, func, netns);
	if (!e)
		return;
	fill_bucket(direct, e, tb);
	e->path = path;
	e->flags = TS_F_BEFORE | TS_F_AFTER;
	e->before_fastreuse = bfr;
	e->before_fastreuseport = bfrp;
	e->after_fastreuse = afr;
	e->after_fastreuseport = afrp;
	submit(e);
}

#include "state_iter.bpf.h"

/* The socket's port, and its bucket with the bucket's state, into an allocation event; returns
 * the bucket (NULL: none). A struct sock argument does not reach icsk_bind_hash by a direct
 * read (the verifier checks the access against struct sock); bpf_skc_to_tcp_sock() (5.9+)
 * turns it into a tcp_sock that does, one helper call instead of six probe reads. A socket
 * that is not TCP's (DCCP shares inet_csk_get_port) and kprobes take the probe-read path. */
static __always_inline const struct inet_bind_bucket *fill_alloc(bool direct, struct ts_event *e,
								  const struct sock *sk)
{
	const struct inet_bind_bucket *tb;

	if (direct) {
		struct tcp_sock *tp = bpf_skc_to_tcp_sock((void *)sk);

		if (tp) {
			e->port = tp->inet_conn.icsk_inet.sk.__sk_common.skc_num;
			tb = tp->inet_conn.icsk_bind_hash;
			if (tb)
				fill_bucket_after(true, e, tb);
			return tb;
		}
	}
	e->port = BPF_CORE_READ(sk, __sk_common.skc_num);
	tb = BPF_CORE_READ((const struct inet_connection_sock *)sk, icsk_bind_hash);
	if (tb)
		fill_bucket_after(false, e, tb);
	return tb;
}

/* ---- inet_csk_get_port: bind() and listen() allocation ---- */

/* At an exit: is the thread's op this call's? fexit knows the socket; a kretprobe does not
 * (NULL) and trusts the function id alone. */
static __always_inline bool own_op(const struct op *o, const struct sock *sk)
{
	return !sk || o->sk == addr_of(sk);
}

static __always_inline int get_port_entry(bool direct, struct sock *sk, __u16 snum)
{
	__u32 tid = tid_of();
	struct op o = {}, *slot;

	if (!wanted_task() || !(slot = claim_op(direct, tid, sk, &o.netns)))
		return 0;
	o.started = bpf_jiffies64();
	o.sk = addr_of(sk);
	o.snum = snum;
	o.func = TS_FN_INET_CSK_GET_PORT;
	/* inet_csk_listen_start() sets TCP_LISTEN before it asks for the port again */
	o.path = TS_READ(direct, sk, __sk_common.skc_state) == TCP_LISTEN_STATE ? TS_PATH_LISTEN
										 : TS_PATH_BIND;
	*slot = o;
	return 0;
}

/* sk: fexit's argument (direct); a kretprobe has none (NULL) and takes the op's. */
static __always_inline int get_port_exit(bool direct, const struct sock *sk, long ret)
{
	struct op *o = current_op(tid_of());
	struct ts_event *e;

	if (!o || o->func != TS_FN_INET_CSK_GET_PORT || !own_op(o, sk))
		return 0;
	if (!direct)
		sk = (const struct sock *)o->sk;
	if ((e = reserve(TS_EV_BIND_ALLOC, TS_FN_INET_CSK_GET_PORT, o->netns))) {
		e->path = o->path;
		e->requested_port = o->snum;
		e->result = (__s32)ret;
		e->flags = TS_F_RESULT | TS_F_REQUESTED;
		fill_alloc(direct, e, sk);
		submit(e);
	}
	o->func = 0;
	return 0;
}

SEC("fentry/inet_csk_get_port")
int BPF_PROG(fentry__inet_csk_get_port, struct sock *sk, unsigned short snum)
{
	return get_port_entry(true, sk, snum);
}

SEC("fexit/inet_csk_get_port")
int BPF_PROG(fexit__inet_csk_get_port, struct sock *sk, unsigned short snum, int ret)
{
	return get_port_exit(true, sk, ret);
}

SEC("kprobe/inet_csk_get_port")
int BPF_KPROBE(kprobe__inet_csk_get_port, struct sock *sk, unsigned short snum)
{
	return get_port_entry(false, sk, snum);
}

SEC("kretprobe/inet_csk_get_port")
int BPF_KRETPROBE(kretprobe__inet_csk_get_port, int ret)
{
	return get_port_exit(false, NULL, ret);
}

/* ---- __inet_hash_connect: connect() allocation ---- */

static __always_inline int hash_connect_entry(bool direct, struct sock *sk)
{
	__u32 tid = tid_of();
	struct op o = {}, *slot;

	if (!wanted_task() || !(slot = claim_op(direct, tid, sk, &o.netns)))
		return 0;
	o.started = bpf_jiffies64();
	o.sk = addr_of(sk);
	o.func = TS_FN_INET_HASH_CONNECT;
	o.path = TS_PATH_CONNECT;
	o.snum = TS_READ(direct, sk, __sk_common.skc_num);
	*slot = o;
	return 0;
}

/* The record about e's bucket that goes before the allocation event `e` it explains, stamped
 * just before it. */
static __always_inline struct ts_event *reserve_before(struct ts_event *e, __u8 kind, __u32 netns)
{
	struct ts_event *c = reserve(kind, TS_FN_INET_HASH_CONNECT, netns);

	if (c) {
		c->ts_ns = e->ts_ns;
		e->ts_ns += 1;
		c->bucket = e->bucket;
		c->port = e->port;
		c->l3mdev = e->l3mdev;
		c->path = TS_PATH_CONNECT;
		c->flags = TS_F_AFTER;
		c->after_fastreuse = e->after_fastreuse;
		c->after_fastreuseport = e->after_fastreuseport;
	}
	return c;
}

/* connect() gave an unbound socket the bucket tb, in the state `e` holds (its `after`), which
 * __inet_hash_connect wrote (-1/-1) after inet_bind_bucket_create() returned 0/0. Reported
 * before e:
 *  - a bucket whose creation was seen during the call: that write, as a state change;
 *  - a bucket nobody else holds, but no create seen: inet_bind_bucket_create() ran inlined
 *    (every lab kernel): its creation, with the state the call left it in.
 * Read here, after the call unlocked the bucket: a bind() of another thread onto it in
 * between would show through (its own update event says so). The probes inside the lock
 * (inet_bind_hash) never fired from connect() on a lab kernel, and cost every bind(). */
static __always_inline void connect_made_bucket(struct op *o, const struct inet_bind_bucket *tb,
						struct ts_event *e)
{
	struct ts_event *c;

	if (o->created_tb == addr_of(tb)) {
		if (o->created_fr == e->after_fastreuse && o->created_frp == e->after_fastreuseport)
			return;
		if ((c = reserve_before(e, TS_EV_BUCKET_STATE, o->netns))) {
			c->flags |= TS_F_BEFORE;
			c->before_fastreuse = o->created_fr;
			c->before_fastreuseport = o->created_frp;
			submit(c);
		}
	} else if (!o->created_tb && ts_bucket_single_owner(false, tb)) {
		if ((c = reserve_before(e, TS_EV_BUCKET_CREATE, o->netns)))
			submit(c);
	}
}

/* sk: as for get_port_exit() */
static __always_inline int hash_connect_exit(bool direct, const struct sock *sk, long ret)
{
	struct op *o = current_op(tid_of());
	const struct inet_bind_bucket *tb;
	struct ts_event *e;
	__u32 netns;

	if (!o || o->func != TS_FN_INET_HASH_CONNECT || !own_op(o, sk))
		return 0;
	if (!direct)
		sk = (const struct sock *)o->sk;
	netns = o->netns;
	if ((e = reserve(TS_EV_CONNECT_ALLOC, TS_FN_INET_HASH_CONNECT, netns))) {
		e->path = TS_PATH_CONNECT;
		e->result = (__s32)ret;
		e->flags = TS_F_RESULT;
		if (o->snum) { /* already bound: bind() chose the port */
			e->requested_port = o->snum;
			e->flags |= TS_F_REQUESTED;
		}
		tb = fill_alloc(direct, e, sk);
		if (tb && ret == 0 && !o->snum)
			connect_made_bucket(o, tb, e);
		submit(e);
	}
	o->func = 0;
	return 0;
}

SEC("fentry/__inet_hash_connect")
int BPF_PROG(fentry____inet_hash_connect, void *death_row, struct sock *sk)
{
	return hash_connect_entry(true, sk);
}

/* <= 6.14: (death_row, sk, port_offset, check_established) */
SEC("fexit/__inet_hash_connect")
int BPF_PROG(fexit____inet_hash_connect__a4, void *death_row, struct sock *sk, __u64 port_offset,
	     void *check_established, int ret)
{
	return hash_connect_exit(true, sk, ret);
}

/* 6.15+: (death_row, sk, port_offset, hash_port0, check_established) */
SEC("fexit/__inet_hash_connect")
int BPF_PROG(fexit____inet_hash_connect__a5, void *death_row, struct sock *sk, __u64 port_offset,
	     __u32 hash_port0, void *check_established, int ret)
{
	return hash_connect_exit(true, sk, ret);
}

SEC("kprobe/__inet_hash_connect")
int BPF_KPROBE(kprobe____inet_hash_connect, void *death_row, struct sock *sk)
{
	return hash_connect_entry(false, sk);
}

SEC("kretprobe/__inet_hash_connect")
int BPF_KRETPROBE(kretprobe____inet_hash_connect, int ret)
{
	return hash_connect_exit(false, NULL, ret);
}

/* ---- inet_bind_bucket_create: a new bhash bucket (always 0/0 here) ---- */

static __always_inline int bucket_create_exit(bool direct, struct inet_bind_bucket *tb)
{
	struct op *o;
	struct ts_event *e;
	__u32 netns;

	if (!tb || !wanted_task())
		return 0;
	o = current_op(tid_of());
	netns = netns_of_bucket(direct, tb);
	if (!wanted_netns(netns))
		return 0;
	e = reserve(TS_EV_BUCKET_CREATE, TS_FN_BIND_BUCKET_CREATE, netns);
	if (!e)
		return 0;
	fill_bucket_after(direct, e, tb);
	e->path = o ? o->path : TS_PATH_NONE;
	if (o) {
		o->created_tb = addr_of(tb);
		o->created_fr = e->after_fastreuse;
		o->created_frp = e->after_fastreuseport;
	}
	submit(e);
	return 0;
}

SEC("fexit/inet_bind_bucket_create")
int BPF_PROG(fexit__inet_bind_bucket_create, void *cachep, struct net *net, void *head,
	     unsigned short snum, int l3mdev, struct inet_bind_bucket *ret)
{
	return bucket_create_exit(true, ret);
}

SEC("kretprobe/inet_bind_bucket_create")
int BPF_KRETPROBE(kretprobe__inet_bind_bucket_create, struct inet_bind_bucket *ret)
{
	return bucket_create_exit(false, ret);
}

/* ---- inner functions: entry state kept on the thread's slot until their exit ---- */

/* Entry of an inner function: tb and its state, on the thread's slot. NULL: not followed
 * (task or namespace filtered out, slot held by another thread). */
static __always_inline struct slot *inner_entry(bool direct, __u8 func,
						const struct inet_bind_bucket *tb,
						const struct sock *sk)
{
	struct inner in = {};
	struct slot *s;

	/* the namespace first: a bind() elsewhere on the machine costs a map lookup, no write */
	if (!wanted_task())
		return NULL;
	in.netns = netns_of_bucket(direct, tb);
	if (!wanted_netns(in.netns) || !(s = claim_slot(tid_of())))
		return NULL;
	in.tb = addr_of(tb);
	in.sk = addr_of(sk);
	in.func = func;
	ts_read_state(direct, tb, &in.fr, &in.frp);
	s->in = in;
	return s;
}

/* Exit of the same: the slot entry filled, with tb's state now in fr/frp; NULL when entry
 * recorded nothing. *tbp: fexit's argument (direct); a kretprobe has none (NULL) and gets the
 * bucket entry saw. The caller ends the record (in.func = 0). */
static __always_inline struct slot *inner_exit(bool direct, __u8 func,
					       const struct inet_bind_bucket **tbp, __s8 *fr, __s8 *frp)
{
	struct slot *s = my_slot(tid_of());

	if (!s || s->in.func != func)
		return NULL;
	if (!direct)
		*tbp = (const struct inet_bind_bucket *)s->in.tb;
	else if (s->in.tb != addr_of(*tbp))
		return NULL;
	ts_read_state(direct, *tbp, fr, frp);
	return s;
}

/* ---- inet_csk_update_fastreuse: bind() moves the state 0 / +1 ---- */

static __always_inline int update_fastreuse_entry(bool direct, struct inet_bind_bucket *tb,
						  struct sock *sk)
{
	inner_entry(direct, TS_FN_UPDATE_FASTREUSE, tb, sk);
	return 0;
}

static __always_inline int update_fastreuse_exit(bool direct, const struct inet_bind_bucket *tb)
{
	struct slot *s;
	struct op *o;
	__s8 fr, frp;

	if (!(s = inner_exit(direct, TS_FN_UPDATE_FASTREUSE, &tb, &fr, &frp)))
		return 0;
	o = live_op(s);
	/* always reported: this is where bind() decides, even when it keeps the state */
	emit_state(direct, tb, s->in.netns, TS_FN_UPDATE_FASTREUSE, o ? o->path : TS_PATH_NONE,
		   s->in.fr, s->in.frp, fr, frp);
	s->in.func = 0;
	return 0;
}

/* <= 6.17: inet_csk_update_fastreuse(tb, sk) */
SEC("fentry/inet_csk_update_fastreuse")
int BPF_PROG(fentry__inet_csk_update_fastreuse__tb_sk, struct inet_bind_bucket *tb, struct sock *sk)
{
	return update_fastreuse_entry(true, tb, sk);
}

/* 6.18+: inet_csk_update_fastreuse(sk, tb, tb2) */
SEC("fentry/inet_csk_update_fastreuse")
int BPF_PROG(fentry__inet_csk_update_fastreuse__sk_tb, struct sock *sk, struct inet_bind_bucket *tb)
{
	return update_fastreuse_entry(true, tb, sk);
}

SEC("fexit/inet_csk_update_fastreuse")
int BPF_PROG(fexit__inet_csk_update_fastreuse__tb_sk, struct inet_bind_bucket *tb)
{
	return update_fastreuse_exit(true, tb);
}

SEC("fexit/inet_csk_update_fastreuse")
int BPF_PROG(fexit__inet_csk_update_fastreuse__sk_tb, struct sock *sk, struct inet_bind_bucket *tb)
{
	return update_fastreuse_exit(true, tb);
}

SEC("kprobe/inet_csk_update_fastreuse")
int BPF_KPROBE(kprobe__inet_csk_update_fastreuse__tb_sk, struct inet_bind_bucket *tb, struct sock *sk)
{
	return update_fastreuse_entry(false, tb, sk);
}

SEC("kprobe/inet_csk_update_fastreuse")
int BPF_KPROBE(kprobe__inet_csk_update_fastreuse__sk_tb, struct sock *sk, struct inet_bind_bucket *tb)
{
	return update_fastreuse_entry(false, tb, sk);
}

SEC("kretprobe/inet_csk_update_fastreuse")
int BPF_KRETPROBE(kretprobe__inet_csk_update_fastreuse)
{
	return update_fastreuse_exit(false, NULL);
}

/* ---- inet_bind_bucket_destroy: frees tb only when nothing hangs on it ---- */

static __always_inline int bucket_destroy_entry(bool direct, struct inet_bind_bucket *tb)
{
	struct ts_event *e;
	struct op *o;
	__u32 netns;

	if (!tb || !ts_bucket_empty(direct, tb))
		return 0;
	o = current_op(tid_of());
	if (o && o->tb == addr_of(tb))
		o->destroyed = 1;
	if (!wanted_task())
		return 0;
	netns = netns_of_bucket(direct, tb);
	if (!wanted_netns(netns))
		return 0;
	e = reserve(TS_EV_BUCKET_DESTROY, TS_FN_BIND_BUCKET_DESTROY, netns);
	if (!e)
		return 0;
	fill_bucket(direct, e, tb);
	ts_read_state(direct, tb, &e->before_fastreuse, &e->before_fastreuseport);
	e->flags = TS_F_BEFORE;
	e->path = o ? o->path : TS_PATH_NONE;
	submit(e);
	return 0;
}

/* <= 6.14: inet_bind_bucket_destroy(cachep, tb) */
SEC("fentry/inet_bind_bucket_destroy")
int BPF_PROG(fentry__inet_bind_bucket_destroy__cachep_tb, void *cachep, struct inet_bind_bucket *tb)
{
	return bucket_destroy_entry(true, tb);
}

/* 6.15+: inet_bind_bucket_destroy(tb) */
SEC("fentry/inet_bind_bucket_destroy")
int BPF_PROG(fentry__inet_bind_bucket_destroy__tb, struct inet_bind_bucket *tb)
{
	return bucket_destroy_entry(true, tb);
}

SEC("kprobe/inet_bind_bucket_destroy")
int BPF_KPROBE(kprobe__inet_bind_bucket_destroy__cachep_tb, void *cachep, struct inet_bind_bucket *tb)
{
	return bucket_destroy_entry(false, tb);
}

SEC("kprobe/inet_bind_bucket_destroy")
int BPF_KPROBE(kprobe__inet_bind_bucket_destroy__tb, struct inet_bind_bucket *tb)
{
	return bucket_destroy_entry(false, tb);
}

/* ---- inet_put_port: a socket leaves its port (close, failed connect) ---- */

static __always_inline int put_port_entry(bool direct, struct sock *sk)
{
	__u32 tid = tid_of();
	const struct inet_bind_bucket *tb;
	struct tcp_sock *tp;
	struct op o = {}, *slot;

	if (!wanted_task() || !(slot = claim_op(direct, tid, sk, &o.netns)))
		return 0;
	/* the bucket as fill_alloc() reaches it */
	if (direct && (tp = bpf_skc_to_tcp_sock(sk))) {
		tb = tp->inet_conn.icsk_bind_hash;
		if (!tb)
			return 0;
		o.snum = tb->port;
		ts_read_state(true, tb, &o.fr, &o.frp);
		o.sole_owner = ts_bucket_single_owner(true, tb);
	} else {
		tb = BPF_CORE_READ((struct inet_connection_sock *)sk, icsk_bind_hash);
		if (!tb)
			return 0;
		o.snum = BPF_CORE_READ(tb, port);
		ts_read_state(false, tb, &o.fr, &o.frp);
		o.sole_owner = ts_bucket_single_owner(false, tb);
	}
	o.started = bpf_jiffies64();
	o.sk = addr_of(sk);
	o.tb = addr_of(tb);
	o.func = TS_FN_PUT_PORT;
	o.path = TS_PATH_RELEASE;
	*slot = o;
	return 0;
}

static __always_inline int put_port_exit(const struct sock *sk)
{
	struct op *o = current_op(tid_of());
	struct inet_bind_bucket *tb;
	__s8 fr, frp;

	if (!o || o->func != TS_FN_PUT_PORT || !own_op(o, sk))
		return 0;
	tb = (struct inet_bind_bucket *)o->tb;
	if (!o->destroyed && o->sole_owner) {
		/* The last owner left, so __inet_put_port freed the bucket, but the destroy probe
		 * did not fire: 5.10 - 6.12 inline inet_bind_bucket_destroy() there (same file).
		 * Report it here, from what entry saw; tb itself is freed memory now. */
		struct ts_event *e;

		if ((e = reserve(TS_EV_BUCKET_DESTROY, TS_FN_PUT_PORT, o->netns))) {
			e->bucket = bucket_id(o->tb);
			e->port = o->snum;
			e->path = TS_PATH_RELEASE;
			e->before_fastreuse = o->fr;
			e->before_fastreuseport = o->frp;
			e->flags = TS_F_BEFORE;
			submit(e);
		}
	} else if (!o->destroyed && ts_release_moves_state()) {
		/* 6.18 moves a bucket back to -1 when its last bind()-owned socket leaves */
		ts_read_state(false, tb, &fr, &frp);
		if (fr != o->fr || frp != o->frp)
			emit_state(false, tb, o->netns, TS_FN_PUT_PORT, TS_PATH_RELEASE, o->fr, o->frp, fr, frp);
	}
	o->func = 0;
	return 0;
}

SEC("fentry/inet_put_port")
int BPF_PROG(fentry__inet_put_port, struct sock *sk)
{
	return put_port_entry(true, sk);
}

SEC("fexit/inet_put_port")
int BPF_PROG(fexit__inet_put_port, struct sock *sk)
{
	return put_port_exit(sk);
}

SEC("kprobe/inet_put_port")
int BPF_KPROBE(kprobe__inet_put_port, struct sock *sk)
{
	return put_port_entry(false, sk);
}

SEC("kretprobe/inet_put_port")
int BPF_KRETPROBE(kretprobe__inet_put_port)
{
	return put_port_exit(NULL);
}

/* ---- bhash2 (6.1+): the (port, address) buckets ---- */

static __always_inline void fill_bucket2(bool direct, struct ts_event *e,
					 const struct inet_bind2_bucket *tb2)
{
	set_bucket_id(e, tb2);
	e->port = TS_READ(direct, tb2, port);
	e->l3mdev = TS_READ(direct, tb2, l3mdev);
	e->addr_family = ts_bucket2_family(direct, tb2);
	if (direct)
		__builtin_memcpy(e->addr, &tb2->v6_rcv_saddr, sizeof(e->addr));
	else
		bpf_core_read(e->addr, sizeof(e->addr), &tb2->v6_rcv_saddr);
	e->flags |= TS_F_ADDR;
	if (bpf_core_field_exists(tb2->fastreuse)) {
		e->after_fastreuse = TS_READ(direct, tb2, fastreuse);
		e->after_fastreuseport = TS_READ(direct, tb2, fastreuseport);
		e->flags |= TS_F_AFTER;
	}
}

static __always_inline int bucket2_create_exit(bool direct, struct inet_bind2_bucket *tb2)
{
	struct ts_event *e;
	__u32 netns;

	if (!tb2 || !wanted_task())
		return 0;
	netns = netns_of_bucket2(direct, tb2);
	if (!wanted_netns(netns))
		return 0;
	e = reserve(TS_EV_BUCKET2_CREATE, TS_FN_BIND2_BUCKET_CREATE, netns);
	if (!e)
		return 0;
	fill_bucket2(direct, e, tb2);
	e->path = current_path();
	submit(e);
	return 0;
}

/* 6.1 - 6.7: (cachep, net, head, port, l3mdev, sk) */
SEC("fexit/inet_bind2_bucket_create")
int BPF_PROG(fexit__inet_bind2_bucket_create__a6, void *cachep, void *net, void *head,
	     unsigned short port, int l3mdev, struct sock *sk, struct inet_bind2_bucket *ret)
{
	return bucket2_create_exit(true, ret);
}

/* 6.8+: (cachep, net, head, tb, sk) */
SEC("fexit/inet_bind2_bucket_create")
int BPF_PROG(fexit__inet_bind2_bucket_create__a5, void *cachep, void *net, void *head, void *tb,
	     struct sock *sk, struct inet_bind2_bucket *ret)
{
	return bucket2_create_exit(true, ret);
}

SEC("kretprobe/inet_bind2_bucket_create")
int BPF_KRETPROBE(kretprobe__inet_bind2_bucket_create, struct inet_bind2_bucket *ret)
{
	return bucket2_create_exit(false, ret);
}

static __always_inline int bucket2_destroy_entry(bool direct, struct inet_bind2_bucket *tb2)
{
	struct ts_event *e;
	__u32 netns;

	if (!tb2 || !ts_bucket2_empty(direct, tb2) || !wanted_task())
		return 0;
	netns = netns_of_bucket2(direct, tb2);
	if (!wanted_netns(netns))
		return 0;
	e = reserve(TS_EV_BUCKET2_DESTROY, TS_FN_BIND2_BUCKET_DESTROY, netns);
	if (!e)
		return 0;
	fill_bucket2(direct, e, tb2);
	if (e->flags & TS_F_AFTER) { /* the state it had, not one it moves to */
		e->before_fastreuse = e->after_fastreuse;
		e->before_fastreuseport = e->after_fastreuseport;
		e->after_fastreuse = e->after_fastreuseport = 0;
		e->flags = (e->flags & ~TS_F_AFTER) | TS_F_BEFORE;
	}
	e->path = current_path();
	submit(e);
	return 0;
}

/* (cachep, tb2) from 6.1 through 6.18 */
SEC("fentry/inet_bind2_bucket_destroy")
int BPF_PROG(fentry__inet_bind2_bucket_destroy, void *cachep, struct inet_bind2_bucket *tb2)
{
	return bucket2_destroy_entry(true, tb2);
}

SEC("kprobe/inet_bind2_bucket_destroy")
int BPF_KPROBE(kprobe__inet_bind2_bucket_destroy, void *cachep, struct inet_bind2_bucket *tb2)
{
	return bucket2_destroy_entry(false, tb2);
}
