/* bhash2 (6.1+): inet_bind2_bucket_create and inet_bind2_bucket_destroy, and the per-CPU
 * record of an __inet_inherit_port in progress that creation reports to (inherit.bpf.h). */
#ifndef TRISTATE_BHASH2_BPF_H
#define TRISTATE_BHASH2_BPF_H

#include "slots.bpf.h"

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
SEC("tsfexit/inet_bind2_bucket_create")
int BPF_PROG(fexit__inet_bind2_bucket_create__a6, void *cachep, void *net, void *head,
	     unsigned short port, int l3mdev, struct sock *sk, struct inet_bind2_bucket *ret)
{
	return bucket2_create_exit(true, ret, sk);
}

/* 6.8+: (cachep, net, head, tb, sk) */
SEC("tsfexit/inet_bind2_bucket_create")
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
SEC("tsfentry/inet_bind2_bucket_destroy")
int BPF_PROG(fentry__inet_bind2_bucket_destroy, void *cachep, struct inet_bind2_bucket *tb2)
{
	return bucket2_destroy_entry(true, tb2);
}

SEC("kprobe/inet_bind2_bucket_destroy")
int BPF_KPROBE(kprobe__inet_bind2_bucket_destroy, void *cachep, struct inet_bind2_bucket *tb2)
{
	return bucket2_destroy_entry(false, tb2);
}

#endif
