/* An accepted socket taking its port: __inet_inherit_port (6.1+). */
#ifndef TRISTATE_INHERIT_BPF_H
#define TRISTATE_INHERIT_BPF_H

#include "slots.bpf.h"
#include "bhash2.bpf.h"

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

SEC("tsfentry/__inet_inherit_port")
int BPF_PROG(fentry____inet_inherit_port, const struct sock *sk, struct sock *child)
{
	return inherit_entry(true, child);
}

SEC("tsfexit/__inet_inherit_port")
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

#endif
