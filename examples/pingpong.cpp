// pingpong.cpp: the first program to read. Two actors play ping-pong with
// call/reply; when the rounds are done, the pinger sends the result to the
// main thread's inbox, and main checks it.
//
//   build/examples/pingpong [ROUNDS] [POLICY]      e.g. pingpong 100000 steal
//
// What it shows: an Actor (on_start, on_message), Context::call and
// Context::reply (request/response matched by session), Context::parent(),
// Engine::inbox() to get results back on main, and a preset named in
// Config::policy. Exits 0 when every reply came back in order, 1 otherwise,
// 2 on a bad argument.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/actor.hpp"
#include "core/engine.hpp"
#include "sched/select.hpp"

namespace core = actorlab::core;
using namespace std::chrono_literals;

constexpr uint32_t kPing = core::kFirstUserType;  // user message types start here
constexpr uint32_t kResult = core::kFirstUserType + 1;

// Answers every ping with the same number. It needs nothing at start, so it
// overrides on_message only.
class Ponger : public core::Actor {
 public:
  void on_message(core::Context& ctx, core::Message& msg) override {
    if (msg.type == kPing) ctx.reply(msg, core::Message::of(0, msg.as<uint64_t>()));
  }
};

// Spawns its ponger, then calls it `rounds` times, one call in flight.
class Pinger : public core::Actor {
 public:
  Pinger(core::ActorId report_to, uint64_t rounds) : report_to_(report_to), rounds_(rounds) {}

  void on_start(core::Context& ctx) override {
    ponger_ = ctx.spawn<Ponger>();  // the ponger's ctx.parent() is this actor
    ping(ctx);
  }

  void on_message(core::Context& ctx, core::Message& msg) override {
    // A reply is kTypeResponse with the session call() returned; an error
    // (the ponger died) would be kTypeError with that session.
    if (msg.type != core::kTypeResponse || msg.session != session_ || msg.as<uint64_t>() != done_) {
      ctx.send(report_to_, kResult, uint64_t{0});  // 0 rounds: main reports the failure
      return;
    }
    if (++done_ == rounds_) {
      ctx.send(report_to_, kResult, done_);  // the inbox is an ActorId like any other
      return;
    }
    ping(ctx);
  }

 private:
  void ping(core::Context& ctx) { session_ = ctx.call(ponger_, core::Message::of(kPing, done_)); }

  core::ActorId report_to_, ponger_;
  uint64_t rounds_, done_ = 0;
  uint32_t session_ = 0;
};

int main(int argc, char** argv) {
  const uint64_t rounds = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 10000;
  if (rounds == 0) {
    std::fprintf(stderr, "pingpong: ROUNDS must be a whole number >= 1\n");
    return 2;
  }
  core::Config config;
  config.policy = argc > 2 ? argv[2] : "steal";  // any preset: skynet, steal, pinned, skynet-classic
  config.threads = 2;
  std::unique_ptr<core::Engine> engine;
  try {
    engine = actorlab::sched::make_engine(config);  // expands the preset, checks every knob
  } catch (const core::ConfigError& e) {
    std::fprintf(stderr, "pingpong: %s\n", e.what());
    return 2;
  }
  core::Inbox inbox = engine->inbox();  // declared after the engine: destroyed before it
  engine->spawn<Pinger>(inbox.id(), rounds);
  engine->start();

  // Blocks main until the pinger's message arrives (or 60 s pass).
  std::optional<core::Message> result = inbox.receive(60s);
  engine->stop();
  if (!result || result->as<uint64_t>() != rounds) {
    std::fprintf(stderr, "pingpong: FAILED: %s\n", result ? "a reply was wrong" : "no result within 60 s");
    return 1;
  }
  std::printf("pingpong: %llu round trips under policy %s, every reply in order\n",
              static_cast<unsigned long long>(rounds), engine->config().policy.c_str());
  return 0;
}
