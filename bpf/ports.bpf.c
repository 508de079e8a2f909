// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
/* `tristate ports`: which local ports a plain connect() could still get, read by BPF iterators
 * only (no tracing: works where fentry and kprobes are refused). A small object of its own,
 * apart from the quiz snapshot's, because it reads different things about many more sockets
 * (a proxy's 50,000) and must stay compact: one 88-byte record per socket.
 *
 * iter/tcp: every socket of the reading thread's namespace's TCP tables, with its bucket and
 * 4-tuple (what __inet_hash_connect's check_established compares), TIME_WAIT ones included.
 * iter/task_file: socket files of every process whose bucket blocks connect() (fastreuse or
 * fastreuseport >= 0): who holds them, how they were bound; bound-only sockets are in no table.
 * The sections say "tsiter/", as in snapshot.bpf.c: the attach targets' ids come from a
 * per-kernel cache (trace/iterator_object), not from libbpf parsing the kernel's whole BTF. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "ports.h"
#include "ids.bpf.h"
#include "socket_file.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u64 id_salt = 0; /* per-run key: ids, not kernel addresses */
/* iter/task_file keeps sockets whose port is in [port_lo, port_hi] (the ranges of the namespaces
 * read): a server's accepted connections sit on its listener's bucket, which blocks connect()
 * too, and would otherwise be 25,000 of the bench's 30,000 records. Written before each read. */
__u16 port_lo = 1; /* non-zero: .data, beside port_hi (port 0 is never bound) */
__u16 port_hi = 65535;

#define TS_AF_INET 2
#define TS_AF_INET6 10
#define TS_IPPROTO_TCP 6
#define TS_SOCK_STREAM 1
#define TS_TCP_FIN_WAIT2 5
#define TS_TCP_TIME_WAIT 6
#define TS_TCP_NEW_SYN_RECV 12
#define TS_SOCK_BINDPORT_LOCK 8

/* 6.13+ ("tcp: check timewait reuse against the TIME_WAIT entry time"): tcp_twsk_unique()
 * compares tcp_clock_ms() with tw_entry_stamp + tcp_tw_reuse_delay; before, the peer's
 * timestamp time in seconds (tw_ts_recent_stamp). */
struct inet_timewait_sock___entry {
	__u32 tw_entry_stamp;
} __attribute__((preserve_access_index));

/* ids.bpf.h, keyed with this run's id_salt */
#define SET_ID(dst, p) TS_SET_ID(dst, p, id_salt)

static __always_inline void read_bucket(struct ts_port_sock *r, const struct inet_bind_bucket *tb)
{
	if (!tb)
		return;
	r->flags |= TS_PORT_F_BUCKET;
	r->lport = BPF_CORE_READ(tb, port);
	r->fastreuse = BPF_CORE_READ(tb, fastreuse);
	r->fastreuseport = BPF_CORE_READ(tb, fastreuseport);
}

/* Fills r from a full or TIME_WAIT socket; false for what is not TCP over IPv4/IPv6. */
static __always_inline bool read_sock(struct ts_port_sock *r, const struct sock_common *skc)
{
	r->family = BPF_CORE_READ(skc, skc_family);
	if (r->family != TS_AF_INET && r->family != TS_AF_INET6)
		return false;
	SET_ID(r->sock, skc);
	r->sk_state = BPF_CORE_READ(skc, skc_state);
	r->netns = BPF_CORE_READ(skc, skc_net.net, ns.inum);
	r->lport = BPF_CORE_READ(skc, skc_num);
	r->rport = __builtin_bswap16(BPF_CORE_READ(skc, skc_dport));
	if (r->family == TS_AF_INET6) {
		bpf_core_read(r->laddr, 16, &skc->skc_v6_rcv_saddr);
		bpf_core_read(r->raddr, 16, &skc->skc_v6_daddr);
		r->flags |= TS_PORT_F_V6;
	} else {
		bpf_core_read(r->laddr, 4, &skc->skc_rcv_saddr);
		bpf_core_read(r->raddr, 4, &skc->skc_daddr);
	}
	if (BPF_CORE_READ_BITFIELD_PROBED(skc, skc_reuse))
		r->flags |= TS_PORT_F_REUSEADDR;
	if (BPF_CORE_READ_BITFIELD_PROBED(skc, skc_reuseport))
		r->flags |= TS_PORT_F_REUSEPORT;
	if (r->sk_state == TS_TCP_TIME_WAIT) {
		const struct inet_timewait_sock *tw = (const void *)skc;
		const struct tcp_timewait_sock *tcptw = (const void *)skc;
		const struct inet_timewait_sock___entry *twe = (const void *)skc;

		read_bucket(r, BPF_CORE_READ(tw, tw_tb));
		if (BPF_CORE_READ(tcptw, tw_ts_recent_stamp))
			r->flags |= TS_PORT_F_TW_TS;
		if (BPF_CORE_READ(tw, tw_substate) == TS_TCP_FIN_WAIT2)
			r->flags |= TS_PORT_F_TW_FW2;
		if (bpf_core_field_exists(twe->tw_entry_stamp)) {
			/* tcp_clock_ms() is ktime_get_ns() / 1e6: the clock bpf_ktime_get_ns() reads */
			r->tw_age = (__u32)(bpf_ktime_get_ns() / 1000000) - BPF_CORE_READ(twe, tw_entry_stamp);
			r->flags |= TS_PORT_F_TW_AGE_MS;
		} else {
			r->tw_age = (__u32)(bpf_ktime_get_ns() / 1000000000) -
				    (__u32)BPF_CORE_READ(tcptw, tw_ts_recent_stamp);
		}
	} else {
		const struct inet_connection_sock *icsk = (const void *)skc;
		const struct sock *sk = (const void *)skc;

		read_bucket(r, BPF_CORE_READ(icsk, icsk_bind_hash));
		if (BPF_CORE_READ_BITFIELD_PROBED(sk, sk_userlocks) & TS_SOCK_BINDPORT_LOCK)
			r->flags |= TS_PORT_F_PORT_LOCK;
	}
	return true;
}

static __always_inline int task_socket(struct bpf_iter__task_file *ctx, struct task_struct *task,
				       const struct socket *sock)
{
	struct ts_port_sock r = {};
	const struct inet_bind_bucket *tb;
	const struct sock *sk;
	__u16 port;

	if (!sock)
		return 0;
	sk = BPF_CORE_READ(sock, sk);
	if (!sk || BPF_CORE_READ(sk, sk_protocol) != TS_IPPROTO_TCP ||
	    BPF_CORE_READ(sk, sk_type) != TS_SOCK_STREAM)
		return 0;
	/* the cheap tests first: most of a busy machine's sockets are not wanted here. A
	 * connect()-made bucket (-1/-1) blocks nothing: its holder is not wanted, and a proxy's
	 * 50,000 connections are in the TCP tables anyway. */
	tb = BPF_CORE_READ((const struct inet_connection_sock *)sk, icsk_bind_hash);
	if (!tb || (BPF_CORE_READ(tb, fastreuse) < 0 && BPF_CORE_READ(tb, fastreuseport) < 0))
		return 0;
	port = BPF_CORE_READ(tb, port);
	if (port < port_lo || port > port_hi)
		return 0;
	if (!read_sock(&r, &sk->__sk_common))
		return 0;
	r.source = TS_PORT_TASK_FILE;
	r.pid = task->tgid;
	r.fd = ctx->fd;
	bpf_probe_read_kernel_str(r.comm, sizeof(r.comm), task->comm);
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}

/* 5.11+: the kernel says whether the file is a socket. The tests after it are probe reads, as
 * in the 5.10 program: this one used to load sock->sk and the bucket directly and pass the
 * socket to bpf_skc_to_tcp_sock(), which 6.18's verifier refuses (sock->sk is an untrusted
 * pointer there, EACCES), and the whole object then loaded as the 5.10 variant. */
SEC("tsiter/task_file")
int iter__port_holders(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;

	if (!task || !file)
		return 0;
	return task_socket(ctx, task, bpf_sock_from_file(file));
}

/* 5.8 - 5.10: no bpf_sock_from_file() (socket_file.bpf.h) */
SEC("tsiter/task_file")
int iter__port_holders_old(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;

	if (!task || !file)
		return 0;
	return task_socket(ctx, task, ts_socket_of_file_old(file));
}

/* iter/tcp hands a trusted socket pointer: fields are loaded directly (probe-memory loads the
 * verifier inserts) instead of one bpf_probe_read_kernel() call each, as read_sock() must for
 * task_file's sockets. 50,000 sockets: the walk is what `tristate ports` waits for. */
SEC("tsiter/tcp")
int iter__port_sockets(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	const struct inet_bind_bucket *tb;
	struct ts_port_sock r = {};

	if (!skc)
		return 0;
	r.sk_state = skc->skc_state;
	r.family = skc->skc_family;
	if (r.sk_state == TS_TCP_NEW_SYN_RECV || (r.family != TS_AF_INET && r.family != TS_AF_INET6))
		return 0;
	SET_ID(r.sock, skc);
	r.netns = skc->skc_net.net->ns.inum;
	r.lport = skc->skc_num;
	r.rport = __builtin_bswap16(skc->skc_dport);
	if (r.family == TS_AF_INET6) {
		__builtin_memcpy(r.laddr, &skc->skc_v6_rcv_saddr, 16);
		__builtin_memcpy(r.raddr, &skc->skc_v6_daddr, 16);
		r.flags |= TS_PORT_F_V6;
	} else {
		__builtin_memcpy(r.laddr, &skc->skc_rcv_saddr, 4);
		__builtin_memcpy(r.raddr, &skc->skc_daddr, 4);
	}
	if (BPF_CORE_READ_BITFIELD(skc, skc_reuse))
		r.flags |= TS_PORT_F_REUSEADDR;
	if (BPF_CORE_READ_BITFIELD(skc, skc_reuseport))
		r.flags |= TS_PORT_F_REUSEPORT;
	if (r.sk_state == TS_TCP_TIME_WAIT) {
		struct tcp_timewait_sock *tcptw = bpf_skc_to_tcp_timewait_sock(skc);
		const struct inet_timewait_sock___entry *twe = (const void *)tcptw;

		if (!tcptw)
			return 0;
		tb = tcptw->tw_sk.tw_tb;
		if (tcptw->tw_ts_recent_stamp)
			r.flags |= TS_PORT_F_TW_TS;
		if (tcptw->tw_sk.tw_substate == TS_TCP_FIN_WAIT2)
			r.flags |= TS_PORT_F_TW_FW2;
		if (bpf_core_field_exists(twe->tw_entry_stamp)) {
			r.tw_age = (__u32)(bpf_ktime_get_ns() / 1000000) - twe->tw_entry_stamp;
			r.flags |= TS_PORT_F_TW_AGE_MS;
		} else {
			r.tw_age = (__u32)(bpf_ktime_get_ns() / 1000000000) - (__u32)tcptw->tw_ts_recent_stamp;
		}
	} else {
		struct tcp_sock *tp = bpf_skc_to_tcp_sock(skc);

		if (!tp)
			return 0;
		tb = tp->inet_conn.icsk_bind_hash;
		if (BPF_CORE_READ_BITFIELD(&tp->inet_conn.icsk_inet.sk, sk_userlocks) & TS_SOCK_BINDPORT_LOCK)
			r.flags |= TS_PORT_F_PORT_LOCK;
	}
	if (tb) {
		r.flags |= TS_PORT_F_BUCKET;
		r.lport = tb->port;
		r.fastreuse = tb->fastreuse;
		r.fastreuseport = tb->fastreuseport;
	}
	r.source = TS_PORT_TCP;
	r.fd = -1;
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}
