// inbox.hpp: Inbox, a mailbox for a thread outside the actors (the main
// thread, a test, a client thread): CAF's scoped_actor, Tokio's channel
// receiver.
//
//   core::Inbox inbox = engine->inbox();
//   engine->spawn<Worker>(inbox.id());           // actors send to inbox.id()
//   while (auto msg = inbox.receive(1s)) ...      // blocks up to 1 s each
//
// id() is an ActorId like any other: actors send to it with ctx.send and
// answer it with ctx.reply. receive(timeout) returns the next message, in
// FIFO order per sender, or nullopt on timeout, after close, and at once
// once the engine has stopped. The returned Message owns its payload and
// frees it when destroyed (inline bytes need nothing; a heap payload is
// freed then, a hooked one tells its hook on this thread). send()/call()
// send with source = id(), so replies and kTypeError answers come back here.
// Several inboxes may be open at once (core::kMaxInboxes per engine). A
// closed inbox's id is dead: sends to it are counted dead letters, answered
// with kTypeError to a live sender, like sends to an exited actor; what it
// still held is treated the same way. At Engine::stop() whatever is still
// queued in any inbox is released and counted in dropped_at_stop; stats key
// inbox_received counts the messages receive() returned, so that
//   messages + inbox_received + dropped_at_stop == spawns + accepted sends
// (invariant 6's identity with inboxes).
// The mechanism is in core/inbox_table.hpp (ids outside the registry, a
// futex wake instead of a run queue).
// Threads: move-only handle. receive() on one thread at a time; send() from
// any thread; the handle must not outlive its Engine (declare it after the
// engine, or destroy it first); its destructor closes it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <utility>

#include "core/actor.hpp"
#include "core/message.hpp"

namespace actorlab::core {

class Inbox {
 public:
  Inbox(RuntimeBase& runtime, ActorId id) noexcept : runtime_(&runtime), id_(id) {}
  Inbox(Inbox&& other) noexcept
      : runtime_(std::exchange(other.runtime_, nullptr)), id_(std::exchange(other.id_, kNoActor)),
        last_session_(other.last_session_) {}
  Inbox& operator=(Inbox&& other) noexcept {
    if (this != &other) {
      close();
      runtime_ = std::exchange(other.runtime_, nullptr);
      id_ = std::exchange(other.id_, kNoActor);
      last_session_ = other.last_session_;
    }
    return *this;
  }
  Inbox(const Inbox&) = delete;
  Inbox& operator=(const Inbox&) = delete;
  ~Inbox() { close(); }

  ActorId id() const noexcept { return id_; }

  // The next message, waiting up to `timeout`; nullopt if none came.
  std::optional<Message> receive(std::chrono::nanoseconds timeout) noexcept {
    if (runtime_ == nullptr) return std::nullopt;
    return runtime_->receive(id_, timeout);
  }

  // Sends with source = id(): answers (reply, kTypeError) come back here.
  SendStatus send(ActorId to, Message&& msg) noexcept {
    msg.source = id_;
    msg.target = to;
    return runtime_->send(std::move(msg), -1);
  }
  template <class T>
  SendStatus send(ActorId to, uint32_t type, const T& value, uint32_t session = 0) {
    return send(to, Message::of(type, value, session));
  }
  // As Context::call: a fresh session (never 0), returned; the answer is a
  // kTypeResponse (or kTypeError) with that session.
  uint32_t call(ActorId to, Message&& request) noexcept {
    uint32_t session = ++last_session_;
    if (session == 0) session = ++last_session_;
    request.session = session;
    send(to, std::move(request));
    return session;
  }

  // Closes the inbox now (the destructor does it too); id() is dead after.
  void close() noexcept {
    if (runtime_ != nullptr) runtime_->close_inbox(id_);
    runtime_ = nullptr;
  }

 private:
  RuntimeBase* runtime_;
  ActorId id_;
  uint32_t last_session_ = 0;
};

}  // namespace actorlab::core
