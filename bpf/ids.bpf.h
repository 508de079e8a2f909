/* Ids of kernel objects (buckets, sockets), shared by the tracer and the iterators: an address
 * keyed with the run's salt and mixed, so that ids stay stable within a run, the same object
 * gets the same id from every object that is given the same salt, and no kernel address leaks
 * into the output. */
#ifndef TRISTATE_IDS_BPF_H
#define TRISTATE_IDS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

/* splitmix64's finaliser over addr ^ salt */
static __always_inline __u64 ts_object_id(__u64 addr, __u64 salt)
{
	__u64 x = addr ^ salt;

	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* dst = the id of the object at p. Arithmetic on a trusted BTF pointer (iter/tcp's socket) is
 * refused, and a stack slot keeps the pointer's type: the address is copied by
 * bpf_probe_read_kernel(), which hands back a plain number. */
#define TS_SET_ID(dst, p, salt)                                         \
	do {                                                            \
		const void *ptr__ = (p);                                \
		bpf_probe_read_kernel(&(dst), sizeof(dst), &ptr__);     \
		(dst) = ts_object_id((dst), (salt));                    \
	} while (0)

#endif
