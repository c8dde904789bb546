// big.cpp: "big" (Savina's many-to-many benchmark): many actors,
// each pinging random peers.
//
// A sink spawns N actors and starts them. Each sends a ping to a random peer
// (never itself), waits for the pong, and repeats until it has had
// count / (2N) pongs, then tells the sink; it keeps answering pings from
// others. When all N are done, every ping has been answered, so the sink asks
// each actor for its tally (pings sent, pings received, pongs received).
// Self-check: per actor, pongs received == pings sent == the quota; over all
// actors, pings received == pings sent. A lost message leaves an actor waiting
// for its pong (or the sink for a tally): the run times out.
// Threads: each actor's state is touched only by the worker running it; the
// Probe only by the sink before signal_done.
#include <fmt/format.h>

#include <vector>

#include "bench/workloads/catalogue.hpp"
#include "bench/workloads/workload.hpp"
#include "bench/workloads/workload_support.hpp"
#include "core/actor.hpp"
#include "perf/clock.hpp"

namespace actorlab::bench {
namespace {

using core::ActorId;
using core::Context;
using core::Message;

constexpr uint32_t kGo = core::kFirstUserType + 30;      // sink -> actor: start pinging
constexpr uint32_t kPing = core::kFirstUserType + 31;    // actor -> random peer
constexpr uint32_t kPong = core::kFirstUserType + 32;    // peer -> actor
constexpr uint32_t kDone = core::kFirstUserType + 33;    // actor -> sink: quota reached
constexpr uint32_t kTally = core::kFirstUserType + 34;   // sink -> actor, and back with a Tally

struct Tally {
  uint64_t pings_sent;
  uint64_t pings_received;
  uint64_t pongs_received;
};

struct BigShared {
  std::vector<ActorId> members;  // written by the sink's on_start before any kGo; read-only after
};

class BigActor final : public core::Actor {
 public:
  BigActor(const BigShared& shared, uint32_t index, uint64_t quota)
      : shared_(shared), index_(index), quota_(quota), rng_(0x9E3779B97F4A7C15ULL * (index + 1)) {}
  void on_message(Context& ctx, Message& msg) override {
    switch (msg.type) {
      case kGo:
        sink_ = msg.source;
        ping(ctx);
        break;
      case kPing:
        ++tally_.pings_received;
        send_or_drop(ctx, msg.source, kPong, uint8_t{0});
        break;
      case kPong:
        if (++tally_.pongs_received < quota_) ping(ctx);
        else send_or_drop(ctx, sink_, kDone, index_);
        break;
      case kTally:
        send_or_drop(ctx, msg.source, kTally, tally_);
        break;
      default:
        break;
    }
  }

 private:
  void ping(Context& ctx) {
    // xorshift64: cheap, and each actor's sequence is fixed by its index.
    rng_ ^= rng_ << 13;
    rng_ ^= rng_ >> 7;
    rng_ ^= rng_ << 17;
    const auto n = static_cast<uint32_t>(shared_.members.size());
    uint32_t peer = static_cast<uint32_t>(rng_ % (n - 1));
    if (peer >= index_) ++peer;  // anyone but itself
    ++tally_.pings_sent;
    send_or_drop(ctx, shared_.members[peer], kPing, uint8_t{0});
  }
  const BigShared& shared_;
  uint32_t index_;
  uint64_t quota_;
  uint64_t rng_;
  ActorId sink_;
  Tally tally_{0, 0, 0};
};

class BigSink final : public core::Actor {
 public:
  BigSink(Probe& probe, BigShared& shared, uint32_t actors, uint64_t quota)
      : probe_(probe), shared_(shared), actors_(actors), quota_(quota) {}
  void on_start(Context& ctx) override {
    for (uint32_t i = 0; i < actors_; ++i) {
      const ActorId id = ctx.spawn<BigActor>(shared_, i, quota_);
      if (!id) {
        probe_.spawn_failed.store(true);
        ctx.signal_done(1);
        return;
      }
      shared_.members.push_back(id);
    }
    probe_.start_ns = perf::now_ns();
    for (ActorId a : shared_.members) send_or_drop(ctx, a, kGo, uint8_t{0});
  }
  void on_message(Context& ctx, Message& msg) override {
    if (msg.type == kDone) {
      if (++done_ < actors_) return;
      probe_.end_ns = perf::now_ns();
      for (ActorId a : shared_.members) send_or_drop(ctx, a, kTally, uint8_t{0});
    } else if (msg.type == kTally) {
      const auto t = msg.as<Tally>();
      if ((t.pings_sent != quota_ || t.pongs_received != quota_) && probe_.error.empty())
        probe_.error = fmt::format("big: an actor sent {} pings and got {} pongs, quota {}", t.pings_sent,
                                   t.pongs_received, quota_);
      sent_ += t.pings_sent;
      received_ += t.pings_received;
      if (++tallies_ < actors_) return;
      if (sent_ != received_ && probe_.error.empty())
        probe_.error = fmt::format("big: {} pings sent, {} received", sent_, received_);
      probe_.operations = 2 * sent_;  // pings and pongs
      ctx.signal_done(probe_.error.empty() ? 0 : 1);
    }
  }

 private:
  Probe& probe_;
  BigShared& shared_;
  uint32_t actors_;
  uint64_t quota_;
  uint32_t done_ = 0;
  uint32_t tallies_ = 0;
  uint64_t sent_ = 0;
  uint64_t received_ = 0;
};

uint32_t actors_of(const WorkloadParams& params) {
  return static_cast<uint32_t>(params.get_u64("actors", 1000, 2, 1'000'000));
}

WorkloadResult run_big(const core::Config& config, const WorkloadParams& params) {
  const uint32_t actors = actors_of(params);
  const uint64_t quota = params.count / (2 * uint64_t{actors});
  BigShared shared;
  shared.members.reserve(actors);
  WorkloadResult r = run_on_engine(
      config, params.watch, [&](core::Engine& engine, Probe& probe) { engine.spawn<BigSink>(probe, shared, actors, quota); });
  r.extras["actors"] = actors;
  return r;
}

}  // namespace

Workload big_workload() {
  return {"big",
          "N actors each ping random peers and wait for the pong (Savina big); checks sent == received per actor",
          "message",
          "",
          2'000'000,
          run_big,
          {{"actors", "actors (2-1000000); each sends count / (2 x actors) pings", "1000"}},
          [](const WorkloadParams& params) {
            const uint32_t actors = actors_of(params);
            if (params.count < 2 * uint64_t{actors})
              throw core::ConfigError(fmt::format("count: big needs at least 2 x actors = {} messages (got {})",
                                                  2 * uint64_t{actors}, params.count));
          }};
}

}  // namespace actorlab::bench
