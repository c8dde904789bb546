// runtime.hpp: one runtime instance: registry, workers and the worker loop,
// for one choice of mailbox kind and scheduler family (template parameters:
// a placement with its run-queue kind, picked once at start-up by
// sched/select.cpp; core/policy.hpp is the contract, sched/ the parts).
//
// Invariants upheld here (DESIGN.md): 1 exactly once (dispatch checks each
// message's target against the cell's live id; everything else becomes a
// counted dead letter, answered with kTypeError to a live sender), 3 mutual
// exclusion and 4 activation (a cell runs only after the push that found its
// mailbox idle, or the spawn that folded its start into the idle mailbox
// (queue_start), scheduled it, and leaves a worker only by try_set_idle() or by
// the policy's after_turn()), 5 (the policy's next() parks only after its
// final look), 6 clean stop (stop() joins every worker, then
// releases and counts every queued message and destroys every actor).
// --net=worker: worker_main also polls the attached IdleDriver every
// Config::event_interval turns (poll_driver), so busy workers never starve io.
// Inboxes (core/inbox_table.hpp) sit beside the registry: deliver() asks
// them only after the registry lookup failed, so the send path of ordinary
// actors is unchanged; stop() drains them after the workers (dropped_at_stop).
// --mailbox-limit=N: send() from a worker (an actor's Context::send) to
// another cell whose queued_ count is at N returns kFull without taking the message;
// every other push (outside senders, start messages, bounces) is counted and
// never refused, so the main, net and timer threads never lose a message or
// block. With N = 0 nothing is counted.
// --trace (core/trace.hpp): each worker records its turns into its own
// ring, and hands the ring to the policy's parts (attach_trace) for steals,
// parks and wake-ups; off, Worker::trace is null and run_turn pays two
// predictable branches per turn, nothing per message.
// Threads: workers run worker_main(); any thread may send and spawn; stop()
// and the destructor run on the owning (main) thread.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/actor.hpp"
#include "core/actor_cell.hpp"
#include "core/affinity.hpp"
#include "core/cache_line.hpp"
#include "core/config.hpp"
#include "core/counters.hpp"
#include "core/idle.hpp"  // IdleDriver (poll_driver)
#include "core/inbox_table.hpp"
#include "core/policy.hpp"
#include "core/registry.hpp"
#include "core/trace.hpp"

namespace actorlab::core {

template <Mailbox MB, class Sched>
class Runtime final : public RuntimeBase {
 public:
  using Cell = ActorCell<MB, typename Sched::CellState>;
  using Policy = typename Sched::template Policy<Cell>;
  static_assert(SchedulerPolicy<Policy, Cell>);
  static_assert(sizeof(Cell) <= 2 * kCacheLine, "cell fields must fit the mailbox's tail padding");

  explicit Runtime(const Config& config)
      : config_(config), registry_(config.max_actors, config.threads), policy_(config) {
    config_.validate();
    workers_.reserve(static_cast<std::size_t>(config_.threads));
    for (int i = 0; i < config_.threads; ++i) {
      workers_.push_back(std::make_unique<Worker>());
      workers_.back()->index = i;
      policy_.init_worker(workers_.back()->state, i);
    }
  }
  ~Runtime() override { stop(); }

  void start() override {
    const std::vector<int> cpus = resolve_pin(config_.pin, config_.threads);
    for (auto& w : workers_) {
      Worker* worker = w.get();
      const int cpu = cpus.empty() ? -1 : cpus[static_cast<std::size_t>(worker->index)];
      worker->thread = std::jthread([this, worker, cpu] {
        name_current_thread("al-worker-" + std::to_string(worker->index));
        if (cpu >= 0) pin_current_thread(cpu);
        worker_main(*worker);
      });
    }
  }

  void stop() noexcept override {
    if (stopped_.exchange(true, std::memory_order_acq_rel)) return;
    // seq_cst: Dekker with the off-worker paths (send, spawn, spawn_batch
    // with worker < 0, outside_dead_letter), which raise external_in_flight_
    // and then read accepting_; one of the two sees the other's store.
    accepting_.store(false, std::memory_order_seq_cst);
    while (external_in_flight_.load(std::memory_order_seq_cst) != 0) cpu_relax();
    stopping_.store(true, std::memory_order_release);  // pairs with acquire polls in the policy
    policy_.stop();
    for (auto& w : workers_)
      if (w->thread.joinable()) w->thread.join();
    release_everything();
    dropped_at_stop_.add(inboxes_.close_all());
  }

  SendStatus send(Message&& msg, int worker) noexcept override {
    if (worker >= 0) return deliver(std::move(msg), workers_[static_cast<std::size_t>(worker)].get(), true);
    external_in_flight_.fetch_add(1, std::memory_order_seq_cst);  // see stop()
    SendStatus status;
    if (!accepting_.load(std::memory_order_seq_cst)) {
      external_dropped_.add();
      status = SendStatus::kStopped;
    } else {
      status = deliver(std::move(msg), nullptr);
    }
    external_in_flight_.fetch_sub(1, std::memory_order_release);  // pairs with the load in stop()
    return status;
  }

  ActorId spawn(std::unique_ptr<Actor> actor, ActorId parent, int worker, int placement) noexcept override {
    Worker* w = worker >= 0 ? workers_[static_cast<std::size_t>(worker)].get() : nullptr;
    if (w == nullptr) {
      external_in_flight_.fetch_add(1, std::memory_order_seq_cst);  // see stop()
      if (!accepting_.load(std::memory_order_seq_cst)) {
        external_in_flight_.fetch_sub(1, std::memory_order_release);
        return kNoActor;
      }
    }
    ActorId id = spawn_now(std::move(actor), parent, w, placement);
    if (w == nullptr) external_in_flight_.fetch_sub(1, std::memory_order_release);
    return id;
  }

  bool spawn_batch(std::span<ActorId> ids, const BatchFactory& make, ActorId parent, int worker) noexcept override {
    Worker* w = worker >= 0 ? workers_[static_cast<std::size_t>(worker)].get() : nullptr;
    if (w == nullptr) {
      external_in_flight_.fetch_add(1, std::memory_order_seq_cst);  // see stop()
      if (!accepting_.load(std::memory_order_seq_cst)) {
        external_in_flight_.fetch_sub(1, std::memory_order_release);
        return false;
      }
    }
    const bool ok = spawn_batch_now(ids, make, parent, w);
    if (w == nullptr) external_in_flight_.fetch_sub(1, std::memory_order_release);
    return ok;
  }

  ActorId open_inbox() override {
    if (!accepting_.load(std::memory_order_acquire)) throw std::runtime_error("inbox: the engine has stopped");
    return inboxes_.open();
  }
  void close_inbox(ActorId inbox) noexcept override {
    inboxes_.close(inbox, [this](Message&& m) { outside_dead_letter(std::move(m)); });
  }
  std::optional<Message> receive(ActorId inbox, std::chrono::nanoseconds timeout) noexcept override {
    return inboxes_.receive(inbox, timeout, [this](Message&& m) { outside_dead_letter(std::move(m)); });
  }

  void signal_done(int64_t result) noexcept override {
    std::lock_guard lock(done_mutex_);
    if (!done_result_) done_result_ = result;
    done_cv_.notify_all();
  }

  std::optional<int64_t> wait_done(std::chrono::nanoseconds timeout) override {
    std::unique_lock lock(done_mutex_);
    done_cv_.wait_for(lock, timeout, [this] { return done_result_.has_value(); });
    return done_result_;
  }

  RuntimeStats stats() const override {
    RuntimeStats s;
    for (const auto& w : workers_) add_worker_counters(s, w->counters);
    policy_.add_stats(s);
    s.values["spawns"] += external_spawns_.get();
    s.values["spawn_failures"] += external_spawn_failures_.get();
    s.values["dead_letters"] += external_dead_letters_.get();
    s.values["dropped_after_stop"] = external_dropped_.get();
    s.values["dropped_at_stop"] = dropped_at_stop_.get();
    s.values["inbox_received"] = inboxes_.received();
    s.values["actors_destroyed_at_stop"] = destroyed_at_stop_.get();
    s.values["registry_high_water"] = registry_.high_water();
    s.values["registry_retired_slots"] = registry_.retired_slots();
    s.values["registry_generation_wraps"] = registry_.generation_wraps();
    s.values["registry_quarantine_overrides"] = registry_.quarantine_overrides();
    return s;
  }

  int threads() const noexcept override { return config_.threads; }

  bool attach_idle_driver(IdleDriver* driver) noexcept override {
    if constexpr (requires(Policy& p) { p.attach_idle_driver(driver); }) {
      policy_.attach_idle_driver(driver);
      driver_ = driver;  // before start(): the workers' threads are created after this store
      return true;
    } else {
      return false;
    }
  }

  void attach_trace(TraceSession& session) override {
    for (auto& w : workers_) {
      w->trace = session.add_track("worker " + std::to_string(w->index));
      if constexpr (requires(Policy& p) { p.attach_trace(w->state, w->trace); })
        policy_.attach_trace(w->state, w->trace);
    }
  }

 private:
  struct alignas(kCacheLine) Worker {
    int index = 0;
    uint32_t turns_since_poll = 0;  // this worker's thread only (poll_driver)
    TraceRing* trace = nullptr;     // --trace: set before start(), then read-only; this worker writes it
    WorkerCounters counters;
    typename Policy::WorkerState state;
    std::jthread thread;
  };

  // The loop over turns: one iteration per actor turn (the place for
  // per-turn hooks, e.g. polling an io driver every N turns).
  void worker_main(Worker& w) noexcept {
    Cell* cell = nullptr;
    for (;;) {
      if (cell == nullptr) {
        cell = policy_.next(w.state, stopping_);
        if (cell == nullptr) return;  // stopping
      }
      cell = run_turn(w, cell);
      poll_driver(w);
      if (stopping_.load(std::memory_order_relaxed)) return;  // queued work is released by stop()
    }
  }

  // --net=worker: a busy worker polls the io driver (non-blocking) every
  // event_interval turns, or sockets would wait until some worker parks
  // (busy actors starving the network). One branch per turn when no driver is attached.
  void poll_driver(Worker& w) noexcept {
    if (driver_ == nullptr || config_.event_interval == 0) return;
    if (++w.turns_since_poll < config_.event_interval) return;
    w.turns_since_poll = 0;
    driver_->poll();  // counted by the driver (net_worker_polls)
  }

  // Runs up to batch() messages of `cell`; returns the cell to run next.
  Cell* run_turn(Worker& w, Cell* cell) noexcept {
    const std::size_t budget = std::max<std::size_t>(1, policy_.batch(w.state, *cell));
    uint64_t traced_from = 0;
    uint32_t traced_id = 0;
    if (w.trace != nullptr) [[unlikely]] {
      traced_from = TraceRing::now();
      traced_id = cell->live_id_;  // 0 before the start: read again after the turn
    }
    Message msg;
    std::size_t ran = 0;
    if (cell->start_id_ != 0) [[unlikely]] {  // a folded start runs before any message
      ++ran;
      run_folded_start(w, cell);
    }
    while (ran < budget && cell->pop(msg)) {
      ++ran;
      dispatch(w, cell, msg);
    }
    // relaxed: a hint for senders' limit checks (core/actor_cell.hpp).
    if (limit_ != 0 && ran != 0) cell->queued_.fetch_sub(static_cast<uint32_t>(ran), std::memory_order_relaxed);
    w.counters.turns.add();
    w.counters.messages.add(ran);
    w.counters.record_batch(ran);
    if (w.trace != nullptr) [[unlikely]]
      w.trace->span(TraceKind::kTurn, traced_from, cell->live_id_ != 0 ? cell->live_id_ : traced_id,
                    static_cast<uint32_t>(ran));
    if (set_idle(cell)) return nullptr;  // invariant 4: idle, in no queue
    if (ran == 0) cpu_relax();  // a push is between its exchange and its link: give it a moment
    w.counters.requeues.add();
    Cell* next = policy_.after_turn(w.state, cell);
    if (next == cell) w.counters.kept_running.add();
    return next;
  }

  // try_set_idle(); a kind that keeps memory while idle (segmented) frees
  // it instead once the cell's actor has exited.
  static bool set_idle(Cell* cell) noexcept {
    if constexpr (requires { cell->try_set_idle_and_release(); })
      if (cell->actor_ == nullptr) [[unlikely]] return cell->try_set_idle_and_release();
    return cell->try_set_idle();
  }

  void dispatch(Worker& w, Cell* cell, Message& msg) noexcept {
    if (msg.target.value() != cell->live_id_) [[unlikely]] {
      // A start that came as a message (queue_start could not fold it).
      // acquire: pairs with the release store of owner_id_ in spawn_now(), so
      // actor_ is visible once the start message's target matches.
      if (msg.type == kTypeStart && msg.target.value() != 0 &&
          msg.target.value() == cell->owner_id_.load(std::memory_order_acquire)) {
        cell->live_id_ = msg.target.value();
        invoke(w, cell, msg, /*start=*/true);
      } else {
        dead_letter(std::move(msg), ErrorCode::kDeadTarget, &w);
      }
      return;
    }
    invoke(w, cell, msg, /*start=*/false);
  }

  // The start spawn folded into the cell (queue_start): dispatched like a
  // start message, counted as one.
  void run_folded_start(Worker& w, Cell* cell) noexcept {
    Message start = start_message(ActorId::from_value(cell->start_id_), cell->actor_->parent_);
    cell->live_id_ = cell->start_id_;
    cell->start_id_ = 0;
    invoke(w, cell, start, /*start=*/true);
  }

  static Message start_message(ActorId id, ActorId parent) noexcept {
    Message start;
    start.type = kTypeStart;
    start.source = parent;
    start.target = id;
    return start;
  }

  void invoke(Worker& w, Cell* cell, Message& msg, bool start) noexcept {
    Context ctx(*this, w.index, msg.target, cell->actor_);
    try {
      if (start)
        cell->actor_->on_start(ctx);
      else
        cell->actor_->on_message(ctx, msg);
    } catch (...) {
      w.counters.actor_errors.add();
      if (!start && msg.type != kTypeError) bounce(msg, ErrorCode::kActorThrew, &w);
    }
    if (ctx.exit_requested()) retire(w, cell);
  }

  // The running actor exits. Its remaining messages stay in the mailbox and
  // become dead letters as they are popped (live_id_ is 0 now); the slot is
  // free for reuse at once (see core/actor_cell.hpp for why that is safe).
  void retire(Worker& w, Cell* cell) noexcept {
    const uint32_t index = ActorId::from_value(cell->live_id_).index();
    Actor* actor = cell->actor_;
    cell->actor_ = nullptr;
    cell->live_id_ = 0;
    // release: a sender that reads 0 (acquire in Registry::find) refuses early.
    cell->owner_id_.store(0, std::memory_order_release);
    delete actor;
    w.counters.exits.add();
    registry_.release(index, w.index);
  }

  // limited: an actor's send, refused with kFull at --mailbox-limit.
  SendStatus deliver(Message&& msg, Worker* w, bool limited = false) noexcept {
    Cell* cell = registry_.find(msg.target);
    if (cell == nullptr) [[unlikely]] {
      if (inboxes_.push(msg)) return SendStatus::kOk;  // an inbox id (never a registry id)
      dead_letter(std::move(msg), ErrorCode::kDeadTarget, w);
      return SendStatus::kDeadTarget;
    }
    if (limit_ != 0) [[unlikely]] {
      // relaxed: a hint (core/actor_cell.hpp); the limit is approximate by
      // the senders racing here and by a turn's lag.
      // A send to self is never refused: it is how an actor resumes later.
      if (limited && msg.target.value() != msg.source.value() &&
          cell->queued_.load(std::memory_order_relaxed) >= limit_) {
        w->counters.sends_full.add();
        return SendStatus::kFull;  // msg untouched: the sender keeps it
      }
      cell->queued_.fetch_add(1, std::memory_order_relaxed);
    }
    if (cell->push(std::move(msg))) policy_.schedule(cell, w ? &w->state : nullptr);
    return SendStatus::kOk;
  }

  // A kind that can skip its push count (lockfree) skips it when the batch
  // rule never reads a length. Before owner_id_'s release (spawn).
  void count_pushes(Cell& cell) noexcept {
    if constexpr (requires { cell.count_pushes(true); }) cell.count_pushes(batch_reads_length_);
  }

  // Queues a new actor's start, after its owner_id_'s release; true when
  // the caller must schedule the cell. Counted like any push, never
  // refused. A kind with try_activate() folds it into the cell when the
  // mailbox is idle (start_id_, core/actor_cell.hpp): no node to allocate,
  // push, pop and free. Otherwise (a stale sender's messages keep the
  // mailbox active, or the kind cannot) a start message goes behind them.
  bool queue_start(Cell* cell, ActorId id, ActorId parent) noexcept {
    if (limit_ != 0) cell->queued_.fetch_add(1, std::memory_order_relaxed);  // relaxed: a hint
    if constexpr (requires { cell->try_activate(); }) {
      if (cell->try_activate()) {
        cell->start_id_ = id.value();  // the activation is ours: no worker runs this cell
        return true;
      }
    }
    return cell->push(start_message(id, parent));
  }

  ActorId spawn_now(std::unique_ptr<Actor> actor, ActorId parent, Worker* w, int placement) noexcept {
    auto slot = registry_.allocate(w ? w->index : -1);
    if (slot.cell == nullptr) {
      if (w) w->counters.spawn_failures.add(); else external_spawn_failures_.add();
      return kNoActor;
    }
    Cell* cell = slot.cell;
    const ActorId id = ActorId::make(slot.index, cell->generation_);
    count_pushes(*cell);
    actor->parent_ = parent;
    cell->actor_ = actor.release();
    if constexpr (requires { policy_.on_spawn(*cell, slot.index, &w->state, placement); })
      policy_.on_spawn(*cell, slot.index, w ? &w->state : nullptr, placement);
    cell->owner_id_.store(id.value(), std::memory_order_release);  // pairs with acquire in find/dispatch
    if (w) w->counters.spawns.add(); else external_spawns_.add();
    if (queue_start(cell, id, parent)) policy_.schedule(cell, w ? &w->state : nullptr);
    return id;
  }

  // A batch (core/actor.hpp): reserve every slot, build every actor, publish
  // them all, queue every start (queue_start) keeping the activations it wins,
  // and only then schedule those. All or nothing.
  bool spawn_batch_now(std::span<ActorId> ids, const BatchFactory& make, ActorId parent, Worker* w) noexcept {
    const std::size_t n = ids.size();
    std::vector<typename Registry<Cell>::Slot> slots;
    std::vector<std::unique_ptr<Actor>> actors;
    std::vector<char> won;
    bool ok = true;
    try {
      slots.reserve(n);
      actors.reserve(n);
      won.assign(n, 0);
      for (std::size_t i = 0; i < n && ok; ++i) {
        slots.push_back(registry_.allocate(w ? w->index : -1));
        ok = slots.back().cell != nullptr;
        if (ok) ids[i] = ActorId::make(slots.back().index, slots.back().cell->generation_);
      }
      for (std::size_t i = 0; i < n && ok; ++i) {
        actors.push_back(make(i, std::span<const ActorId>(ids.data(), n)));
        ok = actors.back() != nullptr;
      }
    } catch (...) {
      ok = false;
    }
    if (!ok) {
      // Never published: only the generation moves.
      for (const auto& slot : slots)
        if (slot.cell != nullptr) registry_.release(slot.index, w ? w->index : -1);
      for (auto& id : ids) id = kNoActor;
      if (w) w->counters.spawn_failures.add(); else external_spawn_failures_.add();
      return false;
    }
    for (std::size_t i = 0; i < n; ++i) {
      Cell* cell = slots[i].cell;
      count_pushes(*cell);
      actors[i]->parent_ = parent;
      cell->actor_ = actors[i].release();
      if constexpr (requires { policy_.on_spawn(*cell, slots[i].index, &w->state, -1); })
        policy_.on_spawn(*cell, slots[i].index, w ? &w->state : nullptr, -1);
      cell->owner_id_.store(ids[i].value(), std::memory_order_release);  // pairs with acquire in find/dispatch
    }
    for (std::size_t i = 0; i < n; ++i) won[i] = queue_start(slots[i].cell, ids[i], parent) ? 1 : 0;
    for (std::size_t i = 0; i < n; ++i)
      if (won[i]) policy_.schedule(slots[i].cell, w ? &w->state : nullptr);
    if (w) w->counters.spawns.add(n); else external_spawns_.add(n);
    return true;
  }

  // A dead letter found off the workers (an inbox's receive or close): the
  // bounce to a live sender goes through the same stop() guard as an
  // outside send.
  void outside_dead_letter(Message&& msg) noexcept {
    external_in_flight_.fetch_add(1, std::memory_order_seq_cst);  // see stop()
    if (accepting_.load(std::memory_order_seq_cst))
      dead_letter(std::move(msg), ErrorCode::kDeadTarget, nullptr);
    else
      external_dead_letters_.add();  // stopping: counted, not answered
    external_in_flight_.fetch_sub(1, std::memory_order_release);  // pairs with the load in stop()
  }

  void dead_letter(Message&& msg, ErrorCode code, Worker* w) noexcept {
    if (w) w->counters.dead_letters.add(); else external_dead_letters_.add();
    if (msg.type != kTypeError && msg.type != kTypeStart && msg.source.valid()) bounce(msg, code, w);
  }

  // Tells msg's live sender that msg failed. Never bounces an error, so a
  // dead pair cannot ping errors forever.
  void bounce(const Message& msg, ErrorCode code, Worker* w) noexcept {
    Message err = Message::of(kTypeError, ErrorInfo{code, msg.type, msg.target}, msg.session);
    err.source = msg.target;
    err.target = msg.source;
    deliver(std::move(err), w);
  }

  // After every worker has been joined: nothing else touches any cell.
  void release_everything() noexcept {
    const uint32_t n = registry_.high_water();
    Message msg;
    for (uint32_t i = 0; i < n; ++i) {
      Cell* cell = registry_.cell_at(i);
      if (cell == nullptr) continue;
      while (cell->pop(msg)) dropped_at_stop_.add();
      if (cell->start_id_ != 0) {  // a folded start that never ran
        cell->start_id_ = 0;
        dropped_at_stop_.add();
      }
      if (cell->actor_ != nullptr) {
        delete cell->actor_;
        cell->actor_ = nullptr;
        cell->live_id_ = 0;
        cell->owner_id_.store(0, std::memory_order_relaxed);
        destroyed_at_stop_.add();
      }
    }
  }

  Config config_;
  uint32_t limit_ = config_.mailbox_limit;  // --mailbox-limit, 0: off; read-only after construction
  Registry<Cell> registry_;
  Policy policy_;
  const bool batch_reads_length_ = policy_.batch_reads_length();  // read-only after construction
  InboxTable<MB> inboxes_;
  IdleDriver* driver_ = nullptr;  // --net=worker: set before start(), then read-only
  std::vector<std::unique_ptr<Worker>> workers_;

  alignas(kCacheLine) std::atomic<bool> stopping_{false};
  std::atomic<bool> accepting_{true};
  std::atomic<bool> stopped_{false};
  alignas(kCacheLine) std::atomic<uint32_t> external_in_flight_{0};
  SharedCounter external_spawns_, external_spawn_failures_, external_dead_letters_, external_dropped_;
  SharedCounter dropped_at_stop_, destroyed_at_stop_;

  std::mutex done_mutex_;
  std::condition_variable done_cv_;
  std::optional<int64_t> done_result_;
};

}  // namespace actorlab::core
