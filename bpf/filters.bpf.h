/* Live-trace filters (`tristate trace -p/-c/--cgroup/--port/-- CMD`), applied in BPF so that
 * filtered-out events never cost a ring-buffer record or a wakeup. All off by default: quiz mode
 * is unchanged.
 *
 * Two stages:
 *  - want_task(): who is running (tgid, followed tgids, comm, cgroup). Called where the tracer
 *    decides whether to start following a socket operation (wanted_task()), before anything is
 *    reserved.
 *  - want_event(): what happened (port range, failed allocations only). Called on the filled
 *    record just before submit; an unwanted record is discarded, never counted as an event.
 *
 * Events not taken in the context of a socket operation of the task (path NONE: a TIME_WAIT
 * bucket freed from the timer softirq, which runs on whatever task was interrupted) cannot be
 * attributed to a process: under any task filter they are dropped, so `-p`, `-c`, `--cgroup`
 * and `-- CMD` never show another task's timers by accident. Port and netns filters keep them. */
#ifndef TRISTATE_FILTERS_BPF_H
#define TRISTATE_FILTERS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "tristate.h"

const volatile bool filter_task = false;     /* any task filter below is on */
const volatile bool filter_follow = false;   /* only tgids in followed_tgids (-- CMD) */
const volatile bool filter_comm_on = false;  /* -c COMM */
const volatile char filter_comm[16] = {};
const volatile __u64 filter_cgroup = 0;      /* --cgroup: cgroup v2 id, 0 = off */
const volatile __u16 filter_port_lo = 0;     /* --port P[-Q]: off when hi == 0 */
const volatile __u16 filter_port_hi = 0;
const volatile bool filter_failed_only = false;
const volatile __u32 wakeup_every = 0;       /* wake the reader every this many records per CPU */

/* Processes followed by `trace -- CMD`: the command (inserted by userspace before it execs)
 * and every process forked from a followed one (sched_process_fork below). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u8);
} followed_tgids SEC(".maps");

static __always_inline bool want_task(void)
{
	if (!filter_task)
		return true;
	if (filter_follow) {
		__u32 tgid = bpf_get_current_pid_tgid() >> 32;

		if (!bpf_map_lookup_elem(&followed_tgids, &tgid))
			return false;
	}
	if (filter_comm_on) {
		char comm[16] = {};
		int i;

		bpf_get_current_comm(comm, sizeof(comm));
#pragma unroll
		for (i = 0; i < 16; i++) {
			if (comm[i] != filter_comm[i])
				return false;
			if (!comm[i])
				break;
		}
	}
	if (filter_cgroup && bpf_get_current_cgroup_id() != filter_cgroup)
		return false;
	return true;
}

static __always_inline bool is_alloc(const struct ts_event *e)
{
	return e->kind == TS_EV_BIND_ALLOC || e->kind == TS_EV_CONNECT_ALLOC;
}

static __always_inline bool want_event(const struct ts_event *e)
{
	if (filter_task && e->path == TS_PATH_NONE)
		return false;
	if (filter_port_hi) {
		__u16 p = e->port;

		/* a failed bind() has no port yet: what it asked for is what matters */
		if (!p && (e->flags & TS_F_REQUESTED))
			p = e->requested_port;
		if (p < filter_port_lo || p > filter_port_hi)
			return false;
	}
	/* <= 6.0 inet_csk_get_port() fails with 1, later with -EADDRINUSE: any non-zero */
	if (filter_failed_only && (!is_alloc(e) || !(e->flags & TS_F_RESULT) || e->result == 0))
		return false;
	return true;
}

/* Ring-buffer notification: with a threshold, wake the reader every wakeup_every events per
 * CPU, which userspace sizes so that all CPUs together stay under the --wakeup-kb it was given
 * (the reader also polls on a timer, so a quiet trace still shows up promptly). records: this
 * CPU's count, a member of the counters every record updates anyway; asking the ring how much
 * is pending (bpf_ringbuf_query) was a helper call per event. n: the events in this record (an
 * operation's batch holds several). */
static __always_inline __u64 submit_flags(__u64 *records, __u32 n, bool per_event)
{
	if (per_event)
		return 0;
	/* counted up and reset, not `% wakeup_every`: a 64-bit division per record is one
	 * instruction to an instruction count and tens of cycles to a real CPU */
	if (wakeup_every && records && (*records += n) >= wakeup_every) {
		*records = 0;
		return BPF_RB_FORCE_WAKEUP;
	}
	return BPF_RB_NO_WAKEUP;
}

/* Follow the children of followed processes. Threads share their parent's tgid: no-op. */
SEC("raw_tp/sched_process_fork")
int BPF_PROG(raw_tp__sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid;
	__u8 one = 1;

	if (!bpf_map_lookup_elem(&followed_tgids, &ptgid))
		return 0;
	ctgid = BPF_CORE_READ(child, tgid);
	bpf_map_update_elem(&followed_tgids, &ctgid, &one, BPF_ANY);
	return 0;
}

#endif
