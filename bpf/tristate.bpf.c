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
 * bucket after inet_bind_bucket_create() returned (create always initialises 0/0) and whether
 * the creations it infers were seen already. */
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
	__u8 created2;     /* a bhash2 bucket for the op's socket was created (its probe fired) */
	__u8 pad;
};

/* The rest of a release (inet_put_port) op: what its exit reports of buckets freed while their
 * destroy probe stayed silent (inlined), read at entry since they are freed memory by then.
 * Apart from struct op, which every operation's entry writes whole. Valid while the slot's op
 * is a release. */
struct release {
	__u64 tb2;         /* the socket's bhash2 bucket (6.1+) when the socket was its last owner */
	__u8 tb2_addr[16];
	__s32 l3mdev;      /* tb's */
	__u16 tb2_family;
	__u8 destroyed2;   /* tb2 was freed during the operation (its destroy probe fired) */
	__u8 pad;
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

/* An operation's events, staged on its thread's slot and handed to the ring as one record at
 * the operation's exit: bind() makes four, and a record of its own (reservation, commit, the
 * reader's turn over it) cost each more than the copy into a shared one (bench/trace_bench
 * --profile: bind()'s inner programs ~150 instructions cheaper each, its exit ~130 dearer). A
 * record is one or more struct ts_event back to back. The slots map grows to ~3.6 MB. */
#define TS_BATCH 4

struct batch {
	__u32 n;           /* events staged */
	__u8 busy;         /* a program is staging: one it interrupted on this CPU must not */
	__u8 pad[3];
	struct ts_event ev[TS_BATCH];
};

struct slot {
	__u32 tid;
	__u32 pad;
	struct op op;
	struct inner in;
	struct release rel;
	struct batch batch;
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

/* Hands the slot's staged events to the ring as one record. */
static __always_inline void flush(struct slot *s)
{
	struct ts_counters *c;
	__u32 n = s->batch.n;

	if (!n)
		return;
	if (n > TS_BATCH)
		n = TS_BATCH;
	c = counters_here();
	if (bpf_ringbuf_output(&events, s->batch.ev, n * sizeof(struct ts_event),
			       submit_flags(c ? &c->records : NULL, n, wakeup))) {
		if (c)
			c->lost += n;
	} else if (c) {
		c->events += n;
	}
	s->batch.n = 0;
}

/* Staging into the slot of the operation in progress on this thread, with room for `need`
 * more events; NULL: the events go to the ring one by one. That is when no operation is in
 * progress (s NULL or idle), and when this program interrupted another that is staging here (a
 * softirq runs on whatever thread it interrupts): busy is set before the index is read and
 * cleared after the event is in, so the two never write one entry. At an operation's exit
 * (`at_exit`), only when the record would hold more than one event: the batch costs a copy
 * into the record, which pays for itself only when it saves a record. End with stage_end(). */
static __always_inline struct slot *stage_begin(struct slot *s, __u32 need, bool at_exit)
{
	struct slot *st = NULL;

	if (s && s->op.func && !s->batch.busy && (!at_exit || s->batch.n + need > 1)) {
		s->batch.busy = 1;
		barrier();
		if (s->batch.n + need > TS_BATCH)
			flush(s);
		st = s;
	}
	/* Every later choice between batch and ring tests st itself: left to itself clang tests
	 * the busy flag again, whose "not 0" the verifier (6.1) does not carry over a spill. */
	barrier_var(st);
	return st;
}

static __always_inline void stage_end(struct slot *st)
{
	if (st) {
		barrier();
		st->batch.busy = 0;
	}
}

/* The same at an operation's exit: what it staged goes out as one record. */
static __always_inline void stage_end_op(struct slot *st)
{
	if (st)
		flush(st);
	stage_end(st);
}

/* A new event, zeroed and stamped: the next entry of st's batch, or a ring record when st is
 * NULL. NULL when the ring is full (counted). Finish it with event_end(st, e), before the next
 * event_begin(). */
static __always_inline struct ts_event *event_begin(struct slot *st, __u8 kind, __u8 func,
						    __u32 netns)
{
	struct ts_event *e;

	if (st) {
		__u32 i = st->batch.n;

		if (i >= TS_BATCH) /* stage_begin() made room: a bound for the verifier */
			return NULL;
		e = &st->batch.ev[i];
		st->batch.n = i + 1;
	} else {
		e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
		if (!e) {
			struct ts_counters *c = counters_here();

			if (c)
				c->lost++;
			return NULL;
		}
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = bpf_ktime_get_ns();
	e->netns = netns;
	e->kind = kind;
	e->func = func;
	fill_task(e);
	return e;
}

/* The event filled: kept, or dropped when the filters do not want it (want_event()). */
static __always_inline void event_end(struct slot *st, struct ts_event *e)
{
	struct ts_counters *c;

	if (st) {
		if (!want_event(e))
			st->batch.n--; /* it is the last one begun */
		return;
	}
	c = counters_here();
	if (!want_event(e)) {
		/* A discarded record keeps its ring space until the reader moves past it: wake the
		 * reader by the same rule as for a submitted one, or under load a --failed-only
		 * trace fills the ring with discards and loses the failure that follows. */
		bpf_ringbuf_discard(e, submit_flags(c ? &c->records : NULL, 1, wakeup));
		return;
	}
	if (c)
		c->events++;
	bpf_ringbuf_submit(e, submit_flags(c ? &c->records : NULL, 1, wakeup));
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

/* Who caused an event: the path of the operation in progress (o), if any. */
static __always_inline __u8 path_of(const struct op *o)
{
	return o ? o->path : TS_PATH_NONE;
}

/* Claims the thread's op slot for an operation on `sk`. Softirq work can run on the same
 * thread in the middle of an operation (loopback: spin_unlock_bh() inside
 * __inet_hash_connect processes packets, and tcp_done() -> inet_put_port() for another
 * socket, possibly of another namespace, runs there). Such a nested operation must not
 * clobber the outer one, whose exit would then find nothing and its event would be lost
 * silently. Operations on sockets of namespaces not traced are never recorded. An op older
 * than TS_STALE_JIFFIES is stale (its exit was never seen) and may be replaced. Returns the
 * thread's slot, whose op record to fill, and the socket's namespace. */
static __always_inline struct slot *claim_op(bool direct, __u32 tid, const struct sock *sk,
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
	/* what an operation whose exit was never seen (a missed kretprobe) left staged */
	if (s->batch.n && !s->batch.busy)
		flush(s);
	return s;
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

static __always_inline void fill_bucket2(bool direct, struct ts_event *e,
					 const struct inet_bind2_bucket *tb2)
{
	set_bucket_id(e, tb2);
	e->port = TS_READ(direct, tb2, port);
	e->l3mdev = TS_READ(direct, tb2, l3mdev);
	e->addr_family = ts_bucket2_family(direct, tb2);
	TS_READ_BUCKET2_ADDR(direct, tb2, e->addr);
	e->flags |= TS_F_ADDR;
	if (bpf_core_field_exists(tb2->fastreuse)) {
		e->after_fastreuse = TS_READ(direct, tb2, fastreuse);
		e->after_fastreuseport = TS_READ(direct, tb2, fastreuseport);
		e->flags |= TS_F_AFTER;
	}
}

/* netns: tb's, already checked against the filter; st: as for event_begin(). */
static __always_inline void emit_state(struct slot *st, bool direct,
				       const struct inet_bind_bucket *tb, __u32 netns, __u8 func,
				       __u8 path, __s8 bfr, __s8 bfrp, __s8 afr, __s8 afrp)
{
	struct ts_event *e;

	e = event_begin(st, TS_EV_BUCKET_STATE, func, netns);
	if (!e)
		return;
	fill_bucket(direct, e, tb);
	e->path = path;
	e->flags = TS_F_BEFORE | TS_F_AFTER;
	e->before_fastreuse = bfr;
	e->before_fastreuseport = bfrp;
	e->after_fastreuse = afr;
	e->after_fastreuseport = afrp;
	event_end(st, e);
}

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
	struct op o = {};
	struct slot *slot;

	if (!wanted_task() || !(slot = claim_op(direct, tid, sk, &o.netns)))
		return 0;
	o.started = bpf_jiffies64();
	o.sk = addr_of(sk);
	o.snum = snum;
	o.func = TS_FN_INET_CSK_GET_PORT;
	/* inet_csk_listen_start() sets TCP_LISTEN before it asks for the port again */
	o.path = TS_READ(direct, sk, __sk_common.skc_state) == TCP_LISTEN_STATE ? TS_PATH_LISTEN
										 : TS_PATH_BIND;
	slot->op = o;
	return 0;
}

/* sk: fexit's argument (direct); a kretprobe has none (NULL) and takes the op's. */
static __always_inline int get_port_exit(bool direct, const struct sock *sk, long ret)
{
	struct slot *s = my_slot(tid_of()), *st;
	struct op *o = live_op(s);
	struct ts_event *e;

	if (!o || o->func != TS_FN_INET_CSK_GET_PORT || !own_op(o, sk))
		return 0;
	if (!direct)
		sk = (const struct sock *)o->sk;
	st = stage_begin(s, 1, true);
	if ((e = event_begin(st, TS_EV_BIND_ALLOC, TS_FN_INET_CSK_GET_PORT, o->netns))) {
		e->path = o->path;
		e->requested_port = o->snum;
		e->result = (__s32)ret;
		e->flags = TS_F_RESULT | TS_F_REQUESTED;
		fill_alloc(direct, e, sk);
		event_end(st, e);
	}
	stage_end_op(st);
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
	struct op o = {};
	struct slot *slot;

	if (!wanted_task() || !(slot = claim_op(direct, tid, sk, &o.netns)))
		return 0;
	o.started = bpf_jiffies64();
	o.sk = addr_of(sk);
	o.func = TS_FN_INET_HASH_CONNECT;
	o.path = TS_PATH_CONNECT;
	o.snum = TS_READ(direct, sk, __sk_common.skc_num);
	slot->op = o;
	return 0;
}

/* handler(reads, tb, tb2, ...) with the socket's bhash and bhash2 buckets (tb2 NULL before
 * 6.1); `reads` is a literal for TS_READ. A fentry/fexit's struct sock does not reach them by a
 * direct read (the verifier checks the access against struct sock): bpf_skc_to_tcp_sock()
 * (5.9+) turns a TCP socket into a tcp_sock that does, the reads then loads (through
 * bpf_probe_read_kernel(), connect()'s checks alone were fifteen helper calls, 2,300
 * instructions, bench/trace_bench --profile --loop connect). Kprobes, and the protocols that
 * share these functions (DCCP), read through probe reads. */
#define TS_SOCK_BUCKETS(direct, sk, handler, ...)                                                 \
	({                                                                                        \
		const struct inet_connection_sock *__icsk = (const void *)(sk);                   \
		struct tcp_sock *__tp;                                                            \
		((direct) && (__tp = bpf_skc_to_tcp_sock((void *)(sk))))                          \
			? handler(true, __tp->inet_conn.icsk_bind_hash,                           \
				  bpf_core_field_exists(__tp->inet_conn.icsk_bind2_hash)          \
					  ? __tp->inet_conn.icsk_bind2_hash : NULL,               \
				  ##__VA_ARGS__)                                                  \
			: handler(false, BPF_CORE_READ(__icsk, icsk_bind_hash),                   \
				  bpf_core_field_exists(__icsk->icsk_bind2_hash)                  \
					  ? BPF_CORE_READ(__icsk, icsk_bind2_hash) : NULL,        \
				  ##__VA_ARGS__);                                                 \
	})

/* connect() gave an unbound socket a bucket, in the state __inet_hash_connect wrote (-1/-1)
 * after inet_bind_bucket_create() returned 0/0. Reported before the allocation event it explains:
 *  - a bucket whose creation was seen during the call: that write, as a state change;
 *  - a bucket nobody else holds, but no create seen: inet_bind_bucket_create() ran inlined
 *    (every lab kernel): its creation, with the state the call left it in.
 * Read here, after the call unlocked the bucket: a bind() of another thread onto it in
 * between would show through (its own update event says so). The probes inside the lock
 * (inet_bind_hash) never fired from connect() on a lab kernel, and cost every bind(). */
static __always_inline void connect_made_bucket(struct slot *st, struct op *o, bool direct,
						const struct inet_bind_bucket *tb)
{
	struct ts_event *c;
	__u8 kind = TS_EV_BUCKET_CREATE;
	__s8 fr, frp;

	if (!tb)
		return;
	ts_read_state(direct, tb, &fr, &frp);
	if (o->created_tb == addr_of(tb)) {
		if (o->created_fr == fr && o->created_frp == frp)
			return;
		kind = TS_EV_BUCKET_STATE;
	} else if (o->created_tb || !ts_bucket_single_owner(direct, tb)) {
		return;
	}
	if (!(c = event_begin(st, kind, TS_FN_INET_HASH_CONNECT, o->netns)))
		return;
	fill_bucket(direct, c, tb);
	c->path = TS_PATH_CONNECT;
	c->flags = TS_F_AFTER;
	c->after_fastreuse = fr;
	c->after_fastreuseport = frp;
	if (kind == TS_EV_BUCKET_STATE) {
		c->flags |= TS_F_BEFORE;
		c->before_fastreuse = o->created_fr;
		c->before_fastreuseport = o->created_frp;
	}
	event_end(st, c);
}

/* The same for its bhash2 bucket (6.1+): one only this socket holds, while no
 * inet_bind2_bucket_create() was seen during the call, was made by it inlined (6.1; 6.12 and
 * 7.2 call it). */
static __always_inline void connect_made_bucket2(struct slot *st, const struct op *o, bool direct,
						 const struct inet_bind2_bucket *tb2)
{
	struct ts_event *c;

	if (!tb2 || o->created2 || !ts_bucket2_last_owner(direct, tb2))
		return;
	if (!(c = event_begin(st, TS_EV_BUCKET2_CREATE, TS_FN_INET_HASH_CONNECT, o->netns)))
		return;
	fill_bucket2(direct, c, tb2);
	c->path = TS_PATH_CONNECT;
	event_end(st, c);
}

/* Both (a TS_SOCK_BUCKETS handler). */
static __always_inline void connect_made_buckets(bool direct, const struct inet_bind_bucket *tb,
						 const struct inet_bind2_bucket *tb2,
						 struct slot *st, struct op *o)
{
	connect_made_bucket(st, o, direct, tb);
	connect_made_bucket2(st, o, direct, tb2);
}

/* sk: as for get_port_exit() */
static __always_inline int hash_connect_exit(bool direct, const struct sock *sk, long ret)
{
	struct slot *s = my_slot(tid_of()), *st;
	struct op *o = live_op(s);
	struct ts_event *e;

	if (!o || o->func != TS_FN_INET_HASH_CONNECT || !own_op(o, sk))
		return 0;
	if (!direct)
		sk = (const struct sock *)o->sk;
	st = stage_begin(s, 1 + 2 * (ret == 0 && !o->snum), true);
	if (ret == 0 && !o->snum)
		TS_SOCK_BUCKETS(direct, sk, connect_made_buckets, st, o);
	if ((e = event_begin(st, TS_EV_CONNECT_ALLOC, TS_FN_INET_HASH_CONNECT, o->netns))) {
		e->path = TS_PATH_CONNECT;
		e->result = (__s32)ret;
		e->flags = TS_F_RESULT;
		if (o->snum) { /* already bound: bind() chose the port */
			e->requested_port = o->snum;
			e->flags |= TS_F_REQUESTED;
		}
		fill_alloc(direct, e, sk);
		event_end(st, e);
	}
	stage_end_op(st);
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
	struct slot *s, *st;
	struct op *o;
	struct ts_event *e;
	__u32 netns;

	if (!tb || !wanted_task())
		return 0;
	netns = netns_of_bucket(direct, tb);
	if (!wanted_netns(netns))
		return 0;
	s = my_slot(tid_of());
	o = live_op(s);
	st = stage_begin(s, 1, false);
	if ((e = event_begin(st, TS_EV_BUCKET_CREATE, TS_FN_BIND_BUCKET_CREATE, netns))) {
		fill_bucket_after(direct, e, tb);
		e->path = path_of(o);
		if (o) {
			o->created_tb = addr_of(tb);
			o->created_fr = e->after_fastreuse;
			o->created_frp = e->after_fastreuseport;
		}
		event_end(st, e);
	}
	stage_end(st);
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
	struct slot *s, *st;
	__s8 fr, frp;

	if (!(s = inner_exit(direct, TS_FN_UPDATE_FASTREUSE, &tb, &fr, &frp)))
		return 0;
	st = stage_begin(s, 1, false);
	/* always reported: this is where bind() decides, even when it keeps the state */
	emit_state(st, direct, tb, s->in.netns, TS_FN_UPDATE_FASTREUSE, path_of(live_op(s)),
		   s->in.fr, s->in.frp, fr, frp);
	stage_end(st);
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
	struct slot *s, *st;
	struct ts_event *e;
	struct op *o;
	__u32 netns;

	if (!tb || !ts_bucket_empty(direct, tb))
		return 0;
	s = my_slot(tid_of());
	o = live_op(s);
	if (o && o->tb == addr_of(tb))
		o->destroyed = 1;
	if (!wanted_task())
		return 0;
	netns = netns_of_bucket(direct, tb);
	if (!wanted_netns(netns))
		return 0;
	st = stage_begin(s, 1, false);
	if ((e = event_begin(st, TS_EV_BUCKET_DESTROY, TS_FN_BIND_BUCKET_DESTROY, netns))) {
		fill_bucket(direct, e, tb);
		ts_read_state(direct, tb, &e->before_fastreuse, &e->before_fastreuseport);
		e->flags = TS_F_BEFORE;
		e->path = path_of(o);
		event_end(st, e);
	}
	stage_end(st);
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

/* At inet_put_port's entry, into o and r: the socket's bucket and, when the socket is its last
 * owner, its bhash2 bucket, as its exit will report them freed. false when the release can show
 * nothing, and no op is recorded: the socket shares both buckets (a server's accepted socket,
 * half of its closes) and the kernel does not move a bucket's state on release (before 6.18).
 * A TS_SOCK_BUCKETS handler. */
static __always_inline bool release_snapshot(bool direct, const struct inet_bind_bucket *tb,
					     const struct inet_bind2_bucket *tb2, struct op *o,
					     struct release *r)
{
	if (!tb)
		return false;
	o->sole_owner = ts_bucket_single_owner(direct, tb);
	if (tb2 && !ts_bucket2_last_owner(direct, tb2))
		tb2 = NULL;
	if (!o->sole_owner && !tb2 && !ts_release_moves_state())
		return false;
	o->tb = addr_of(tb);
	o->snum = TS_READ(direct, tb, port);
	ts_read_state(direct, tb, &o->fr, &o->frp);
	r->l3mdev = TS_READ(direct, tb, l3mdev);
	if (tb2) {
		r->tb2 = addr_of(tb2);
		r->tb2_family = ts_bucket2_family(direct, tb2);
		TS_READ_BUCKET2_ADDR(direct, tb2, r->tb2_addr);
	}
	return true;
}

static __always_inline int put_port_entry(bool direct, struct sock *sk)
{
	__u32 tid = tid_of();
	struct op o = {};
	struct slot *slot;
	struct release r = {};

	if (!wanted_task() || !(slot = claim_op(direct, tid, sk, &o.netns)))
		return 0;
	if (!TS_SOCK_BUCKETS(direct, sk, release_snapshot, &o, &r))
		return 0;
	o.started = bpf_jiffies64();
	o.sk = addr_of(sk);
	o.func = TS_FN_PUT_PORT;
	o.path = TS_PATH_RELEASE;
	slot->op = o;
	slot->rel = r;
	return 0;
}

/* A bucket the release freed while its destroy probe stayed silent (inlined: 5.10 - 6.12 fold
 * inet_bind_bucket_destroy(), 6.1 and 6.12 inet_bind2_bucket_destroy() into __inet_put_port),
 * begun from what the entry saw: `addr` (tb or tb2) is freed memory now. */
static __always_inline struct ts_event *released_begin(struct slot *st, const struct slot *s,
						       __u8 kind, __u64 addr)
{
	struct ts_event *e = event_begin(st, kind, TS_FN_PUT_PORT, s->op.netns);

	if (e) {
		e->bucket = bucket_id(addr);
		e->port = s->op.snum;
		e->l3mdev = s->rel.l3mdev;
		e->path = TS_PATH_RELEASE;
	}
	return e;
}

static __always_inline void released_bucket(struct slot *st, const struct slot *s)
{
	struct ts_event *e = released_begin(st, s, TS_EV_BUCKET_DESTROY, s->op.tb);

	if (!e)
		return;
	e->before_fastreuse = s->op.fr;
	e->before_fastreuseport = s->op.frp;
	e->flags = TS_F_BEFORE;
	event_end(st, e);
}

static __always_inline void released_bucket2(struct slot *st, const struct slot *s)
{
	struct ts_event *e = released_begin(st, s, TS_EV_BUCKET2_DESTROY, s->rel.tb2);

	if (!e)
		return;
	e->addr_family = s->rel.tb2_family;
	__builtin_memcpy(e->addr, s->rel.tb2_addr, sizeof(e->addr));
	e->flags = TS_F_ADDR;
	event_end(st, e);
}

static __always_inline int put_port_exit(const struct sock *sk)
{
	struct slot *s = my_slot(tid_of()), *st;
	struct op *o = live_op(s);
	bool gone, gone2, may_move;
	__s8 fr, frp;

	if (!o || o->func != TS_FN_PUT_PORT || !own_op(o, sk))
		return 0;
	/* the last owner left, so the buckets were freed; their probes did not say so */
	gone = !o->destroyed && o->sole_owner;
	gone2 = s->rel.tb2 && !s->rel.destroyed2;
	/* 6.18 moves a bucket back to -1 when its last bind()-owned socket leaves */
	may_move = !o->destroyed && !o->sole_owner && ts_release_moves_state();
	st = stage_begin(s, gone + gone2 + may_move, true);
	if (gone2 && ts_bucket2_freed_first())
		released_bucket2(st, s);
	if (gone)
		released_bucket(st, s);
	if (gone2 && !ts_bucket2_freed_first())
		released_bucket2(st, s);
	if (may_move) {
		struct inet_bind_bucket *tb = (struct inet_bind_bucket *)o->tb;

		ts_read_state(false, tb, &fr, &frp);
		if (fr != o->fr || frp != o->frp)
			emit_state(st, false, tb, o->netns, TS_FN_PUT_PORT, TS_PATH_RELEASE, o->fr, o->frp,
				   fr, frp);
	}
	stage_end_op(st);
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

/* An accepted socket taking its port: __inet_inherit_port(listener, child) runs in softirq,
 * under the bucket locks, on no operation of the thread it interrupted. Per CPU, from its entry
 * to its exit: the child, its namespace, and whether inet_bind2_bucket_create() was seen for it
 * (6.1 inlines that call, 6.12 and 7.2 make it). child 0: none in progress. */
struct inherit {
	__u64 child;
	__u32 netns;
	__u8 created2;
	__u8 pad[3];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct inherit);
} inherits SEC(".maps");

static __always_inline struct inherit *inherit_here(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&inherits, &zero);
}

/* A new bhash2 bucket: the event, in whatever context it was made (o: the thread's operation,
 * if any; func: where it was seen). */
static __always_inline void emit_bucket2_create(bool direct, struct slot *s, const struct op *o,
						__u8 func, const struct inet_bind2_bucket *tb2,
						__u32 netns)
{
	struct slot *st = stage_begin(s, 1, false);
	struct ts_event *e;

	if ((e = event_begin(st, TS_EV_BUCKET2_CREATE, func, netns))) {
		fill_bucket2(direct, e, tb2);
		e->path = path_of(o);
		event_end(st, e);
	}
	stage_end(st);
}

/* sk: the socket the bucket is for (fexit); a kretprobe has none (NULL). */
static __always_inline int bucket2_create_exit(bool direct, struct inet_bind2_bucket *tb2,
					       const struct sock *sk)
{
	struct inherit *in;
	struct slot *s;
	struct op *o;
	__u32 netns;
	bool own;

	if (!tb2)
		return 0;
	s = my_slot(tid_of());
	o = live_op(s);
	/* the op's own socket: an accepted one hashed in a softirq during the op is not it */
	own = o && sk && o->sk == addr_of(sk);
	if (o && (own || !sk))
		o->created2 = 1;
	/* any other may be a child in __inet_inherit_port (a bind() does not look) */
	if (!own && (in = inherit_here()) && in->child && (!sk || in->child == addr_of(sk)))
		in->created2 = 1;
	if (!wanted_task())
		return 0;
	netns = netns_of_bucket2(direct, tb2);
	if (!wanted_netns(netns))
		return 0;
	emit_bucket2_create(direct, s, o, TS_FN_BIND2_BUCKET_CREATE, tb2, netns);
	return 0;
}

/* 6.1 - 6.7: (cachep, net, head, port, l3mdev, sk) */
SEC("fexit/inet_bind2_bucket_create")
int BPF_PROG(fexit__inet_bind2_bucket_create__a6, void *cachep, void *net, void *head,
	     unsigned short port, int l3mdev, struct sock *sk, struct inet_bind2_bucket *ret)
{
	return bucket2_create_exit(true, ret, sk);
}

/* 6.8+: (cachep, net, head, tb, sk) */
SEC("fexit/inet_bind2_bucket_create")
int BPF_PROG(fexit__inet_bind2_bucket_create__a5, void *cachep, void *net, void *head, void *tb,
	     struct sock *sk, struct inet_bind2_bucket *ret)
{
	return bucket2_create_exit(true, ret, sk);
}

SEC("kretprobe/inet_bind2_bucket_create")
int BPF_KRETPROBE(kretprobe__inet_bind2_bucket_create, struct inet_bind2_bucket *ret)
{
	return bucket2_create_exit(false, ret, NULL);
}

static __always_inline int bucket2_destroy_entry(bool direct, struct inet_bind2_bucket *tb2)
{
	struct slot *s, *st;
	struct ts_event *e;
	struct op *o;
	__u32 netns;

	if (!tb2 || !ts_bucket2_empty(direct, tb2))
		return 0;
	s = my_slot(tid_of());
	o = live_op(s);
	if (o && o->func == TS_FN_PUT_PORT && s->rel.tb2 == addr_of(tb2))
		s->rel.destroyed2 = 1;
	if (!wanted_task())
		return 0;
	netns = netns_of_bucket2(direct, tb2);
	if (!wanted_netns(netns))
		return 0;
	st = stage_begin(s, 1, false);
	if ((e = event_begin(st, TS_EV_BUCKET2_DESTROY, TS_FN_BIND2_BUCKET_DESTROY, netns))) {
		fill_bucket2(direct, e, tb2);
		if (e->flags & TS_F_AFTER) { /* the state it had, not one it moves to */
			e->before_fastreuse = e->after_fastreuse;
			e->before_fastreuseport = e->after_fastreuseport;
			e->after_fastreuse = e->after_fastreuseport = 0;
			e->flags = (e->flags & ~TS_F_AFTER) | TS_F_BEFORE;
		}
		e->path = path_of(o);
		event_end(st, e);
	}
	stage_end(st);
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

/* ---- __inet_inherit_port: an accepted socket's bhash2 bucket (6.1+) ---- */

static __always_inline int inherit_entry(bool direct, const struct sock *child)
{
	struct inherit *in;
	__u32 netns;

	if (!bpf_core_field_exists(struct inet_connection_sock, icsk_bind2_hash))
		return 0;
	netns = netns_of_sock(direct, child);
	if (!wanted_netns(netns) || !(in = inherit_here()))
		return 0;
	in->child = addr_of(child);
	in->netns = netns;
	in->created2 = 0;
	return 0;
}

/* A bhash2 bucket only the child holds (and, 6.1 - 6.7, no TIME_WAIT socket on its
 * deathrow), while no inet_bind2_bucket_create() was seen for the child: made by the call,
 * inlined (6.1). Reported as that probe would have: same context, same path. A
 * TS_SOCK_BUCKETS handler (tb unused). */
static __always_inline void inherited_bucket2(bool direct, const struct inet_bind_bucket *tb,
					      const struct inet_bind2_bucket *tb2, __u32 netns)
{
	struct slot *s;

	if (!tb2 || !ts_bucket2_last_owner(direct, tb2) || !wanted_task())
		return;
	s = my_slot(tid_of());
	emit_bucket2_create(direct, s, live_op(s), TS_FN_INHERIT_PORT, tb2, netns);
}

/* child: fexit's argument (direct); a kretprobe has none (NULL) and takes the entry's. */
static __always_inline int inherit_exit(bool direct, const struct sock *child, long ret)
{
	struct inherit *in;
	__u32 netns;

	in = inherit_here();
	if (!in || !in->child || (child && in->child != addr_of(child)))
		return 0;
	if (!direct)
		child = (const struct sock *)in->child;
	netns = in->netns;
	in->child = 0;
	if (ret || in->created2)
		return 0;
	TS_SOCK_BUCKETS(direct, child, inherited_bucket2, netns);
	return 0;
}

SEC("fentry/__inet_inherit_port")
int BPF_PROG(fentry____inet_inherit_port, const struct sock *sk, struct sock *child)
{
	return inherit_entry(true, child);
}

SEC("fexit/__inet_inherit_port")
int BPF_PROG(fexit____inet_inherit_port, const struct sock *sk, struct sock *child, int ret)
{
	return inherit_exit(true, child, ret);
}

SEC("kprobe/__inet_inherit_port")
int BPF_KPROBE(kprobe____inet_inherit_port, const struct sock *sk, struct sock *child)
{
	return inherit_entry(false, child);
}

SEC("kretprobe/__inet_inherit_port")
int BPF_KRETPROBE(kretprobe____inet_inherit_port, int ret)
{
	return inherit_exit(false, NULL, ret);
}
