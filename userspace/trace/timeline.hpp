// Attributes decoded events to the quiz step that caused them.
#pragma once

#include <cstdint>
#include <vector>

#include "report/report.hpp"

namespace tristate::trace {

// Events of network namespace `netns` go to the step whose [t_start_ns, t_end_ns] window and
// thread contain them, the others of that namespace to quiz.background (the setup's listener,
// timers, softirq); events of any other namespace are dropped. Keeps timestamp order.
// One exception: the bhash2 bucket of a connection the quiz's listener accepted goes to the
// step whose connect() made that connection, whichever thread ran the handshake's softirq.
void attribute_events(report::Quiz& quiz, std::vector<report::Event> events, std::uint64_t netns);

}  // namespace tristate::trace
