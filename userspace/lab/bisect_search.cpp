#include "lab/bisect_search.hpp"

#include <algorithm>

namespace tristate::lab {
namespace {

struct Interval {
  std::size_t a, b;                    // probed, bootable, different signatures
  std::vector<std::size_t> untried;    // not probed yet, strictly between
};

std::vector<Interval> open_intervals(const BisectOutcome& o) {
  std::vector<std::size_t> ok;
  for (auto& [i, p] : o.probed)
    if (p.signature) ok.push_back(i);
  std::vector<Interval> out;
  for (std::size_t k = 1; k < ok.size(); ++k) {
    const std::size_t a = ok[k - 1], b = ok[k];
    if (*o.probed.at(a).signature == *o.probed.at(b).signature) continue;
    Interval iv{a, b, {}};
    for (std::size_t i = a + 1; i < b; ++i)
      if (!o.probed.count(i)) iv.untried.push_back(i);
    out.push_back(std::move(iv));
  }
  return out;
}

}  // namespace

BisectOutcome bisect_builds(std::size_t n, std::size_t parallel, const ProbeBuilds& probe) {
  BisectOutcome o;
  if (n == 0) {
    o.error = "no builds to bisect";
    return o;
  }
  parallel = std::max<std::size_t>(parallel, 1);
  auto run = [&](const std::vector<std::size_t>& idx) {
    const auto got = probe(idx);
    for (std::size_t k = 0; k < idx.size() && k < got.size(); ++k) o.probed[idx[k]] = got[k];
    o.rounds.push_back(idx);
  };
  run(n == 1 ? std::vector<std::size_t>{0} : std::vector<std::size_t>{0, n - 1});
  for (std::size_t end : {std::size_t(0), n - 1})
    if (!o.probed.at(end).signature) {
      o.error = "build " + std::to_string(end) + " (an end of the range) did not run: " + o.probed.at(end).error;
      return o;
    }
  for (;;) {
    auto open = open_intervals(o);
    std::vector<Interval*> todo;
    for (auto& iv : open)
      if (!iv.untried.empty()) todo.push_back(&iv);
    if (todo.empty()) break;
    // Share the round's guests among the open intervals, then spread each share evenly
    // inside its interval: with k probes an interval of m untried builds shrinks to ~m/(k+1).
    std::vector<std::size_t> share(todo.size(), 0);
    for (std::size_t g = 0; g < parallel; ++g) {
      std::size_t best = todo.size();
      for (std::size_t t = 0; t < todo.size(); ++t)
        if (share[t] < todo[t]->untried.size() &&
            (best == todo.size() || todo[t]->untried.size() * (share[best] + 1) >
                                        todo[best]->untried.size() * (share[t] + 1)))
          best = t;
      if (best == todo.size()) break;
      ++share[best];
    }
    std::vector<std::size_t> batch;
    for (std::size_t t = 0; t < todo.size(); ++t) {
      const auto& u = todo[t]->untried;
      for (std::size_t j = 1; j <= share[t]; ++j) batch.push_back(u[(j * (u.size() + 1)) / (share[t] + 1) - 1]);
    }
    std::sort(batch.begin(), batch.end());
    batch.erase(std::unique(batch.begin(), batch.end()), batch.end());
    run(batch);
  }
  for (auto& iv : open_intervals(o)) {
    Boundary b{iv.a, iv.b, {}};
    for (std::size_t i = iv.a + 1; i < iv.b; ++i) b.unbootable_between.push_back(i);
    o.boundaries.push_back(std::move(b));
  }
  return o;
}

}  // namespace tristate::lab
