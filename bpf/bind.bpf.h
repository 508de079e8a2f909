/* bind() and listen(): inet_csk_get_port (the operation), inet_bind_bucket_create and
 * inet_csk_update_fastreuse (inside it). */
#ifndef TRISTATE_BIND_BPF_H
#define TRISTATE_BIND_BPF_H

#include "slots.bpf.h"

/* ---- inet_csk_get_port: bind() and listen() allocation ---- */

static __always_inline int get_port_entry(bool direct, struct sock *sk, __u16 snum)
{
	struct op o = {};
	struct slot *slot = claim_op(direct, sk, TS_FN_INET_CSK_GET_PORT, &o);

	if (!slot)
		return 0;
	o.started = bpf_jiffies64();
	o.snum = snum;
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

SEC("tsfentry/inet_csk_get_port")
int BPF_PROG(fentry__inet_csk_get_port, struct sock *sk, unsigned short snum)
{
	return get_port_entry(true, sk, snum);
}

SEC("tsfexit/inet_csk_get_port")
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

SEC("tsfexit/inet_bind_bucket_create")
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
SEC("tsfentry/inet_csk_update_fastreuse")
int BPF_PROG(fentry__inet_csk_update_fastreuse__a2, struct inet_bind_bucket *tb, struct sock *sk)
{
	return update_fastreuse_entry(true, tb, sk);
}

/* 6.18+: inet_csk_update_fastreuse(sk, tb, tb2) */
SEC("tsfentry/inet_csk_update_fastreuse")
int BPF_PROG(fentry__inet_csk_update_fastreuse__a3, struct sock *sk, struct inet_bind_bucket *tb)
{
	return update_fastreuse_entry(true, tb, sk);
}

SEC("tsfexit/inet_csk_update_fastreuse")
int BPF_PROG(fexit__inet_csk_update_fastreuse__a2, struct inet_bind_bucket *tb)
{
	return update_fastreuse_exit(true, tb);
}

SEC("tsfexit/inet_csk_update_fastreuse")
int BPF_PROG(fexit__inet_csk_update_fastreuse__a3, struct sock *sk, struct inet_bind_bucket *tb)
{
	return update_fastreuse_exit(true, tb);
}

SEC("kprobe/inet_csk_update_fastreuse")
int BPF_KPROBE(kprobe__inet_csk_update_fastreuse__a2, struct inet_bind_bucket *tb, struct sock *sk)
{
	return update_fastreuse_entry(false, tb, sk);
}

SEC("kprobe/inet_csk_update_fastreuse")
int BPF_KPROBE(kprobe__inet_csk_update_fastreuse__a3, struct sock *sk, struct inet_bind_bucket *tb)
{
	return update_fastreuse_entry(false, tb, sk);
}

SEC("kretprobe/inet_csk_update_fastreuse")
int BPF_KRETPROBE(kretprobe__inet_csk_update_fastreuse)
{
	return update_fastreuse_exit(false, NULL);
}

#endif
