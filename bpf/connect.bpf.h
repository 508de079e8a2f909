/* connect(): __inet_hash_connect, the port allocation of an unbound socket. */
#ifndef TRISTATE_CONNECT_BPF_H
#define TRISTATE_CONNECT_BPF_H

#include "slots.bpf.h"

/* ---- __inet_hash_connect: connect() allocation ---- */

static __always_inline int hash_connect_entry(bool direct, struct sock *sk)
{
	struct op o = {};
	struct slot *slot = claim_op(direct, sk, TS_FN_INET_HASH_CONNECT, &o);

	if (!slot)
		return 0;
	o.started = bpf_jiffies64();
	o.path = TS_PATH_CONNECT;
	o.snum = TS_READ(direct, sk, __sk_common.skc_num);
	slot->op = o;
	return 0;
}

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

SEC("tsfentry/__inet_hash_connect")
int BPF_PROG(fentry____inet_hash_connect, void *death_row, struct sock *sk)
{
	return hash_connect_entry(true, sk);
}

/* <= 6.14: (death_row, sk, port_offset, check_established) */
SEC("tsfexit/__inet_hash_connect")
int BPF_PROG(fexit____inet_hash_connect__a4, void *death_row, struct sock *sk, __u64 port_offset,
	     void *check_established, int ret)
{
	return hash_connect_exit(true, sk, ret);
}

/* 6.15+: (death_row, sk, port_offset, hash_port0, check_established) */
SEC("tsfexit/__inet_hash_connect")
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

#endif
