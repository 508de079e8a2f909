/* Shared by bpf/snapshot.bpf.c and userspace/trace/snapshot.cpp: one TCP socket and the bind
 * buckets it holds, as a BPF iterator read them. Only fixed-width fields, explicit padding;
 * C++ static_asserts size and offsets. No vmlinux.h types here. */
#ifndef TRISTATE_BPF_SNAPSHOT_H
#define TRISTATE_BPF_SNAPSHOT_H

#ifdef __cplusplus
#include <linux/types.h>
#endif

/* Which iterator wrote the record. */
enum ts_snap_source {
	TS_SNAP_TASK_FILE = 1, /* a file of the reading process (iter/task_file) */
	TS_SNAP_TCP = 2,       /* the reading thread's namespace's TCP hash tables (iter/tcp) */
	TS_SNAP_BUCKET = 3,    /* a bhash bucket looked up by port (snapshot_ports), in the reader's
				* namespace; sk_state: its first owner's */
};

/* Ports whose bhash bucket the task_file program also looks up, at the end of its walk: ports
 * the quiz's sockets held before, which a TIME_WAIT or closing socket may still hold. */
#define TS_SNAP_PORTS 16
struct ts_snap_ports {
	__u32 n;
	__u16 port[TS_SNAP_PORTS];
};

/* ts_snap_sock.flags */
#define TS_SNAP_F_TB2 0x01       /* the socket is on a bhash2 bucket (6.1+) */
#define TS_SNAP_F_TB2_STATE 0x02 /* that bucket has its own fastreuse pair (6.18+) */
#define TS_SNAP_F_V6 0x04        /* addr is an IPv6 address (else IPv4 in its first 4 bytes) */

struct ts_snap_sock {
	__u64 sock;       /* salted hash of the socket's address: one socket seen by both iterators */
	__u64 bucket;     /* salted hash of its bhash bucket, 0: not bound */
	__u64 bucket2;    /* same for its bhash2 bucket, 0: none */
	__u32 netns;      /* inode of the socket's network namespace */
	__u32 pid;        /* task_file: the process holding the fd; tcp: 0 */
	__s32 fd;         /* task_file: the fd; tcp: -1 */
	__s32 l3mdev;     /* the bhash bucket's */
	__u16 port;       /* the bhash bucket's port (the socket's local port) */
	__u16 family;     /* AF_INET / AF_INET6 */
	__u8 source;      /* enum ts_snap_source */
	__u8 sk_state;    /* TCP_ESTABLISHED 1 … TCP_CLOSE 7 (bound only) … TCP_LISTEN 10 */
	__s8 fastreuse;   /* bhash bucket */
	__s8 fastreuseport;
	__s8 fastreuse2;  /* bhash2 bucket, TS_SNAP_F_TB2_STATE */
	__s8 fastreuseport2;
	__u8 flags;       /* TS_SNAP_F_* */
	__u8 pad0;
	__u8 addr[16];    /* the socket's local (bound) address */
	char comm[16];    /* task_file: the process's command */
	__u32 backlog;    /* task_file, a listener: connections in its accept queue (sk_ack_backlog) */
};

#endif
