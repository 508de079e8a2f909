/* Kernel drift, in one place. vmlinux.h is 6.18; everything older is reached through
 * ___flavour structs (libbpf strips the suffix when relocating) and bpf_core_field_exists().
 * Argument-order changes cannot be fixed by CO-RE: those are program variants in
 * tristate.bpf.c, chosen in userspace from the running kernel's BTF (trace/attach_plan.cpp). */
#ifndef TRISTATE_CORE_FIXES_BPF_H
#define TRISTATE_CORE_FIXES_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>

#include "read.bpf.h"

/* <= 6.7: sockets hang directly on tb->owners. 6.8 (Kuniyuki Iwashima's series "tcp: Link bhash2 to bhash")
 * replaced it by tb->bhash2, a list of inet_bind2_bucket. */
struct inet_bind_bucket___owners {
	struct hlist_head owners;
} __attribute__((preserve_access_index)); /* CO-RE for direct reads too, as vmlinux.h's */

/* 6.1 - 6.7: tb2 has `family` and a union rcv_saddr/v6_rcv_saddr, and a `deathrow` list of
 * TIME_WAIT sockets. 6.8 replaced family by addr_type and dropped
 * deathrow (TIME_WAIT sockets moved onto owners). */
struct inet_bind2_bucket___v61 {
	unsigned short family;
	struct hlist_head deathrow;
} __attribute__((preserve_access_index));

/* 6.18 ("tcp: Update bind bucket state on port release", commit d57f4b874946): tb2 carries
 * its own fastreuse/fastreuseport. Present in vmlinux.h; probed with bpf_core_field_exists.
 * The same commit made a release move the state of the bucket it leaves: before it, no
 * release can, and the tracer does not look. */
static __always_inline bool ts_release_moves_state(void)
{
	return bpf_core_field_exists(struct inet_bind2_bucket, fastreuse);
}

/* Read tb's (fastreuse, fastreuseport). Field names and types are stable since 4.x. direct:
 * see read.bpf.h. */
static __always_inline void ts_read_state(bool direct, const struct inet_bind_bucket *tb, __s8 *fr,
					  __s8 *frp)
{
	*fr = TS_READ(direct, tb, fastreuse);
	*frp = TS_READ(direct, tb, fastreuseport);
}

/* True when no socket (<= 6.7) / no bhash2 bucket (6.8+) hangs on tb any more: the condition
 * inet_bind_bucket_destroy() checks before it really frees tb. direct: see read.bpf.h (here
 * and below). */
static __always_inline bool ts_bucket_empty(bool direct, const struct inet_bind_bucket *tb)
{
	const struct inet_bind_bucket___owners *old = (const void *)tb;

	if (bpf_core_field_exists(old->owners))
		return TS_READ(direct, old, owners.first) == NULL;
	return TS_READ(direct, tb, bhash2.first) == NULL;
}

/* True when exactly one socket holds tb: ≤ 6.7 one entry on tb->owners; 6.8+ one tb2 on
 * tb->bhash2 with one entry on its owners. Buckets are freed as soon as they are empty, so a
 * bucket whose only owner is the socket __inet_hash_connect just hashed was created by that
 * call: how the connect path is seen where the compiler inlined inet_bind_bucket_create()
 * into __inet_hash_connect (same file, net/ipv4/inet_hashtables.c). */
static __always_inline bool ts_bucket_single_owner(bool direct, const struct inet_bind_bucket *tb)
{
	const struct inet_bind_bucket___owners *old = (const void *)tb;
	struct hlist_node *first;
	const struct inet_bind2_bucket *tb2;

	if (bpf_core_field_exists(old->owners)) {
		first = TS_READ(direct, old, owners.first);
		return first && !TS_READ(direct, first, next);
	}
	/* 6.8+: the step from the hlist node to its tb2 is pointer arithmetic, refused on a BTF
	 * pointer; this branch reads through bpf_probe_read_kernel() whatever `direct` says. */
	first = BPF_CORE_READ(tb, bhash2.first);
	if (!first || BPF_CORE_READ(first, next))
		return false;
	tb2 = (const void *)((const char *)first -
			     bpf_core_field_offset(struct inet_bind2_bucket, bhash_node));
	first = BPF_CORE_READ(tb2, owners.first);
	return first && !BPF_CORE_READ(first, next);
}

static __always_inline bool ts_bucket2_empty(bool direct, const struct inet_bind2_bucket *tb2)
{
	const struct inet_bind2_bucket___v61 *v61 = (const void *)tb2;

	if (TS_READ(direct, tb2, owners.first) != NULL)
		return false;
	if (bpf_core_field_exists(v61->deathrow))
		return TS_READ(direct, v61, deathrow.first) == NULL;
	return true;
}

/* True when tb2 is freed as soon as its one owner leaves: one socket on owners (and, 6.1 - 6.7,
 * no TIME_WAIT socket on deathrow), the condition inet_bind2_bucket_destroy() checks. */
static __always_inline bool ts_bucket2_last_owner(bool direct, const struct inet_bind2_bucket *tb2)
{
	const struct inet_bind2_bucket___v61 *v61 = (const void *)tb2;
	const struct hlist_node *first = TS_READ(direct, tb2, owners.first);

	if (!first || TS_READ(direct, first, next))
		return false;
	if (bpf_core_field_exists(v61->deathrow))
		return TS_READ(direct, v61, deathrow.first) == NULL;
	return true;
}

/* The order in which __inet_put_port frees a socket's last buckets: <= 6.7 tb, then tb2; 6.8+,
 * where tb holds its tb2s, tb2 first. */
static __always_inline bool ts_bucket2_freed_first(void)
{
	return !bpf_core_field_exists(struct inet_bind_bucket___owners, owners);
}

/* tb2's local address as the kernel stores it (v6_rcv_saddr; IPv4 in its first 4 bytes before
 * 6.8, v4-mapped since) into the 16-byte array dst. A macro: through a __u8 * parameter clang
 * loses dst's alignment and copies byte by byte (+56 instructions, measured). */
#define TS_READ_BUCKET2_ADDR(direct, tb2, dst)                                       \
	do {                                                                          \
		if (direct)                                                           \
			__builtin_memcpy(dst, &(tb2)->v6_rcv_saddr, sizeof(dst));     \
		else                                                                  \
			bpf_core_read(dst, sizeof(dst), &(tb2)->v6_rcv_saddr);        \
	} while (0)

/* tb2's family when the kernel records it (6.1 - 6.7), else 0: userspace then decodes the
 * v4-mapped form 6.8+ stores. */
static __always_inline __u16 ts_bucket2_family(bool direct, const struct inet_bind2_bucket *tb2)
{
	const struct inet_bind2_bucket___v61 *v61 = (const void *)tb2;

	if (bpf_core_field_exists(v61->family))
		return TS_READ(direct, v61, family);
	return 0;
}

#endif
