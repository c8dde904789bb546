// engine.hpp: the user's handle on a running actor system.
//
// Engine owns one RuntimeBase (built by sched::make_engine from a Config)
// and forwards to it. Lifecycle: construct, spawn the first actors, start(),
// wait_done(), stop() (also run by the destructor). After stop, send and
// spawn are refused (kStopped / kNoActor) and counted.
// Threads: call from the owning thread; send() and spawn() from any thread.
#pragma once

#include <chrono>
#include <memory>
#include <optional>

#include "core/actor.hpp"
#include "core/config.hpp"

namespace actorlab::core {

class Engine {
 public:
  Engine(Config config, std::unique_ptr<RuntimeBase> runtime)
      : config_(std::move(config)), runtime_(std::move(runtime)) {}
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;
  ~Engine() { stop(); }

  void start() { runtime_->start(); }
  void stop() noexcept {
    if (runtime_) runtime_->stop();
  }

  template <class A, class... Args>
  ActorId spawn(Args&&... args) {
    return runtime_->spawn(std::make_unique<A>(std::forward<Args>(args)...), kNoActor, -1);
  }
  ActorId spawn(std::unique_ptr<Actor> actor) { return runtime_->spawn(std::move(actor), kNoActor, -1); }
  // On a chosen worker (see Context::spawn_on).
  template <class A, class... Args>
  ActorId spawn_on(int worker, Args&&... args) {
    return runtime_->spawn(std::make_unique<A>(std::forward<Args>(args)...), kNoActor, -1, worker);
  }

  // From outside the actors: source is kNoActor, so failures are only counted.
  SendStatus send(ActorId to, Message&& msg) noexcept {
    msg.source = kNoActor;
    msg.target = to;
    return runtime_->send(std::move(msg), -1);
  }
  template <class T>
  SendStatus send(ActorId to, uint32_t type, const T& value, uint32_t session = 0) {
    return send(to, Message::of(type, value, session));
  }

  // The result an actor passed to Context::signal_done, or nullopt on timeout.
  std::optional<int64_t> wait_done(std::chrono::nanoseconds timeout) { return runtime_->wait_done(timeout); }

  RuntimeStats stats() const { return runtime_->stats(); }
  const Config& config() const noexcept { return config_; }

 private:
  Config config_;
  std::unique_ptr<RuntimeBase> runtime_;
};

}  // namespace actorlab::core
