// skewed.cpp: "skewed": one hot actor flooded beside many cold
// ones doing request/reply; the result is the cold ones' latency.
//
// A coordinator spawns a flooder and its hot target, and `cold` client/server
// pairs. The flooder keeps `window` messages in flight to the hot actor (the
// hot actor acks every kAckEvery), so the hot actor's mailbox stays long for
// the whole run without growing without bound. Each cold client sends
// count / cold requests to its server, one at a time, and records every round
// trip (request to response) in its own histogram. When every client is done
// the coordinator merges the histograms into the probe and stops the flood.
// What it shows: whether a policy lets one busy actor (long turns, a hogged
// worker) delay actors that have one message each.
// Self-check: each client sees its responses in order and gets all of them;
// the hot actor sees the flood in order and, at the end, exactly as many
// messages as the flooder sent. A lost request stalls its client: timeout.
// Threads: each actor's state is touched only by the worker running it.
// Client histograms are written by their clients before kClientDone, whose
// mailbox hand-off (release/acquire) orders them before the coordinator
// merges them; the Probe is written only by the coordinator before
// signal_done.
#include <fmt/format.h>

#include <atomic>

#include <memory>
#include <vector>

#include "bench/workloads/catalogue.hpp"
#include "bench/workloads/workload.hpp"
#include "bench/workloads/workload_support.hpp"
#include "core/actor.hpp"
#include "perf/clock.hpp"
#include "perf/histogram.hpp"

namespace actorlab::bench {
namespace {

using core::ActorId;
using core::Context;
using core::Message;

constexpr uint32_t kGo = core::kFirstUserType + 40;          // coordinator -> flooder, clients
constexpr uint32_t kFlood = core::kFirstUserType + 41;       // flooder -> hot: sequence number
constexpr uint32_t kAck = core::kFirstUserType + 42;         // hot -> flooder: kAckEvery received
constexpr uint32_t kStop = core::kFirstUserType + 43;        // coordinator -> flooder
constexpr uint32_t kEnd = core::kFirstUserType + 44;         // flooder -> hot: total sent
constexpr uint32_t kHotDone = core::kFirstUserType + 45;     // hot -> coordinator: received
constexpr uint32_t kRequest = core::kFirstUserType + 46;     // client -> server: ColdRequest
constexpr uint32_t kResponse = core::kFirstUserType + 47;    // server -> client: the same
constexpr uint32_t kClientDone = core::kFirstUserType + 48;  // client -> coordinator

constexpr uint64_t kAckEvery = 256;

struct FloodEnd {
  uint64_t sent;
  uint64_t acks_in_order;  // 1: every ack carried the next multiple of kAckEvery
};

struct ColdRequest {
  uint64_t seq;
  uint64_t sent_ns;
};

// Replies a cold client got so far, for the run watch (Probe::progress):
// written by that client only (a relaxed store, no read-modify-write on the
// hot path), read by the watching thread; a line each, so clients on
// different workers do not share one.
struct alignas(core::kCacheLine) ClientProgress {
  std::atomic<uint64_t> replies{0};
};

struct SkewedShared {
  Probe& probe;
  std::vector<perf::LatencyHistogram> client_latency;  // [i]: written by client i only
  std::vector<ClientProgress> client_progress;          // [i]: written by client i only
};

class HotActor final : public core::Actor {
 public:
  explicit HotActor(ActorId coordinator) : coordinator_(coordinator) {}
  void on_message(Context& ctx, Message& msg) override {
    if (msg.type == kFlood) {
      if (msg.as<uint64_t>() != received_) in_order_ = false;
      if (++received_ % kAckEvery == 0) send_or_drop(ctx, msg.source, kAck, received_);
    } else if (msg.type == kEnd) {
      const auto end = msg.as<FloodEnd>();
      const bool ok = in_order_ && end.acks_in_order == 1 && end.sent == received_;
      send_or_drop(ctx, coordinator_, kHotDone, ok ? received_ : ~uint64_t{0});
    }
  }

 private:
  ActorId coordinator_;
  uint64_t received_ = 0;
  bool in_order_ = true;
};

class Flooder final : public core::Actor {
 public:
  Flooder(ActorId hot, uint64_t window) : hot_(hot), window_(window) {}
  void on_message(Context& ctx, Message& msg) override {
    if (msg.type == kGo) {
      send(ctx, window_);
    } else if (msg.type == kAck) {
      // Cumulative count: a lost or duplicated ack shows as a jump.
      acked_ += kAckEvery;
      if (msg.as<uint64_t>() != acked_) acks_in_order_ = false;
      if (!stopped_) send(ctx, kAckEvery);
    } else if (msg.type == kStop) {
      stopped_ = true;
      send_or_drop(ctx, hot_, kEnd, FloodEnd{sent_, acks_in_order_ ? 1U : 0U});  // FIFO per pair: after every kFlood
    }
  }

 private:
  void send(Context& ctx, uint64_t n) {
    for (uint64_t i = 0; i < n; ++i) send_or_drop(ctx, hot_, kFlood, sent_++);
  }
  ActorId hot_;
  uint64_t window_;
  uint64_t sent_ = 0;
  uint64_t acked_ = 0;
  bool acks_in_order_ = true;
  bool stopped_ = false;
};

class ColdServer final : public core::Actor {
 public:
  void on_message(Context& ctx, Message& msg) override {
    if (msg.type == kRequest) send_or_drop(ctx, msg.source, kResponse, msg.as<ColdRequest>());
  }
};

class ColdClient final : public core::Actor {
 public:
  ColdClient(SkewedShared& shared, uint32_t index, ActorId server, uint64_t requests)
      : shared_(shared), index_(index), server_(server), requests_(requests) {}
  void on_message(Context& ctx, Message& msg) override {
    if (msg.type == kGo) {
      coordinator_ = msg.source;
      request(ctx);
    } else if (msg.type == kResponse) {
      const auto r = msg.as<ColdRequest>();
      shared_.client_latency[index_].record(perf::now_ns() - r.sent_ns);
      if (r.seq != done_) in_order_ = false;
      shared_.client_progress[index_].replies.store(++done_, std::memory_order_relaxed);  // read by the watch
      if (done_ < requests_) request(ctx);
      else send_or_drop(ctx, coordinator_, kClientDone, uint8_t{in_order_});
    }
  }

 private:
  void request(Context& ctx) { send_or_drop(ctx, server_, kRequest, ColdRequest{done_, perf::now_ns()}); }
  SkewedShared& shared_;
  uint32_t index_;
  ActorId server_;
  uint64_t requests_;
  ActorId coordinator_;
  uint64_t done_ = 0;
  bool in_order_ = true;
};

class Coordinator final : public core::Actor {
 public:
  Coordinator(SkewedShared& shared, uint32_t cold, uint64_t per_client, uint64_t window)
      : shared_(shared), cold_(cold), per_client_(per_client), window_(window) {}
  void on_start(Context& ctx) override {
    const ActorId hot = ctx.spawn<HotActor>(ctx.self());
    flooder_ = ctx.spawn<Flooder>(hot, window_);
    std::vector<ActorId> clients;
    for (uint32_t i = 0; i < cold_ && hot && flooder_; ++i) {
      const ActorId server = ctx.spawn<ColdServer>();
      clients.push_back(ctx.spawn<ColdClient>(shared_, i, server, per_client_));
      if (!server || !clients.back()) break;
    }
    if (!hot || !flooder_ || clients.size() != cold_ || !clients.back()) {
      shared_.probe.spawn_failed.store(true);
      ctx.signal_done(1);
      return;
    }
    shared_.probe.start_ns = perf::now_ns();
    send_or_drop(ctx, flooder_, kGo, uint8_t{0});
    for (ActorId c : clients) send_or_drop(ctx, c, kGo, uint8_t{0});
  }
  void on_message(Context& ctx, Message& msg) override {
    Probe& probe = shared_.probe;
    if (msg.type == kClientDone) {
      if (msg.as<uint8_t>() == 0 && probe.error.empty()) probe.error = "skewed: a cold client saw replies out of order";
      if (++clients_done_ < cold_) return;
      probe.end_ns = perf::now_ns();
      for (const auto& h : shared_.client_latency) probe.latency.merge(h);
      send_or_drop(ctx, flooder_, kStop, uint8_t{0});
    } else if (msg.type == kHotDone) {
      const uint64_t hot_received = msg.as<uint64_t>();
      if (hot_received == ~uint64_t{0} && probe.error.empty())
        probe.error = "skewed: the hot actor lost, duplicated or reordered a flood message or an ack";
      else if (hot_received < window_ && probe.error.empty())  // the flooder sends a window when it starts
        probe.error = fmt::format("skewed: the hot actor got {} flood messages, fewer than one window", hot_received);
      probe.operations = uint64_t{cold_} * per_client_;
      if (probe.latency.count() != probe.operations && probe.error.empty())
        probe.error = fmt::format("skewed: {} round trips recorded, {} expected", probe.latency.count(),
                                  probe.operations);
      ctx.signal_done(probe.error.empty() ? 0 : 1);
    }
  }

 private:
  SkewedShared& shared_;
  uint32_t cold_;
  uint64_t per_client_;
  uint64_t window_;
  ActorId flooder_;
  uint32_t clients_done_ = 0;
};

uint32_t cold_of(const WorkloadParams& params) {
  return static_cast<uint32_t>(params.get_u64("cold", 100, 1, 100'000));
}
uint64_t window_of(const WorkloadParams& params) {
  return params.get_u64("window", 4096, kAckEvery, 1'000'000);
}

WorkloadResult run_skewed(const core::Config& config, const WorkloadParams& params) {
  const uint32_t cold = cold_of(params);
  const uint64_t window = window_of(params);
  std::unique_ptr<SkewedShared> shared;
  WorkloadResult r = run_on_engine(config, params.watch, [&](core::Engine& engine, Probe& probe) {
    shared.reset(new SkewedShared{probe, std::vector<perf::LatencyHistogram>(cold),
                                  std::vector<ClientProgress>(cold)});
    // The flood runs until every cold client is done: progress is the cold replies.
    probe.progress = [s = shared.get()] {
      uint64_t replies = 0;
      for (const auto& c : s->client_progress) replies += c.replies.load(std::memory_order_relaxed);
      return replies;
    };
    engine.spawn<Coordinator>(*shared, cold, params.count / cold, window);
  });
  r.extras["cold_actors"] = cold;
  return r;
}

}  // namespace

Workload skewed_workload() {
  return {"skewed",
          "1 hot actor flooded beside cold client/server pairs doing request/reply; "
          "latency of the cold round trips",
          "round trip",
          "cold request to response (every one)",
          200'000,
          run_skewed,
          {{"cold", "cold client/server pairs (1-100000); each does count / cold round trips", "100"},
           {"window", "flood messages in flight to the hot actor (256-1000000)", "4096"}},
          [](const WorkloadParams& params) {
            const uint32_t cold = cold_of(params);
            (void)window_of(params);
            if (params.count < cold)
              throw core::ConfigError(
                  fmt::format("count: skewed needs at least one round trip per cold pair ({})", cold));
          }};
}

}  // namespace actorlab::bench
