/* Shared by bpf/ports.bpf.c and userspace/ports/port_reader.cpp: one TCP socket as `tristate
 * ports` needs it (its bind bucket's port and state, its 4-tuple, who holds it and how it was
 * bound). Only fixed-width fields, explicit padding; C++ static_asserts size and offsets. */
#ifndef TRISTATE_BPF_PORTS_H
#define TRISTATE_BPF_PORTS_H

#ifdef __cplusplus
#include <linux/types.h>
#endif

/* Which iterator wrote the record. */
enum ts_port_source {
	TS_PORT_TASK_FILE = 1, /* a socket file of some process: who holds it */
	TS_PORT_TCP = 2,       /* the reading thread's namespace's TCP tables: its 4-tuple */
};

/* ts_port_sock.flags */
#define TS_PORT_F_BUCKET 0x01     /* on a bhash bucket (fastreuse/fastreuseport valid) */
#define TS_PORT_F_V6 0x02         /* addresses are IPv6 (else IPv4 in their first 4 bytes) */
#define TS_PORT_F_REUSEADDR 0x04  /* SO_REUSEADDR (sk_reuse) */
#define TS_PORT_F_REUSEPORT 0x08  /* SO_REUSEPORT (sk_reuseport) */
#define TS_PORT_F_PORT_LOCK 0x10  /* bind() named the port (SOCK_BINDPORT_LOCK): not port 0 */
#define TS_PORT_F_TW_TS 0x20      /* TIME_WAIT with a peer timestamp (tw_ts_recent_stamp != 0) */
#define TS_PORT_F_TW_FW2 0x40     /* TIME_WAIT whose substate is FIN_WAIT2 (never reused) */
#define TS_PORT_F_TW_AGE_MS 0x80  /* tw_age is ms since tw_entry_stamp (6.13+), else seconds
				     * since tw_ts_recent_stamp */

struct ts_port_sock {
	__u64 sock;      /* salted hash of the socket's address: one socket seen by both iterators */
	__u8 laddr[16];  /* local (bound) address */
	__u8 raddr[16];  /* remote address, tcp only */
	__u32 netns;     /* inode of the socket's network namespace */
	__u32 pid;       /* task_file: the process (tgid) holding the fd; tcp: 0 */
	__s32 fd;        /* task_file: the fd; tcp: -1 */
	__u32 tw_age;    /* TIME_WAIT: see TS_PORT_F_TW_AGE_MS */
	__u16 lport;     /* local port (host order) */
	__u16 rport;     /* remote port (host order), tcp only */
	__u16 family;    /* AF_INET / AF_INET6 */
	__u8 source;     /* enum ts_port_source */
	__u8 sk_state;   /* TCP_ESTABLISHED 1 … TCP_CLOSE 7 (bound only) … TCP_LISTEN 10 */
	__s8 fastreuse;  /* bhash bucket, TS_PORT_F_BUCKET */
	__s8 fastreuseport;
	__u8 flags;      /* TS_PORT_F_* */
	__u8 pad0;
	char comm[16];   /* task_file: the process's command */
};

#endif
