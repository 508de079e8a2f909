/* The bind-bucket tracer's shared state and helpers: configuration, the ring and counters,
 * the per-thread slots (an operation's entry state and its staged events), the netns and task
 * filters, and the fillers of struct ts_event. Every path header (bind, connect, release,
 * bhash2, inherit) includes this one and nothing of the others but what it names. */
#ifndef TRISTATE_SLOTS_BPF_H
#define TRISTATE_SLOTS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "core_fixes.bpf.h"
#include "read.bpf.h"
#include "tristate.h"
#include "filters.bpf.h"
#include "ids.bpf.h"

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
	__u8 nested;       /* claim_op refused it: its thread's slot holds another socket's live op */
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
	return ts_object_id(addr, bucket_salt);
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
 * silently; it is refused instead (o->nested set, for the caller to count). Operations on
 * sockets of namespaces not traced are never recorded. An op older
 * than TS_STALE_JIFFIES is stale (its exit was never seen) and may be replaced. Returns the
 * thread's slot, whose op record to fill, with o's netns, sk and func set; NULL where the task
 * or the socket's namespace is not traced, or the slot is taken. */
static __always_inline struct slot *claim_op(bool direct, const struct sock *sk, __u8 func,
					   struct op *o)
{
	struct slot *s;

	if (!wanted_task())
		return NULL;
	o->netns = netns_of_sock(direct, sk);
	if (!wanted_netns(o->netns))
		return NULL;
	s = claim_slot(tid_of());
	if (!s)
		return NULL;
	if (s->op.func && s->op.sk != addr_of(sk) && op_age(&s->op) <= TS_STALE_JIFFIES) {
		o->nested = 1; /* the caller counts it if it would have shown something */
		return NULL;
	}
	/* what an operation whose exit was never seen (a missed kretprobe) left staged */
	if (s->batch.n && !s->batch.busy)
		flush(s);
	o->sk = addr_of(sk);
	o->func = func;
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

/* At an exit: is the thread's op this call's? fexit knows the socket; a kretprobe does not
 * (NULL) and trusts the function id alone. */
static __always_inline bool own_op(const struct op *o, const struct sock *sk)
{
	return !sk || o->sk == addr_of(sk);
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

#endif
