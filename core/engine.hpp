// engine.hpp: the user's handle on a running actor system.
//
// Engine owns one RuntimeBase (built by sched::make_engine from a Config)
// and forwards to it. Lifecycle: construct, spawn the first actors, start(),
// wait_done(), stop() (also run by the destructor). After stop, send and
// spawn are refused (kStopped / kNoActor) and counted.
// Services (core/services.hpp: the timer thread, the net thread) are owned
// here too: started after the workers in attach order, stopped before them
// in reverse order.
// inbox() opens a mailbox for the calling thread (core/inbox.hpp);
// spawn_batch wires peers before they run (core/actor.hpp).
// Threads: call from the owning thread; send(), spawn() and inbox() from any thread.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include "core/actor.hpp"
#include "core/config.hpp"
#include "core/inbox.hpp"
#include "core/services.hpp"

namespace actorlab::core {

class Engine {
 public:
  Engine(Config config, std::unique_ptr<RuntimeBase> runtime)
      : config_(std::move(config)), runtime_(std::move(runtime)) {}
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;
  ~Engine() { stop(); }

  void start() {
    runtime_->start();
    for (auto& service : services_) service->start();
  }
  void stop() noexcept {
    for (auto it = services_.rbegin(); it != services_.rend(); ++it) (*it)->stop();
    if (runtime_) runtime_->stop();
  }

  // Takes ownership of a service before start(); the caller also attaches
  // its API to runtime() (attach_timers / attach_sockets).
  template <class S>
  S& add_service(std::unique_ptr<S> service) {
    S& ref = *service;
    services_.push_back(std::move(service));
    return ref;
  }
  RuntimeBase& runtime() noexcept { return *runtime_; }

  // --trace: before start() and after the services were added, gives the
  // workers and every service thread a track of `session`, which must
  // outlive stop() (core/trace.hpp).
  void attach_trace(TraceSession& session) {
    runtime_->attach_trace(session);
    for (auto& service : services_) service->attach_trace(session);
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

  // n peers that know each other's ids before any runs: make(i, ids)
  // returns member i (core/actor.hpp). Empty on failure (nothing spawned).
  std::vector<ActorId> spawn_batch(std::size_t n, const BatchFactory& make) {
    std::vector<ActorId> ids(n);
    if (!runtime_->spawn_batch(ids, make, kNoActor, -1)) ids.clear();
    return ids;
  }

  // A new inbox for a thread outside the actors (core/inbox.hpp); throws
  // std::runtime_error when kMaxInboxes are open or after stop().
  Inbox inbox() { return Inbox(*runtime_, runtime_->open_inbox()); }

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

  RuntimeStats stats() const {
    RuntimeStats s = runtime_->stats();
    for (const auto& service : services_) service->add_stats(s);
    return s;
  }
  const Config& config() const noexcept { return config_; }

 private:
  Config config_;
  std::unique_ptr<RuntimeBase> runtime_;
  std::vector<std::unique_ptr<Service>> services_;  // destroyed before runtime_
};

}  // namespace actorlab::core
