// actor.hpp: the user's side of the runtime: Actor, Context, RuntimeBase.
//
// An Actor is user state plus on_message(Context&, Message&). The runtime
// calls it on one worker at a time (invariant 3); on_start runs first, as the
// actor's first message. A Context lives for one dispatch and gives the actor
// its id, send, spawn, exit, and request/response by session (call/reply).
//
// Context reaches the runtime through RuntimeBase, an abstract class: actor
// code is compiled once for every policy and mailbox kind, so each send costs
// one indirect call. The worker loop itself (pop, dispatch, re-queue) is a
// template instance with no indirect call besides the actor's on_message.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>

#include "core/actor_id.hpp"
#include "core/counters.hpp"
#include "core/message.hpp"
#include "core/services.hpp"

namespace actorlab::core {

class Context;
class IdleDriver;  // core/idle.hpp

class Actor {
 public:
  virtual ~Actor() = default;
  virtual void on_start(Context&) {}
  virtual void on_message(Context& ctx, Message& msg) = 0;

 private:
  friend class Context;
  uint32_t last_session_ = 0;  // touched only by the worker running this actor
};

enum class SendStatus {
  kOk,          // queued for a live actor
  kDeadTarget,  // dead, stale or unknown id: counted; a live sender gets kTypeError
  kStopped,     // the engine is stopping or stopped: counted and released
};

const char* to_string(SendStatus s) noexcept;

// What every runtime instance (one per policy x mailbox x run-queue choice)
// implements. Engine owns one; Context calls it.
class RuntimeBase {
 public:
  virtual ~RuntimeBase() = default;
  virtual void start() = 0;
  virtual void stop() noexcept = 0;
  // worker < 0: called from outside the workers. placement >= 0 names the
  // worker the actor should live on (placement home binds it there; other
  // placements ignore it).
  virtual SendStatus send(Message&& msg, int worker) noexcept = 0;
  virtual ActorId spawn(std::unique_ptr<Actor> actor, ActorId parent, int worker,
                        int placement = -1) noexcept = 0;
  virtual void signal_done(int64_t result) noexcept = 0;
  virtual std::optional<int64_t> wait_done(std::chrono::nanoseconds timeout) = 0;
  virtual RuntimeStats stats() const = 0;
  virtual int threads() const noexcept = 0;

  // The services an engine attaches before start() (core/services.hpp);
  // nullptr where none is attached.
  TimerApi* timers() const noexcept { return timers_; }
  SocketApi* sockets() const noexcept { return sockets_; }
  void attach_timers(TimerApi* timers) noexcept { timers_ = timers; }
  void attach_sockets(SocketApi* sockets) noexcept { sockets_ = sockets; }
  // --net=worker: parked workers may block in `driver` (core/idle.hpp)
  // instead of the futex. Before start(). False if the scheduler cannot use
  // one (every composition in sched/ parks through sched/idle.hpp and can).
  virtual bool attach_idle_driver(IdleDriver* driver) noexcept {
    (void)driver;
    return false;
  }

 private:
  TimerApi* timers_ = nullptr;
  SocketApi* sockets_ = nullptr;
};

class Context {
 public:
  Context(RuntimeBase& runtime, int worker, ActorId self, Actor* actor) noexcept
      : runtime_(&runtime), actor_(actor), self_(self), worker_(worker) {}

  ActorId self() const noexcept { return self_; }
  int worker_index() const noexcept { return worker_; }

  // Sends msg with source = self. On kDeadTarget the error message also comes
  // back to this actor asynchronously (type kTypeError, same session).
  SendStatus send(ActorId to, Message&& msg) noexcept {
    msg.source = self_;
    msg.target = to;
    return runtime_->send(std::move(msg), worker_);
  }
  template <class T>
  SendStatus send(ActorId to, uint32_t type, const T& value, uint32_t session = 0) {
    return send(to, Message::of(type, value, session));
  }

  // Request/response: call() sends with a fresh session id (never 0) and
  // returns it; the reply arrives as kTypeResponse with that session, or a
  // kTypeError with that session if the target is dead.
  uint32_t call(ActorId to, Message&& request) noexcept {
    uint32_t session = ++actor_->last_session_;
    if (session == 0) session = ++actor_->last_session_;
    request.session = session;
    send(to, std::move(request));
    return session;
  }
  // Answers a request: type kTypeResponse, same session, back to its source.
  SendStatus reply(const Message& request, Message&& response) noexcept {
    response.type = kTypeResponse;
    response.session = request.session;
    return send(request.source, std::move(response));
  }

  template <class A, class... Args>
  ActorId spawn(Args&&... args) {
    return runtime_->spawn(std::make_unique<A>(std::forward<Args>(args)...), self_, worker_);
  }
  ActorId spawn(std::unique_ptr<Actor> actor) noexcept {
    return runtime_->spawn(std::move(actor), self_, worker_);
  }
  // Spawns on a chosen worker (index modulo threads) where the policy binds
  // actors to workers (placement home); elsewhere the placement is only a hint.
  template <class A, class... Args>
  ActorId spawn_on(int worker, Args&&... args) {
    return runtime_->spawn(std::make_unique<A>(std::forward<Args>(args)...), self_, worker_, worker);
  }

  // The actor ends after this dispatch returns; messages still queued for it
  // become dead letters (their live senders get kTypeError).
  void exit() noexcept { exit_requested_ = true; }
  bool exit_requested() const noexcept { return exit_requested_; }

  // A kTypeTimeout message with `session` arrives after `delay` (never
  // earlier). False if no timer service is attached or it is stopping.
  bool timeout(std::chrono::nanoseconds delay, uint32_t session) noexcept {
    TimerApi* timers = runtime_->timers();
    return timers != nullptr && timers->add(self_, delay, session);
  }
  void cancel_timeout(uint32_t session) noexcept {
    if (TimerApi* timers = runtime_->timers()) timers->cancel(self_, session);
  }
  // The socket service, or nullptr where the engine has no net thread.
  SocketApi* sockets() const noexcept { return runtime_->sockets(); }

  // Wakes Engine::wait_done() with a result (the first call wins).
  void signal_done(int64_t result = 0) noexcept { runtime_->signal_done(result); }

 private:
  RuntimeBase* runtime_;
  Actor* actor_;
  ActorId self_;
  int worker_;
  bool exit_requested_ = false;
};

}  // namespace actorlab::core
