// actor.hpp: the user's side of the runtime: Actor, Context, RuntimeBase.
//
// An Actor is user state plus on_message(Context&, Message&). The runtime
// calls it on one worker at a time (invariant 3); on_start runs first, as the
// actor's first message. Both have empty defaults, so an actor that only
// sends overrides on_start alone. A Context lives for one dispatch and gives
// the actor its id, its parent (the spawner's id, kNoActor for an actor
// spawned from outside the actors; valid from on_start on), send, spawn,
// exit, and request/response by session (call/reply).
//
// Wiring peers before they run: spawn_batch(n, make) (here and on Engine)
// reserves n ids first, then calls make(i, ids) for each i on the calling
// thread (every constructor sees every id), then registers all n actors and
// queues their start messages, and only then hands them to the scheduler.
// So no member runs before the whole batch is registered, and a message one
// member sends another (even from on_start) lands behind the receiver's
// start message. (One race is left: a sender still holding a stale id of a
// reused slot can make that slot's member runnable while the batch is being
// queued; its messages to a peer whose start is not queued yet then become
// dead letters, counted and answered with kTypeError as always.) A batch is
// all or nothing: if the registry is full or make throws or returns null,
// no member is registered, the slots go back, and the result is empty.
//
// The main thread receives through an Inbox (core/inbox.hpp, Engine::inbox()):
// an ActorId actors send to like any other, read with Inbox::receive.
//
// Context reaches the runtime through RuntimeBase, an abstract class: actor
// code is compiled once for every policy and mailbox kind, so each send costs
// one indirect call. The worker loop itself (pop, dispatch, re-queue) is a
// template instance with no indirect call besides the actor's on_message.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <functional>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "core/actor_id.hpp"
#include "core/counters.hpp"
#include "core/mailbox.hpp"
#include "core/message.hpp"
#include "core/services.hpp"

namespace actorlab::core {

class Context;
class IdleDriver;  // core/idle.hpp
class TraceSession;  // core/trace.hpp
template <Mailbox MB, class Sched>
class Runtime;  // core/runtime.hpp

class Actor {
 public:
  virtual ~Actor() = default;
  virtual void on_start(Context&) {}
  // The default ignores the message (errors and timeouts an actor that only
  // sends may still get included).
  virtual void on_message(Context&, Message&) {}

 private:
  template <Mailbox MB, class Sched>
  friend class Runtime;  // sets parent_ at spawn
  friend class Context;
  uint32_t last_session_ = 0;  // touched only by the worker running this actor
  // The spawner's id: written by spawn before the cell's owner_id_ release
  // (core/runtime.hpp spawn_now), read by the worker that runs the start
  // (popped as a message, or folded into the cell), which orders it; never
  // written again.
  ActorId parent_;
};

// make(i, ids) builds member i of a batch (see the top of the file).
using BatchFactory = std::function<std::unique_ptr<Actor>(std::size_t i, std::span<const ActorId> ids)>;

enum class SendStatus {
  kOk,          // queued for a live actor
  kDeadTarget,  // dead, stale or unknown id: counted; a live sender gets kTypeError
  kStopped,     // the engine is stopping or stopped: counted and released
  kFull,        // --mailbox-limit: the receiver is full; not queued, msg not moved from (keep it, resend later)
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
  // Fills ids (its size is the batch's) and spawns the batch; false (nothing
  // spawned, counted as one spawn failure) when the registry is full, make
  // throws or returns nullptr, or the engine is stopping.
  virtual bool spawn_batch(std::span<ActorId> ids, const BatchFactory& make, ActorId parent,
                           int worker) noexcept = 0;
  // Inboxes (core/inbox.hpp). open_inbox throws std::runtime_error when
  // kMaxInboxes are open or the engine has stopped; receive returns nullopt
  // on timeout, for a closed id, and at once after stop.
  virtual ActorId open_inbox() = 0;
  virtual void close_inbox(ActorId inbox) noexcept = 0;
  virtual std::optional<Message> receive(ActorId inbox, std::chrono::nanoseconds timeout) noexcept = 0;
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
  // --trace: before start(), adds one track per worker to `session`
  // (core/trace.hpp); the workers record into them until stop().
  virtual void attach_trace(TraceSession& session) { (void)session; }

 private:
  TimerApi* timers_ = nullptr;
  SocketApi* sockets_ = nullptr;
};

class Context {
 public:
  Context(RuntimeBase& runtime, int worker, ActorId self, Actor* actor) noexcept
      : runtime_(&runtime), actor_(actor), self_(self), worker_(worker) {}

  ActorId self() const noexcept { return self_; }
  // The actor that spawned this one; kNoActor when spawned from outside
  // (Engine::spawn). Valid in on_start and after.
  ActorId parent() const noexcept { return actor_->parent_; }
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
  // n peers that know each other's ids before any runs (top of the file);
  // empty on failure. parent() of each member is this actor.
  std::vector<ActorId> spawn_batch(std::size_t n, const BatchFactory& make) {
    std::vector<ActorId> ids(n);
    if (!runtime_->spawn_batch(ids, make, self_, worker_)) ids.clear();
    return ids;
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
