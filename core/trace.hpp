// trace.hpp: the scheduler's event trace (--trace): a bounded ring of
// timestamped events per thread (TraceRing), the set of rings of one run
// (TraceSession), and the writer of Chrome trace event JSON (TraceFile,
// core/trace.cpp) that Perfetto and chrome://tracing open.
//
// Off by default: nothing here exists then, and every hook in the hot path
// (core/runtime.hpp run_turn, sched/part_counters.hpp, sched/idle.hpp,
// sched/steal.hpp, the timer and net threads) is one predictable branch on
// a null TraceRing pointer. On, an event costs a clock read (~20 ns) and a
// 32-byte store into memory allocated before the run starts: no lock, no
// allocation, no atomic. A full ring overwrites its oldest event and counts
// it (dropped()), so a trace always holds the end of a run.
//
// Invariants: a ring has exactly one writer, the thread whose track it is;
// it is read only after that thread was joined (Engine::stop joins workers
// and services), and the join is the happens-before edge, so no field is
// atomic. Sessions are built (add_track) before Engine::start on the main
// thread; tracks never move (unique_ptr), so the pointers handed to the
// threads stay valid until the session is destroyed after the run.
// Threads: TraceRing: its owner thread, then the main thread after the
// join; TraceSession and TraceFile: the main thread.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "perf/clock.hpp"

namespace actorlab::core {

// What happened. Spans have a begin and an end; the rest are instants.
enum class TraceKind : uint8_t {
  kTurn,          // span: an actor's turn; a = actor id value, b = messages run
  kPark,          // span: a worker parked (futex or io driver) until woken
  kStealAttempt,  // a = the victim worker tried
  kSteal,         // a = victim worker, b = actors taken (one runs, the rest queue here)
  kLifoHit,       // the worker ran the actor in its own LIFO slot
  kLifoSteal,     // a thief took another worker's stealable LIFO slot
  kInjectionPop,  // an actor taken from the injection queue (or a home inbox)
  kWake,          // this thread sent a futex wake-up to a parked worker
  kTimerBatch,    // span: the timer thread fired due timeouts; b = how many
  kNetBatch,      // span (instant after a blocking wait): the net thread handled b io events
};

struct TraceEvent {
  uint64_t begin_ns;  // perf::now_ns()
  uint64_t end_ns;    // spans; 0 for an instant
  uint32_t a;
  uint32_t b;
  TraceKind kind;
};
static_assert(sizeof(TraceEvent) == 32, "two events per cache line");

class TraceRing {
 public:
  TraceRing(std::string name, uint32_t capacity) : name_(std::move(name)), events_(capacity ? capacity : 1) {}

  void instant(TraceKind kind, uint32_t a = 0, uint32_t b = 0) noexcept {
    push(TraceEvent{perf::now_ns(), 0, a, b, kind});
  }
  // A span that began at begin_ns (a perf::now_ns() value) and ends now.
  void span(TraceKind kind, uint64_t begin_ns, uint32_t a = 0, uint32_t b = 0) noexcept {
    push(TraceEvent{begin_ns, perf::now_ns(), a, b, kind});
  }

  const std::string& name() const noexcept { return name_; }
  uint64_t recorded() const noexcept { return written_; }
  uint64_t dropped() const noexcept { return written_ > events_.size() ? written_ - events_.size() : 0; }
  // The events kept, oldest first (after the writer was joined).
  std::vector<TraceEvent> events() const;

 private:
  void push(const TraceEvent& e) noexcept {
    events_[next_] = e;
    if (++next_ == events_.size()) next_ = 0;
    ++written_;
  }

  std::string name_;
  std::vector<TraceEvent> events_;  // sized once, before the run
  std::size_t next_ = 0;            // the slot the next event takes
  uint64_t written_ = 0;
};

// The tracks of one run: one ring per worker, timer and net thread.
class TraceSession {
 public:
  static constexpr uint32_t kDefaultEvents = 65536;  // 2 MiB a thread; guessed: a few ms of a busy pingpong
  static constexpr uint32_t kMinEvents = 16;
  static constexpr uint32_t kMaxEvents = 1u << 22;  // 128 MiB a thread

  explicit TraceSession(uint32_t events_per_track) : events_per_track_(events_per_track) {}

  // Before the run starts (allocates). The ring lives as long as the session.
  TraceRing* add_track(std::string name) {
    tracks_.push_back(std::make_unique<TraceRing>(std::move(name), events_per_track_));
    return tracks_.back().get();
  }
  const std::vector<std::unique_ptr<TraceRing>>& tracks() const noexcept { return tracks_; }
  uint64_t dropped() const noexcept;

 private:
  uint32_t events_per_track_;
  std::vector<std::unique_ptr<TraceRing>> tracks_;
};

// One Chrome trace event JSON file holding any number of runs, one process
// (pid 1, 2, ...) per run, one thread track per ring; ts in microseconds
// from the first run's start. Events of a track are sorted by begin time;
// a park's args say which worker sent the last wake-up during it
// (woken_by), when one did.
class TraceFile {
 public:
  // Opens (truncates) `path`; throws std::runtime_error naming it.
  explicit TraceFile(const std::string& path);
  TraceFile(const TraceFile&) = delete;
  TraceFile& operator=(const TraceFile&) = delete;
  ~TraceFile();

  // Appends a run as process `label` (e.g. "pingpong/policy:steal/threads:2 rep 1").
  void add_run(const TraceSession& session, const std::string& label);
  // Writes the closing part (per-run statistics in otherData); throws on a
  // write error. The destructor closes without checking.
  void close();
  const std::string& path() const noexcept { return path_; }
  int runs() const noexcept { return runs_; }  // added so far: the last run's pid

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
  bool first_event_ = true;
  uint64_t epoch_ns_ = 0;
  int runs_ = 0;
  std::string stats_;  // the otherData run list, JSON
};

}  // namespace actorlab::core
