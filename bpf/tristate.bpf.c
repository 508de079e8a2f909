// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
/* Bind-bucket tracer: follows inet_bind_bucket fastreuse/fastreuseport (-1 / 0 / +1) through
 * bind(), listen(), connect() and release.
 *
 * Every traced point exists twice: fentry/fexit and kprobe/kretprobe. Both wrappers call the
 * same handler; the fentry/fexit one tells it (`direct`, read.bpf.h) that its arguments may be
 * dereferenced, the kprobe one that every read must go through bpf_probe_read_kernel().
 * Userspace (trace/attach_plan.cpp) keeps one mechanism per function and turns the others off
 * with bpf_program__set_autoload(false). Where a prototype changed in a way CO-RE
 * cannot relocate (argument order or count), there is one wrapper per prototype, suffixed
 * __a<N> (N: the prototype's parameter count), and userspace picks the one matching the running
 * kernel's BTF (trace/attach_plan.cpp, where the scheme is explained).
 *
 * The fentry/fexit sections are "tsfentry/<function>" and "tsfexit/<function>", handled by
 * trace/btf_id_sections.cpp, not libbpf's "fentry/": those make libbpf read and parse the
 * kernel's whole BTF to find each attach target, even where CO-RE has a minimal BTF; ours take
 * the BTF ids the attach plan already has (in a lab guest, from a file made on the host).
 *
 * One object, one skeleton; the programs live by path in the headers below, over the shared
 * helpers of slots.bpf.h. Each header includes what it uses, so any order compiles. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#include "bind.bpf.h"
#include "connect.bpf.h"
#include "release.bpf.h"
#include "bhash2.bpf.h"
#include "inherit.bpf.h"
