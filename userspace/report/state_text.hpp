// The compact one-line form of a step's bucket state, shared by the text report, the matrix's
// cells and the explainer: "1234 0/0 ln ln.child · 60000 -1/-1 s1 · unbound s3".
#pragma once

#include <string>

#include "report/report.hpp"

namespace tristate::report {

std::string tri_value(int v);                 // "-1", "0", "+1": the sign always shown
std::string pair_text(const BucketState& s);  // "-1/0", "+1/0": fastreuse/fastreuseport

// Buckets in port order, each with its pair and its sockets' names; a socket on a bhash2
// bucket with its own pair (6.18+) shows it when it differs: "s1[bhash2 0/0]".
std::string state_line(const StepState& st);

// What two kernels' snapshots are compared on: each bucket's port and pair, and bhash2 pairs
// that differ from their bucket's — not which socket holds a bucket (whether a closed client
// is still FIN_WAIT or already TIME_WAIT when the snapshot runs is timing, not the kernel).
// `bhash2`: include the bhash2 pairs (only between kernels that keep them, 6.18+: an older
// kernel has no such pair, which is not a different value).
std::string state_key(const StepState& st, bool bhash2 = true);

}  // namespace tristate::report
