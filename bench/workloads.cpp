// workloads.cpp: the catalogue (workloads()), and the foundation's
// workloads pingpong, flood, skynet, ring and fanout. Later workloads live in
// their own files (bench/workload_<name>.cpp) and join the list below.
// Every workload message goes through send_or_drop (workload_support.hpp) so
// the test-only fault hook can lose one and the self-check must notice.
//
//   pingpong: 2 actors (on one worker where the policy binds actors), N
//             round trips; each pong must carry the ping's sequence number.
//             Latency: one round trip in 16, sampled.
//   flood:    1 sender, 1 receiver, N messages; the sender never waits (it
//             sends in chunks and re-queues itself); the receiver checks the
//             sequence. Latency: send to dispatch, sampled 1 in 64. Under
//             --mailbox-limit a refused (kFull) message ends the chunk and
//             is sent again on the next one, so every message still arrives.
//   skynet:   a root spawns 10 children, recursively, down to N leaves; each
//             leaf replies its ordinal, each node the sum of its children;
//             the root checks the sum N(N-1)/2 (499999500000 for 1M).
//   ring:     503 actors pass a token N hops; the hop counts must add up
//             and the token must end at member N mod 503.
//   fanout:   1 actor sends N/1000 messages to each of 1000 actors, which
//             check their order and ack when complete.
//   timers:   many actors with short timeouts (bench/workload_timers.cpp).
#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <vector>

#include "bench/workload.hpp"
#include "bench/workload_echo.hpp"
#include "bench/workload_support.hpp"
#include "bench/workload_timers.hpp"
#include "core/actor.hpp"
#include "core/alloc.hpp"
#include "perf/clock.hpp"
#include "sched/select.hpp"

namespace actorlab::bench {
namespace {

using core::ActorId;
using core::Context;
using core::Message;

constexpr uint32_t kPing = core::kFirstUserType;
constexpr uint32_t kPong = core::kFirstUserType + 1;
constexpr uint32_t kData = core::kFirstUserType + 2;
constexpr uint32_t kMore = core::kFirstUserType + 3;
constexpr uint32_t kSum = core::kFirstUserType + 4;

// ---- pingpong ----
class Ponger final : public core::Actor {
 public:
  void on_message(Context& ctx, Message& msg) override {
    if (msg.type == kPing) send_or_drop(ctx, msg.source, kPong, msg.as<uint64_t>());
  }
};

class Pinger final : public core::Actor {
 public:
  Pinger(Probe& probe, ActorId peer, uint64_t rounds) : probe_(probe), peer_(peer), rounds_(rounds) {}
  void on_start(Context& ctx) override {
    probe_.start_ns = perf::now_ns();
    send_or_drop(ctx, peer_, kPing, uint64_t{0});
  }
  void on_message(Context& ctx, Message& msg) override {
    if (msg.type != kPong) return fail(ctx, "pinger: unexpected message type " + std::to_string(msg.type));
    const uint64_t seq = msg.as<uint64_t>();
    if (seq != done_) return fail(ctx, "pingpong: expected pong " + std::to_string(done_) + ", got " + std::to_string(seq));
    // Latency of one round trip in kSampleEvery: the clock (~24 ns a read
    // here) would otherwise be a fifth of a round trip.
    const uint64_t phase = done_ % kSampleEvery;
    if (phase == kSampleEvery - 1) {
      sample_start_ns_ = perf::now_ns();
    } else if (phase == 0 && sample_start_ns_ != 0) {
      probe_.latency.record(perf::now_ns() - sample_start_ns_);
    }
    if (++done_ == rounds_) {
      probe_.end_ns = perf::now_ns();
      probe_.operations = done_;
      ctx.signal_done();
      return;
    }
    send_or_drop(ctx, peer_, kPing, done_);
  }

 private:
  void fail(Context& ctx, std::string why) {
    probe_.error = std::move(why);
    ctx.signal_done(1);
  }
  Probe& probe_;
  ActorId peer_;
  uint64_t rounds_;
  static constexpr uint64_t kSampleEvery = 16;
  uint64_t done_ = 0;
  uint64_t sample_start_ns_ = 0;
};

WorkloadResult run_pingpong(const core::Config& config, uint64_t rounds, const RunWatch& watch) {
  return run_on_engine(config, watch, [&](core::Engine& engine, Probe& probe) {
    // Both on worker 0 where the policy binds actors (pinned); elsewhere a hint.
    ActorId ponger = engine.spawn_on<Ponger>(0);
    engine.spawn_on<Pinger>(0, probe, ponger, rounds);
    probe.expected_messages = 2 * rounds + 2;  // pings, pongs, two starts
  });
}

// ---- flood ----
struct FloodItem {
  uint64_t seq;
  uint64_t sent_ns;  // 0 when not sampled
};
constexpr uint64_t kFloodSampleMask = 63;
constexpr uint64_t kFloodChunk = 256;

class FloodReceiver final : public core::Actor {
 public:
  FloodReceiver(Probe& probe, uint64_t total) : probe_(probe), total_(total) {}
  void on_message(Context& ctx, Message& msg) override {
    if (msg.type != kData) return;
    const auto item = msg.as<FloodItem>();
    if (item.seq != received_) {
      probe_.error = "flood: expected message " + std::to_string(received_) + ", got " + std::to_string(item.seq);
      ctx.signal_done(1);
      return;
    }
    if (item.sent_ns != 0) probe_.latency.record(perf::now_ns() - item.sent_ns);
    if (++received_ == total_) {
      probe_.end_ns = perf::now_ns();
      probe_.operations = received_;
      ctx.signal_done();
    }
  }

 private:
  Probe& probe_;
  uint64_t total_;
  uint64_t received_ = 0;
};

class FloodSender final : public core::Actor {
 public:
  FloodSender(Probe& probe, ActorId receiver, uint64_t total) : probe_(probe), receiver_(receiver), total_(total) {}
  void on_start(Context& ctx) override {
    probe_.start_ns = perf::now_ns();
    send_chunk(ctx);
  }
  void on_message(Context& ctx, Message& msg) override {
    if (msg.type == kMore) send_chunk(ctx);
  }

 private:
  void send_chunk(Context& ctx) {
    const uint64_t end = std::min(total_, sent_ + kFloodChunk);
    for (; sent_ < end; ++sent_) {
      const uint64_t stamp = (sent_ & kFloodSampleMask) == 0 ? perf::now_ns() : 0;
      if (send_or_drop(ctx, receiver_, kData, FloodItem{sent_, stamp}) == core::SendStatus::kFull) break;
    }
    if (sent_ < total_) send_or_drop(ctx, ctx.self(), kMore, uint8_t{0});
  }
  Probe& probe_;
  ActorId receiver_;
  uint64_t total_;
  uint64_t sent_ = 0;
};

WorkloadResult run_flood(const core::Config& config, uint64_t total, const RunWatch& watch) {
  return run_on_engine(config, watch, [&](core::Engine& engine, Probe& probe) {
    ActorId receiver = engine.spawn<FloodReceiver>(probe, total);
    engine.spawn<FloodSender>(probe, receiver, total);
    probe.expected_messages = total + total / kFloodChunk + 2;  // data, re-queues, two starts
  });
}

// ---- skynet ----
class SkynetNode final : public core::Actor {
 public:
  SkynetNode(Probe& probe, bool root, ActorId parent, uint64_t first, uint64_t size)
      : probe_(probe), root_(root), parent_(parent), first_(first), size_(size) {}
  void on_start(Context& ctx) override {
    if (root_) probe_.start_ns = perf::now_ns();
    if (size_ == 1) return finish(ctx, first_);
    const uint64_t child_size = size_ / 10;
    for (uint64_t i = 0; i < 10; ++i) {
      if (!ctx.spawn<SkynetNode>(probe_, false, ctx.self(), first_ + i * child_size, child_size)) {
        if (!probe_.spawn_failed.exchange(true)) ctx.signal_done(1);
        return;
      }
    }
  }
  void on_message(Context& ctx, Message& msg) override {
    if (msg.type != kSum) return;
    sum_ += msg.as<uint64_t>();
    if (++replies_ == 10) finish(ctx, sum_);
  }

 private:
  void finish(Context& ctx, uint64_t sum) {
    ctx.exit();
    if (!root_) {
      send_or_drop(ctx, parent_, kSum, sum);
      return;
    }
    probe_.end_ns = perf::now_ns();
    probe_.operations = size_;
    const uint64_t expected = size_ * (size_ - 1) / 2;
    if (sum != expected)
      probe_.error = "skynet: sum " + std::to_string(sum) + " != expected " + std::to_string(expected);
    ctx.signal_done(sum == expected ? 0 : 1);
  }
  Probe& probe_;
  bool root_;
  ActorId parent_;
  uint64_t first_, size_;
  uint64_t sum_ = 0;
  int replies_ = 0;
};

WorkloadResult run_skynet(const core::Config& config, uint64_t leaves, const RunWatch& watch) {
  uint64_t power = 1;
  while (power < leaves) power *= 10;
  if (power != leaves) {
    WorkloadResult r;
    r.error = "skynet: --count must be a power of 10 (got " + std::to_string(leaves) + ")";
    return r;
  }
  WorkloadResult r = run_on_engine(config, watch, [&](core::Engine& engine, Probe& probe) {
    engine.spawn<SkynetNode>(probe, true, core::kNoActor, 0, leaves);
  });
  r.extras["actors"] = static_cast<double>(leaves + (leaves - 1) / 9);
  return r;
}

// ---- ring ----
// 503 actors in a ring pass one token N hops (the "thread ring" benchmark).
constexpr uint32_t kToken = core::kFirstUserType + 5;
constexpr uint64_t kRingSize = 503;

struct RingShared {
  Probe& probe;
  std::vector<ActorId> members;  // filled before start(); read-only after
  std::vector<uint64_t> hops;    // hops[i]: written only by member i
};

class RingMember final : public core::Actor {
 public:
  RingMember(RingShared& ring, std::size_t index) : ring_(ring), index_(index) {}
  void on_message(Context& ctx, Message& msg) override {
    if (msg.type != kToken) return;
    const uint64_t remaining = msg.as<uint64_t>();
    if (remaining == 0) {
      ring_.probe.end_ns = perf::now_ns();
      uint64_t total = 0;
      for (uint64_t h : ring_.hops) total += h;  // every other member is idle: the token is here
      ring_.probe.operations = total;
      if (index_ != total % kRingSize)
        ring_.probe.error = "ring: the token ended at member " + std::to_string(index_) + " after " +
                            std::to_string(total) + " hops";
      ctx.signal_done(ring_.probe.error.empty() ? 0 : 1);
      return;
    }
    ++ring_.hops[index_];
    send_or_drop(ctx, ring_.members[(index_ + 1) % kRingSize], kToken, remaining - 1);
  }

 private:
  RingShared& ring_;
  std::size_t index_;
};

class RingStarter final : public core::Actor {
 public:
  RingStarter(RingShared& ring, uint64_t hops) : ring_(ring), hops_(hops) {}
  void on_start(Context& ctx) override {
    ring_.probe.start_ns = perf::now_ns();
    send_or_drop(ctx, ring_.members[0], kToken, hops_);
    ctx.exit();
  }
  void on_message(Context&, Message&) override {}

 private:
  RingShared& ring_;
  uint64_t hops_;
};

WorkloadResult run_ring(const core::Config& config, uint64_t hops, const RunWatch& watch) {
  std::unique_ptr<RingShared> ring;
  WorkloadResult r = run_on_engine(config, watch, [&](core::Engine& engine, Probe& probe) {
    ring.reset(new RingShared{probe, {}, std::vector<uint64_t>(kRingSize, 0)});
    for (std::size_t i = 0; i < kRingSize; ++i) ring->members.push_back(engine.spawn<RingMember>(*ring, i));
    engine.spawn<RingStarter>(*ring, hops);
    probe.expected_messages = hops + 1 + kRingSize + 1;  // token passes, starts
  });
  if (r.ok && r.operations != hops) {
    r.ok = false;
    r.verdict = Verdict::kFailed;
    r.error = "ring: " + std::to_string(r.operations) + " hops counted, " + std::to_string(hops) + " sent";
  }
  return r;
}

// ---- fanout ----
// One actor sends kFanoutPer messages to each of kFanoutWidth actors (one
// round of one message each per turn); each checks its sequence and acks
// once it has all of them.
constexpr uint32_t kRound = core::kFirstUserType + 6;
constexpr uint32_t kAck = core::kFirstUserType + 7;
constexpr uint64_t kFanoutWidth = 1000;

class FanoutReceiver final : public core::Actor {
 public:
  FanoutReceiver(ActorId root, uint64_t expected) : root_(root), expected_(expected) {}
  void on_message(Context& ctx, Message& msg) override {
    if (msg.type != kRound) return;
    const bool in_order = msg.as<uint64_t>() == received_;
    ++received_;
    if (!in_order) ok_ = false;
    if (received_ == expected_) send_or_drop(ctx, root_, kAck, uint8_t{ok_});
  }

 private:
  ActorId root_;
  uint64_t expected_;
  uint64_t received_ = 0;
  bool ok_ = true;
};

class FanoutRoot final : public core::Actor {
 public:
  FanoutRoot(Probe& probe, uint64_t per_receiver) : probe_(probe), per_(per_receiver) {}
  void on_start(Context& ctx) override {
    for (uint64_t i = 0; i < kFanoutWidth; ++i) {
      receivers_.push_back(ctx.spawn<FanoutReceiver>(ctx.self(), per_));
      if (!receivers_.back()) {
        probe_.error = "fanout: spawn failed";
        ctx.signal_done(1);
        return;
      }
    }
    probe_.start_ns = perf::now_ns();
    send_or_drop(ctx, ctx.self(), kMore, uint8_t{0});
  }
  void on_message(Context& ctx, Message& msg) override {
    if (msg.type == kMore) {
      for (ActorId r : receivers_) send_or_drop(ctx, r, kRound, round_);
      if (++round_ < per_) send_or_drop(ctx, ctx.self(), kMore, uint8_t{0});
    } else if (msg.type == kAck) {
      if (msg.as<uint8_t>() == 0) probe_.error = "fanout: a receiver saw its messages out of order";
      if (++acks_ == kFanoutWidth) {
        probe_.end_ns = perf::now_ns();
        probe_.operations = kFanoutWidth * per_;
        ctx.signal_done(probe_.error.empty() ? 0 : 1);
      }
    }
  }

 private:
  Probe& probe_;
  uint64_t per_;
  uint64_t round_ = 0;
  uint64_t acks_ = 0;
  std::vector<ActorId> receivers_;
};

WorkloadResult run_fanout(const core::Config& config, uint64_t total, const RunWatch& watch) {
  const uint64_t per = total / kFanoutWidth;
  if (per == 0) {
    WorkloadResult r;
    r.error = "fanout: --count must be at least " + std::to_string(kFanoutWidth);
    return r;
  }
  return run_on_engine(config, watch, [&](core::Engine& engine, Probe& probe) {
    engine.spawn<FanoutRoot>(probe, per);
    probe.expected_messages = (kFanoutWidth + 1) * per + 2 * kFanoutWidth + 1;  // rounds, re-queues, acks, starts
  });
}

void check_skynet(const WorkloadParams& params) {
  uint64_t power = 1;
  while (power < params.count && power <= UINT64_MAX / 10) power *= 10;
  if (power != params.count)
    throw core::ConfigError("count: skynet needs a power of 10 (got " + std::to_string(params.count) + ")");
}

void check_fanout(const WorkloadParams& params) {
  if (params.count < kFanoutWidth)
    throw core::ConfigError("count: fanout needs at least " + std::to_string(kFanoutWidth) + " (got " +
                            std::to_string(params.count) + ")");
}

void check_positive(const WorkloadParams& params) {
  if (params.count == 0) throw core::ConfigError("count: must be at least 1");
}

// Adapts a workload whose only parameter is the count.
std::function<WorkloadResult(const core::Config&, const WorkloadParams&)> count_only(
    WorkloadResult (*run)(const core::Config&, uint64_t, const RunWatch&)) {
  return [run](const core::Config& config, const WorkloadParams& params) {
    return run(config, params.count, params.watch);
  };
}

}  // namespace

// Defined in bench/workload_<name>.cpp.
Workload chameneos_workload();
Workload big_workload();
Workload skewed_workload();

const std::vector<Workload>& workloads() {
  static const std::vector<Workload> list = {
      {"pingpong", "2 actors pass one message back and forth; latency per round trip", "round trip",
       "round trip (1 in 16 sampled)", 1'000'000, count_only(run_pingpong), {}, check_positive},
      {"flood", "1 sender streams messages to 1 receiver without waiting; throughput", "message",
       "send to dispatch (1 in 64 sampled)", 10'000'000, count_only(run_flood), {}, check_positive},
      {"skynet", "root spawns 10 children recursively down to N leaves; sums ordinals", "leaf", "",
       1'000'000, count_only(run_skynet), {}, check_skynet},
      {"ring", "503 actors pass one token around a ring N hops (thread ring)", "hop", "", 10'000'000,
       count_only(run_ring), {}, check_positive},
      {"fanout", "1 actor sends N/1000 messages to each of 1000 actors; each acks when complete", "message", "",
       1'000'000, count_only(run_fanout), {}, check_fanout},
      chameneos_workload(),
      big_workload(),
      skewed_workload(),
      {"timers", "A actors (actors=1000) each re-arm a D us timeout (delay-us=1000) until N fired; timer lateness",
       "timeout", "fire time - intended deadline (every timeout)", 500'000, run_timers, timers_params(), check_timers},
      echo_workload(),  // bench/workload_echo.cpp
  };
  return list;
}

}  // namespace actorlab::bench
