/* The struct socket behind a task's file, for task_file iterators. Shared by the snapshot and
 * ports objects, which both read every socket a process holds. */
#ifndef TRISTATE_SOCKET_FILE_BPF_H
#define TRISTATE_SOCKET_FILE_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>

#define TS_S_IFMT 00170000
#define TS_S_IFSOCK 0140000

/* 5.8 - 5.10 have no bpf_sock_from_file(): a socket file is one whose inode is S_IFSOCK
 * (sockfs; a socket's path in the filesystem cannot be opened), and its private_data is the
 * struct socket, as sock_from_file() itself reads it. NULL for any other file. */
static __always_inline struct socket *ts_socket_of_file_old(struct file *file)
{
	if ((BPF_CORE_READ(file, f_inode, i_mode) & TS_S_IFMT) != TS_S_IFSOCK)
		return NULL;
	return BPF_CORE_READ(file, private_data);
}

#endif
