/* The one struct shared by the BPF programs and the C++ decoder (userspace/trace/decode.cpp).
 * Only fixed-width __u8..__u64 fields with explicit padding, so both compilers lay it out the
 * same way; C++ static_asserts the size and offsets. No vmlinux.h types here. */
#ifndef TRISTATE_BPF_TRISTATE_H
#define TRISTATE_BPF_TRISTATE_H

#ifdef __cplusplus
#include <linux/types.h>
#endif

/* What happened (report::Event::kind): report::EventKind's order, from 1, so that userspace
 * decodes a number without a table of its own. A new kind goes before TS_EV_COUNT, in the
 * place its enum value takes. */
enum ts_kind {
	TS_EV_BUCKET_CREATE = 1,
	TS_EV_BUCKET_STATE = 2,
	TS_EV_BUCKET_DESTROY = 3,
	TS_EV_BIND_ALLOC = 4,
	TS_EV_CONNECT_ALLOC = 5,
	TS_EV_CONNECT_SKIP = 6, /* reserved: derived in userspace (explain), never emitted */
	TS_EV_BUCKET2_CREATE = 7,
	TS_EV_BUCKET2_DESTROY = 8,
	TS_EV_COUNT,
};

/* Which kernel function the event was taken in (report::Event::function). */
enum ts_func {
	TS_FN_INET_CSK_GET_PORT = 1,
	TS_FN_INET_HASH_CONNECT = 2,
	TS_FN_BIND_BUCKET_CREATE = 3,
	TS_FN_UPDATE_FASTREUSE = 4,
	/* 5: inet_bind_hash, no longer traced (see __inet_hash_connect's exit) */
	TS_FN_BIND_BUCKET_DESTROY = 6,
	TS_FN_BIND2_BUCKET_CREATE = 7,
	TS_FN_BIND2_BUCKET_DESTROY = 8,
	TS_FN_PUT_PORT = 9,
	TS_FN_INHERIT_PORT = 10,
};

/* Which socket operation was in progress on this thread (report::Event::path). */
enum ts_path {
	TS_PATH_NONE = 0,
	TS_PATH_BIND = 1,
	TS_PATH_LISTEN = 2,
	TS_PATH_CONNECT = 3,
	TS_PATH_RELEASE = 4,
};

/* Watched namespaces checked by compares before the netns_filter map (bpf/tristate.bpf.c). */
#define TS_NETNS_FAST 4
#define TS_NETNS_SLOW 0xff /* netns_fast_n: more were watched; every check asks the map */

/* ts_event.flags: which optional members carry data. */
#define TS_F_BEFORE 0x01
#define TS_F_AFTER 0x02
#define TS_F_RESULT 0x04
#define TS_F_REQUESTED 0x08
#define TS_F_ADDR 0x10

struct ts_event {
	__u64 ts_ns;      /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u64 bucket;     /* salted hash of the bucket address: an id, not the address */
	__u32 pid;        /* tgid */
	__u32 tid;
	__u32 netns;      /* inode of the bucket's (or socket's) network namespace */
	__s32 result;     /* return value of the function (TS_F_RESULT) */
	__s32 l3mdev;
	__u16 port;
	__u16 requested_port; /* inet_csk_get_port's snum (TS_F_REQUESTED) */
	__u8 kind;        /* enum ts_kind */
	__u8 func;        /* enum ts_func */
	__u8 path;        /* enum ts_path */
	__u8 flags;       /* TS_F_* */
	__s8 before_fastreuse;
	__s8 before_fastreuseport;
	__s8 after_fastreuse;
	__s8 after_fastreuseport;
	__u16 addr_family; /* bhash2 events: AF_INET/AF_INET6, 0 when the kernel does not say */
	__u8 pad0[6];
	__u8 addr[16];    /* bhash2 events: the bucket's local address, as the kernel stores it */
	char comm[16];
};

/* The value of the one-entry per-CPU `counters` array: one lookup does a record's accounting. */
struct ts_counters {
	__u64 lost;    /* events the ring buffer had no room for */
	__u64 events;  /* events submitted (a record may hold several) */
	__u64 busy;    /* operations not followed: their thread's slot held by another live one, or a
	                * release nested in another socket's operation (softirq) */
	__u64 records; /* events written since the last forced wakeup (the reader's wakeup rule) */
};

#endif
