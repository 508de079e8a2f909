// What the benchmarks share: the loopback connection loop the tracer benchmarks trace, and
// the median / load-average figures every printout carries. Header-only: each benchmark is
// one executable.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace tristate::bench {

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// The three load averages: a busy machine makes TCG guests slow, so figures carry it.
inline std::string loadavg() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

// What the client does before connect().
enum class Loop {
  bind_connect,  // bind(127.0.0.1:0) first: bindsnoop has something to see; tristate sees bind and connect
  connect,       // nothing: connect() picks the port, as a proxy's upstream connections do
};

inline const char* loop_name(Loop l) { return l == Loop::connect ? "connect+close" : "bind+connect+close"; }

// [bind() +] connect() + accept() + close() both ends on loopback, against a listener of its
// own on `port`, for `seconds`: connections per second. Exits 2 when the kernel refuses a step
// (nothing to measure).
inline double connection_loop(double seconds, std::uint16_t port, Loop loop = Loop::bind_connect) {
  using Clock = std::chrono::steady_clock;
  int l = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in srv{};
  srv.sin_family = AF_INET;
  srv.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  srv.sin_port = htons(port);
  if (bind(l, reinterpret_cast<sockaddr*>(&srv), sizeof(srv)) || listen(l, 4096)) {
    std::perror("listener");
    std::exit(2);
  }
  sockaddr_in any = srv;
  any.sin_port = 0;
  linger lg{1, 0};  // RST on close: no TIME_WAIT, the port range never runs dry
  long n = 0;
  const auto t0 = Clock::now();
  const auto end = t0 + std::chrono::duration<double>(seconds);
  while (Clock::now() < end) {
    for (int i = 0; i < 32; ++i, ++n) {
      int c = socket(AF_INET, SOCK_STREAM, 0);
      setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
      if ((loop == Loop::bind_connect && bind(c, reinterpret_cast<sockaddr*>(&any), sizeof(any))) ||
          connect(c, reinterpret_cast<sockaddr*>(&srv), sizeof(srv))) {
        std::perror("client");
        std::exit(2);
      }
      int s = accept(l, nullptr, nullptr);
      setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
      close(c);
      close(s);
    }
  }
  close(l);
  return static_cast<double>(n) / std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace tristate::bench
