// bench/net/net_load.hpp: the load generator for the echo service (length
// framing): N TCP connections spread over T client threads, each thread with
// its own epoll loop; no actor runtime involved.
//
// Closed loop (rate 0): every connection has one message in flight and sends
//   the next when the echo of the last one is back; latency is send to echo.
// Open loop (rate R msgs/s in total): each thread sends on a fixed schedule
//   (message k of the thread is due at t0 + k / (its share of R), round-robin
//   over its connections) whether or not echoes came back, and latency is
//   measured from the INTENDED send time, so a stalled server shows up as
//   latency instead of fewer samples (no coordinated omission). A loop
//   iteration sends at most a bounded burst and then reads; sends owed
//   beyond it (a rate the client cannot make, e.g. --rate=1e300), or due on
//   a connection that already has kMaxInFlightBytes without echo, are
//   skipped and counted in `missed`, so the client's buffers stay bounded
//   and the run ends on time whatever the rate.
// Payloads are deterministic per (connection, sequence number): the first 8
// bytes carry the sequence number, the rest come from a fixed random
// pattern at a per-message offset; every echoed byte is compared, and an echo
// that is short, long, out of order or altered fails the run.
// Measuring: messages whose (intended) send time falls in [warmup, warmup +
// duration) count toward throughput and the latency histogram; with a
// message count instead of a duration (the bench workload), all of them do.
// Threads: each client thread owns its connections and histogram; results
// are merged after join. An error anywhere sets a shared atomic flag
// (relaxed: it only asks the other loops to stop; join orders the rest).
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "perf/histogram.hpp"

namespace actorlab::bench {

struct LoadOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  uint32_t connections = 100;
  uint32_t size = 64;       // payload bytes per message (the 4-byte header excluded)
  double rate = 0;          // messages/s over all connections; 0: closed loop
  double duration_s = 10;   // the measured window
  double warmup_s = 1;      // before the window: sent and checked, not measured
  uint64_t messages = 0;    // closed loop only: this many echoes in total, then stop
                            // (duration and warmup are then ignored)
  int threads = 1;
  double drain_s = 5;       // after the window: how long outstanding echoes may take
  double max_run_s = 100;   // with a message count: fail if the echoes take longer
  double connect_timeout_s = 10;
};

struct LoadResult {
  bool ok = false;
  std::string error;
  uint64_t sent = 0;       // messages sent (whole frames handed to the kernel or queued)
  uint64_t echoed = 0;     // echoes received and verified
  uint64_t measured = 0;   // echoes in the measured window
  uint64_t missed = 0;     // open loop: scheduled sends skipped (burst cap or in-flight bound); saturates
  uint64_t window_ns = 0;  // the measured window's length
  uint64_t first_send_ns = 0;  // perf::now_ns() of the first send
  uint64_t last_echo_ns = 0;   // perf::now_ns() of the last echo
  uint64_t client_cpu_ns = 0;  // this process's CPU time during the run
  perf::LatencyHistogram latency;  // ns, measured echoes only
  double msgs_per_second() const noexcept {
    return window_ns == 0 ? 0.0 : static_cast<double>(measured) * 1e9 / static_cast<double>(window_ns);
  }
};

// Checks ranges; returns an error text or nullopt.
std::optional<std::string> validate(const LoadOptions& options);

// Connects, runs, drains, verifies. Never throws for network trouble: that
// is an error in the result (connection refused, reset, a wrong echo, ...).
LoadResult run_load(const LoadOptions& options);

// Raises the soft RLIMIT_NOFILE toward the hard limit so that at least
// `wanted` descriptors fit; returns the soft limit now in force.
uint64_t raise_open_file_limit(uint64_t wanted);

}  // namespace actorlab::bench
