/* Reading kernel memory in a handler shared by fentry/fexit and kprobe programs. */
#ifndef TRISTATE_READ_BPF_H
#define TRISTATE_READ_BPF_H

#include <bpf/bpf_core_read.h>

/* TS_READ(direct, src, a, b, ...) is src->a->b..., CO-RE relocated either way.
 *
 * direct: src is, or was loaded through, a BTF-typed argument of a fentry/fexit program. The
 * verifier lets such a pointer be dereferenced: each hop is one load, made fault-safe by the
 * JIT (PROBE_MEM). Otherwise (kprobe arguments, addresses kept in a map) every hop is a
 * bpf_probe_read_kernel() call, which bench/trace_bench --profile showed to be most of the
 * tracer's remaining time in a connect() loop.
 *
 * Handlers are __always_inline and each program passes a literal, so only one side of every
 * read is compiled into it. A direct read of anything else would be refused at load time by
 * the verifier, in every lab kernel the tracer tests run. */
#define TS_READ(direct, src, a, ...) \
	((direct) ? ___arrow(src, a, ##__VA_ARGS__) : BPF_CORE_READ(src, a, ##__VA_ARGS__))

#endif
