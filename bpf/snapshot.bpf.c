// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
/* Bucket state after a quiz step, on kernels that refuse tracing too: BPF iterators only.
 * A separate small object from tristate.bpf.c, so that it loads in milliseconds and where the
 * tracer's programs would be refused (fentry EPERM, no kprobes).
 *
 * iter/task_file: the files of one process. The process reading the iterator is the one whose
 * sockets are wanted (a quiz's sandbox child), so the program keeps files of the reader's own
 * tgid; 6.1+ also let userspace attach the iterator to that one process (no walk over every
 * task). Each socket file -> sk -> icsk_bind_hash / icsk_bind2_hash, bound-only sockets
 * included, which no TCP table holds.
 * iter/tcp: the TCP hash tables of the namespace the iterator fd is created in: listeners,
 * connections (accepted children not yet accept()ed included) and TIME_WAIT sockets, which no
 * file holds.
 * The programs are iterators, but their sections say "tsiter/", a handler of ours
 * (trace/btf_id_sections.cpp): for "iter/" libbpf 1.1 reads and parses the kernel's whole BTF
 * (5.4 MB on 6.18) only to find the attach target's BTF id, two thirds of this object's load;
 * ours takes the id from a per-kernel cache (trace/core_btf_cache). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "snapshot.h"
#include "ids.bpf.h"
#include "socket_file.bpf.h"

/* Written by userspace before each read (StepSnapshotter::after_step), one entry per reading
 * process (tgid): quizzes run side by side (`tristate quiz -j N`), each in its own sandbox
 * child, and each child's walk must see its own ports. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct ts_snap_ports);
} snapshot_ports SEC(".maps");

/* <= 6.7: sockets (TIME_WAIT ones too, tw_bind_node) hang on tb->owners; 6.8 replaced it by
 * tb->bhash2, a list of tb2 that hold them (same as core_fixes.bpf.h, kept apart so that this
 * object stays small). */
struct inet_bind_bucket___owners {
	struct hlist_head owners;
} __attribute__((preserve_access_index));

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u64 id_salt = 0;        /* per-run key: ids, not kernel addresses */
const volatile bool reader_only = true;  /* task_file: only the reading process's files */

#define TS_AF_INET 2
#define TS_AF_INET6 10
#define TS_IPPROTO_TCP 6
#define TS_SOCK_STREAM 1
#define TS_TCP_TIME_WAIT 6
#define TS_TCP_LISTEN 10
#define TS_TCP_NEW_SYN_RECV 12

/* 6.1 - 6.7 kept no tw_tb2; (6.8, "tcp: Link bhash2 to bhash" series, added it). */
struct inet_timewait_sock___tb2 {
	struct inet_bind2_bucket *tw_tb2;
} __attribute__((preserve_access_index));

/* ids.bpf.h, keyed with this run's id_salt */
#define SET_ID(dst, p) TS_SET_ID(dst, p, id_salt)

static __always_inline void read_tb2(struct ts_snap_sock *r, const struct inet_bind2_bucket *tb2)
{
	if (!tb2)
		return;
	SET_ID(r->bucket2, tb2);
	r->flags |= TS_SNAP_F_TB2;
	/* 6.18 (commit d57f4b874946): tb2 has its own pair */
	if (bpf_core_field_exists(tb2->fastreuse)) {
		r->fastreuse2 = BPF_CORE_READ(tb2, fastreuse);
		r->fastreuseport2 = BPF_CORE_READ(tb2, fastreuseport);
		r->flags |= TS_SNAP_F_TB2_STATE;
	}
}

/* Fills r from a socket (full or TIME_WAIT) through probe reads. Returns false for sockets
 * that are not TCP over IPv4/IPv6. */
static __always_inline bool read_sock(struct ts_snap_sock *r, const struct sock_common *skc)
{
	const struct inet_bind_bucket *tb;

	r->family = BPF_CORE_READ(skc, skc_family);
	if (r->family != TS_AF_INET && r->family != TS_AF_INET6)
		return false;
	SET_ID(r->sock, skc);
	r->sk_state = BPF_CORE_READ(skc, skc_state);
	r->netns = BPF_CORE_READ(skc, skc_net.net, ns.inum);
	if (r->family == TS_AF_INET6) {
		bpf_core_read(r->addr, sizeof(r->addr), &skc->skc_v6_rcv_saddr);
		r->flags |= TS_SNAP_F_V6;
	} else {
		bpf_core_read(r->addr, 4, &skc->skc_rcv_saddr);
	}
	r->port = BPF_CORE_READ(skc, skc_num);
	if (r->sk_state == TS_TCP_TIME_WAIT) {
		const struct inet_timewait_sock *tw = (const void *)skc;
		const struct inet_timewait_sock___tb2 *tw2 = (const void *)skc;

		tb = BPF_CORE_READ(tw, tw_tb);
		if (bpf_core_field_exists(tw2->tw_tb2))
			read_tb2(r, BPF_CORE_READ(tw2, tw_tb2));
	} else {
		const struct inet_connection_sock *icsk = (const void *)skc;

		tb = BPF_CORE_READ(icsk, icsk_bind_hash);
		if (bpf_core_field_exists(icsk->icsk_bind2_hash))
			read_tb2(r, BPF_CORE_READ(icsk, icsk_bind2_hash));
	}
	if (tb) {
		SET_ID(r->bucket, tb);
		r->port = BPF_CORE_READ(tb, port);
		r->l3mdev = BPF_CORE_READ(tb, l3mdev);
		r->fastreuse = BPF_CORE_READ(tb, fastreuse);
		r->fastreuseport = BPF_CORE_READ(tb, fastreuseport);
	}
	return true;
}

static __always_inline int task_socket(struct seq_file *seq, struct bpf_iter__task_file *ctx,
				       struct task_struct *task, const struct socket *sock)
{
	struct ts_snap_sock r = {};
	const struct sock *sk;

	if (!sock)
		return 0;
	sk = BPF_CORE_READ(sock, sk);
	if (!sk || BPF_CORE_READ(sk, sk_protocol) != TS_IPPROTO_TCP ||
	    BPF_CORE_READ(sk, sk_type) != TS_SOCK_STREAM)
		return 0;
	/* a quiz's sandbox inherits its parent's fds at fork (another namespace's sockets, as
	 * tests/tracer's noise thread has): a reader sees its own namespace's sockets only */
	if (reader_only && BPF_CORE_READ(sk, __sk_common.skc_net.net) !=
			       BPF_CORE_READ((struct task_struct *)bpf_get_current_task(), nsproxy, net_ns))
		return 0;
	if (!read_sock(&r, &sk->__sk_common))
		return 0;
	r.source = TS_SNAP_TASK_FILE;
	if (r.sk_state == TS_TCP_LISTEN)
		r.backlog = BPF_CORE_READ(sk, sk_ack_backlog);
	r.pid = task->tgid;
	r.fd = ctx->fd;
	bpf_probe_read_kernel_str(r.comm, sizeof(r.comm), task->comm);
	bpf_seq_write(seq, &r, sizeof(r));
	return 0;
}

/* The state of the first socket on tb (TIME_WAIT, FIN_WAIT…), 0 when none is found. Kernel
 * lists are walked through probe reads: hlist nodes are turned into their containers by
 * offsets (CO-RE), never dereferenced directly. */
static __always_inline __u8 first_owner_state(const struct inet_bind_bucket *tb)
{
	const struct inet_bind_bucket___owners *old = (const void *)tb;
	const struct hlist_node *first;
	const struct inet_bind2_bucket *tb2;

	if (bpf_core_field_exists(old->owners)) {
		first = BPF_CORE_READ(old, owners.first);
	} else {
		first = BPF_CORE_READ(tb, bhash2.first);
		if (!first)
			return 0;
		tb2 = (const void *)((const char *)first - bpf_core_field_offset(struct inet_bind2_bucket, bhash_node));
		first = BPF_CORE_READ(tb2, owners.first);
	}
	if (!first)
		return 0;
	return BPF_CORE_READ((const struct sock_common *)((const char *)first -
							  bpf_core_field_offset(struct sock_common, skc_bind_node)),
			     skc_state);
}

/* One bucket record, built by find_bucket() for lookup_ports() to write. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ts_snap_sock);
} bucket_scratch SEC(".maps");

/* The bhash bucket of `port` in the namespace at `net_addr`, as inet_bhashfn() finds it: chain
 * (port + net->hash_mix) & (bhash_size - 1) of the hash table at `h_addr`, which every
 * namespace shares. Found: its record is in bucket_scratch and 1 is returned. The first match
 * only: a second bucket of one port in one namespace needs another l3mdev (a VRF).
 * A global function, so the verifier checks it once: inlined into lookup_ports()'s loop, its
 * body was verified once per port and chain link (16 x 8), ~39,000 instructions and
 * 0.05-0.2 s of every load; the pointers come in as numbers, read through probe reads only. */
__noinline int find_bucket(__u64 net_addr, __u64 h_addr, __u32 port)
{
	const struct net *net = (const void *)net_addr;
	const struct inet_hashinfo *h = (const void *)h_addr;
	const struct inet_bind_hashbucket *head;
	const struct inet_bind_bucket *tb;
	const struct hlist_node *node;
	struct ts_snap_sock *r;
	__u32 size, idx, zero = 0;
	int i;

	r = bpf_map_lookup_elem(&bucket_scratch, &zero);
	size = BPF_CORE_READ(h, bhash_size);
	if (!r || !size)
		return 0;
	idx = (port + BPF_CORE_READ(net, hash_mix)) & (size - 1);
	head = (const void *)((const char *)BPF_CORE_READ(h, bhash) +
			      (__u64)idx * bpf_core_type_size(struct inet_bind_hashbucket));
	node = BPF_CORE_READ(head, chain.first);
	for (i = 0; i < 8 && node; i++) {
		tb = (const void *)((const char *)node - bpf_core_field_offset(struct inet_bind_bucket, node));
		if (BPF_CORE_READ(tb, ib_net.net) == net && BPF_CORE_READ(tb, port) == port) {
			__builtin_memset(r, 0, sizeof(*r));
			SET_ID(r->bucket, tb);
			r->source = TS_SNAP_BUCKET;
			r->fd = -1;
			r->port = port;
			r->netns = BPF_CORE_READ(net, ns.inum);
			r->l3mdev = BPF_CORE_READ(tb, l3mdev);
			r->fastreuse = BPF_CORE_READ(tb, fastreuse);
			r->fastreuseport = BPF_CORE_READ(tb, fastreuseport);
			r->sk_state = first_owner_state(tb);
			return 1;
		}
		node = BPF_CORE_READ(node, next);
	}
	return 0;
}

/* The end of the walk (the iterator's stop call: no task, no file): the buckets of the ports
 * userspace asked for, in the reading thread's namespace. */
static __always_inline int lookup_ports(struct seq_file *seq)
{
	const struct task_struct *cur = (const void *)bpf_get_current_task();
	const struct net *net = BPF_CORE_READ(cur, nsproxy, net_ns);
	const struct inet_hashinfo *h;
	struct ts_snap_ports *ports;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct ts_snap_sock *r;
	__u32 zero = 0;
	int i;

	ports = bpf_map_lookup_elem(&snapshot_ports, &tgid);
	if (!ports || !net)
		return 0;
	/* 6.1+ reach the shared tables through the namespace (per-netns ehash); 5.10's death row
	 * held the same pointer */
	h = BPF_CORE_READ(net, ipv4.tcp_death_row.hashinfo);
	if (!h)
		return 0;
	for (i = 0; i < TS_SNAP_PORTS; i++) {
		if (i >= ports->n)
			break;
		if (!find_bucket((__u64)net, (__u64)h, ports->port[i]))
			continue;
		r = bpf_map_lookup_elem(&bucket_scratch, &zero);
		if (r)
			bpf_seq_write(seq, r, sizeof(*r));
	}
	return 0;
}

/* The task when it is the reader's own process (tgid), else NULL. */
static __always_inline struct task_struct *mine(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;

	if (!task || !ctx->file)
		return NULL;
	if (reader_only && task->tgid != (__u32)(bpf_get_current_pid_tgid() >> 32))
		return NULL;
	return task;
}

/* A task_file step: the walk's end reads the asked ports' buckets; a file of the reader's
 * process that is a TCP socket is recorded. `old` is a constant in each program below, so the
 * other branch's helper call is not compiled in: an object calling bpf_sock_from_file() does not
 * load on 5.10 at all. */
static __always_inline int task_sockets(struct bpf_iter__task_file *ctx, bool old)
{
	/* read once, here: each load of a pointer through a BTF pointer makes the verifier search
	 * the kernel's whole BTF by name (btf_nested_type_is_trusted), and lookup_ports()'s loop
	 * would repeat it once per port it verifies */
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = mine(ctx);
	struct file *file = ctx->file;

	if (!ctx->file)
		return lookup_ports(seq);
	if (!task || !file)
		return 0;
	return task_socket(seq, ctx, task, old ? ts_socket_of_file_old(file) : bpf_sock_from_file(file));
}

/* 5.11+: the kernel says whether the file is a socket. */
SEC("tsiter/task_file")
int iter__task_sockets(struct bpf_iter__task_file *ctx)
{
	return task_sockets(ctx, false);
}

/* 5.8 - 5.10: no bpf_sock_from_file() (socket_file.bpf.h) */
SEC("tsiter/task_file")
int iter__task_sockets_old(struct bpf_iter__task_file *ctx)
{
	return task_sockets(ctx, true);
}

SEC("tsiter/tcp")
int iter__tcp_sockets(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct ts_snap_sock r = {};

	if (!skc || BPF_CORE_READ(skc, skc_state) == TS_TCP_NEW_SYN_RECV) /* no bucket of its own */
		return 0;
	if (!read_sock(&r, skc))
		return 0;
	r.source = TS_SNAP_TCP;
	r.fd = -1;
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}
