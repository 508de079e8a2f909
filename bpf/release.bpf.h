/* A socket leaving its port: inet_put_port (close, failed connect) and
 * inet_bind_bucket_destroy. */
#ifndef TRISTATE_RELEASE_BPF_H
#define TRISTATE_RELEASE_BPF_H

#include "slots.bpf.h"

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
SEC("tsfentry/inet_bind_bucket_destroy")
int BPF_PROG(fentry__inet_bind_bucket_destroy__a2, void *cachep, struct inet_bind_bucket *tb)
{
	return bucket_destroy_entry(true, tb);
}

/* 6.15+: inet_bind_bucket_destroy(tb) */
SEC("tsfentry/inet_bind_bucket_destroy")
int BPF_PROG(fentry__inet_bind_bucket_destroy__a1, struct inet_bind_bucket *tb)
{
	return bucket_destroy_entry(true, tb);
}

SEC("kprobe/inet_bind_bucket_destroy")
int BPF_KPROBE(kprobe__inet_bind_bucket_destroy__a2, void *cachep, struct inet_bind_bucket *tb)
{
	return bucket_destroy_entry(false, tb);
}

SEC("kprobe/inet_bind_bucket_destroy")
int BPF_KPROBE(kprobe__inet_bind_bucket_destroy__a1, struct inet_bind_bucket *tb)
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
	struct op o = {};
	struct slot *slot = claim_op(direct, sk, TS_FN_PUT_PORT, &o);
	struct release r = {};

	if (!slot) {
		/* A release nested in another socket's operation on this thread cannot be followed:
		 * softirq work at that op's spin_unlock_bh() (a loopback peer's RST: tcp_done() ->
		 * inet_put_port()). Counted when it would have shown something, so that the report
		 * says its events are missing instead of losing them silently. */
		if (o.nested && TS_SOCK_BUCKETS(direct, sk, release_snapshot, &o, &r))
			count_busy();
		return 0;
	}
	if (!TS_SOCK_BUCKETS(direct, sk, release_snapshot, &o, &r))
		return 0;
	o.started = bpf_jiffies64();
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

SEC("tsfentry/inet_put_port")
int BPF_PROG(fentry__inet_put_port, struct sock *sk)
{
	return put_port_entry(true, sk);
}

SEC("tsfexit/inet_put_port")
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

#endif
