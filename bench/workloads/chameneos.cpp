// chameneos.cpp: the chameneos meeting place (the language
// shootout's chameneos-redux, Savina's "chameneos").
//
// N creatures, coloured blue, red and yellow in turn, each ask one meeting
// place (the broker actor) for a meeting; the broker pairs two waiting
// creatures and tells each the other's index and colour; both take the
// complement colour (the same colour if they were alike, else the third)
// and ask again. After `count` meetings the broker answers every request with
// "faded", and each creature reports its meetings.
// Self-check (in the broker): every request carries the colour the rules
// predict for that creature; the creatures' meetings add up to 2 x count; no
// creature met itself (a creature has one request in flight, so a self
// meeting means a duplicated message). A lost message leaves a creature
// waiting forever: the run times out.
// Threads: each actor's state is touched only by the worker running it; the
// Probe only by the broker before signal_done.
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

constexpr uint32_t kMeet = core::kFirstUserType + 20;    // creature -> broker: Request
constexpr uint32_t kMate = core::kFirstUserType + 21;    // broker -> creature: Request of the partner
constexpr uint32_t kFaded = core::kFirstUserType + 22;   // broker -> creature: no more meetings
constexpr uint32_t kReport = core::kFirstUserType + 23;  // creature -> broker: Report

enum Colour : uint32_t { kBlue = 0, kRed = 1, kYellow = 2 };

constexpr uint32_t complement(uint32_t a, uint32_t b) { return a == b ? a : 3 - a - b; }
static_assert(complement(kBlue, kRed) == kYellow && complement(kRed, kRed) == kRed &&
              complement(kYellow, kBlue) == kRed);

struct Request {
  uint32_t index;
  uint32_t colour;
};

struct Report {
  uint32_t index;
  uint32_t self_meetings;
  uint64_t meetings;
};

class Creature final : public core::Actor {
 public:
  Creature(ActorId broker, uint32_t index) : broker_(broker), index_(index), colour_(index % 3) {}
  void on_start(Context& ctx) override { ask(ctx); }
  void on_message(Context& ctx, Message& msg) override {
    if (msg.type == kMate) {
      const auto partner = msg.as<Request>();
      if (partner.index == index_) ++self_meetings_;
      colour_ = complement(colour_, partner.colour);
      ++meetings_;
      ask(ctx);
    } else if (msg.type == kFaded) {
      send_or_drop(ctx, broker_, kReport, Report{index_, self_meetings_, meetings_});
      ctx.exit();
    }
  }

 private:
  void ask(Context& ctx) { send_or_drop(ctx, broker_, kMeet, Request{index_, colour_}); }
  ActorId broker_;
  uint32_t index_;
  uint32_t colour_;
  uint64_t meetings_ = 0;
  uint32_t self_meetings_ = 0;
};

class Broker final : public core::Actor {
 public:
  Broker(Probe& probe, uint32_t creatures, uint64_t meetings)
      : probe_(probe), creatures_(creatures), total_(meetings), expected_colour_(creatures) {
    for (uint32_t i = 0; i < creatures; ++i) expected_colour_[i] = i % 3;
  }
  void on_start(Context&) override { probe_.start_ns = perf::now_ns(); }
  void on_message(Context& ctx, Message& msg) override {
    if (msg.type == kMeet) return meet(ctx, msg.source, msg.as<Request>());
    if (msg.type == kReport) return report(ctx, msg.as<Report>());
  }

 private:
  void meet(Context& ctx, ActorId from, Request request) {
    if (request.index >= creatures_) return fail(ctx, fmt::format("chameneos: creature index {}", request.index));
    if (request.colour != expected_colour_[request.index])
      return fail(ctx, fmt::format("chameneos: creature {} came as colour {}, the rules say {}", request.index,
                                   request.colour, expected_colour_[request.index]));
    if (done_ == total_) {
      send_or_drop(ctx, from, kFaded, uint8_t{0});
      return;
    }
    if (!waiting_) {
      waiting_ = true;
      first_ = request;
      first_id_ = from;
      return;
    }
    waiting_ = false;
    send_or_drop(ctx, first_id_, kMate, request);
    send_or_drop(ctx, from, kMate, first_);
    expected_colour_[first_.index] = expected_colour_[request.index] = complement(first_.colour, request.colour);
    if (++done_ == total_) probe_.end_ns = perf::now_ns();
  }

  void report(Context& ctx, Report r) {
    meetings_reported_ += r.meetings;
    self_meetings_ += r.self_meetings;
    if (++reports_ < creatures_) return;
    if (meetings_reported_ != 2 * total_)
      return fail(ctx, fmt::format("chameneos: creatures report {} meetings, expected 2 x {}", meetings_reported_,
                                   total_));
    if (self_meetings_ != 0) return fail(ctx, fmt::format("chameneos: {} self meetings", self_meetings_));
    probe_.operations = total_;
    ctx.signal_done(0);
  }

  void fail(Context& ctx, std::string why) {
    if (probe_.error.empty()) probe_.error = std::move(why);
    ctx.signal_done(1);
  }

  Probe& probe_;
  uint32_t creatures_;
  uint64_t total_;
  uint64_t done_ = 0;
  std::vector<uint32_t> expected_colour_;  // what each creature's next request must carry
  bool waiting_ = false;
  Request first_{};
  ActorId first_id_;
  uint32_t reports_ = 0;
  uint64_t meetings_reported_ = 0;
  uint64_t self_meetings_ = 0;
};

constexpr uint64_t kMaxCreatures = 1'000'000;

uint32_t creatures_of(const WorkloadParams& params) {
  return static_cast<uint32_t>(params.get_u64("creatures", 1000, 2, kMaxCreatures));
}

WorkloadResult run_chameneos(const core::Config& config, const WorkloadParams& params) {
  const uint32_t creatures = creatures_of(params);
  WorkloadResult r = run_on_engine(config, params.watch, [&](core::Engine& engine, Probe& probe) {
    const ActorId broker = engine.spawn<Broker>(probe, creatures, params.count);
    for (uint32_t i = 0; i < creatures; ++i) engine.spawn<Creature>(broker, i);
  });
  r.extras["creatures"] = creatures;
  return r;
}

}  // namespace

Workload chameneos_workload() {
  return {"chameneos",
          "N creatures meet in pairs at one meeting place and change colour (chameneos-redux); "
          "checks the colour rules and that meetings add up",
          "meeting",
          "",
          1'000'000,
          run_chameneos,
          {{"creatures", "creatures (2-1000000; the shootout used 3 and 10)", "1000"}},
          [](const WorkloadParams& params) {
            (void)creatures_of(params);
            if (params.count == 0) throw core::ConfigError("count: chameneos needs at least 1 meeting");
          }};
}

}  // namespace actorlab::bench
