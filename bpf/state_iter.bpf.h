/* `tristate state` (issue 6): a snapshot of the bhash buckets that TCP sockets hang on, taken
 * with a BPF iterator over the TCP socket tables (iter/tcp, 5.9+). Each socket with a bucket
 * yields one record; userspace groups them by bucket. The iterator walks the listening and
 * established hashes (TIME_WAIT included): a socket that is only bound (bind() with no
 * listen()/connect()) is in neither, so its bucket is not seen — userspace says so. */
#ifndef TRISTATE_STATE_ITER_BPF_H
#define TRISTATE_STATE_ITER_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "core_fixes.bpf.h"
#include "tristate.h"

#define TS_TCP_TIME_WAIT 6
#define TS_TCP_NEW_SYN_RECV 12

SEC("iter/tcp")
int iter__tcp_buckets(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct inet_bind_bucket *tb;
	struct ts_sock_bucket rec = {};

	if (!skc)
		return 0;
	rec.sk_state = BPF_CORE_READ(skc, skc_state);
	if (rec.sk_state == TS_TCP_NEW_SYN_RECV) /* request sockets hold no bucket */
		return 0;
	if (rec.sk_state == TS_TCP_TIME_WAIT)
		tb = BPF_CORE_READ((struct inet_timewait_sock *)skc, tw_tb);
	else
		tb = BPF_CORE_READ((struct inet_connection_sock *)skc, icsk_bind_hash);
	if (!tb)
		return 0;
	rec.bucket = bucket_id((__u64)tb);
	rec.netns = BPF_CORE_READ(tb, ib_net.net, ns.inum);
	rec.port = BPF_CORE_READ(tb, port);
	rec.l3mdev = BPF_CORE_READ(tb, l3mdev);
	rec.family = BPF_CORE_READ(skc, skc_family);
	ts_read_state(false, tb, &rec.fastreuse, &rec.fastreuseport);
	bpf_seq_write(ctx->meta->seq, &rec, sizeof(rec));
	return 0;
}

#endif
