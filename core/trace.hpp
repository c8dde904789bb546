// trace.hpp: the scheduler's event trace (--trace): a bounded ring of
// timestamped events per thread (TraceRing), the set of rings of one run
// (TraceSession), and the writer of Chrome trace event JSON (TraceFile,
// core/trace.cpp) that Perfetto and chrome://tracing open.
//
// Off by default: nothing here exists then, and every hook in the hot path
// (core/runtime.hpp run_turn, sched/part_counters.hpp, sched/idle.hpp,
// sched/steal.hpp, the timer and net threads) is one predictable branch on
// a null TraceRing pointer. On, an event costs a clock read and a 32-byte
// store into memory allocated before the run starts: no lock, no
// allocation, no atomic. A full ring overwrites its oldest event and counts
// it (dropped()), so a trace always holds the end of a run.
// The clock (TraceRing::now) is the TSC where there is one (rdtsc, a few ns
// instead of the ~25 ns of a vDSO clock_gettime; measured: a traced ring hop
// cost ~100 ns with three steady-clock reads), mapped to the steady clock
// when the file is written by the two (TSC, ns) pairs the session takes at
// its start and end; elsewhere it is perf::now_ns(). A LIFO hit and an
// injection pop always precede the turn of the actor they produced, so they
// cost no event of their own: they mark the next turn (mark_next_turn), and
// the writer emits them as instants at that turn's start.
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

#include "core/cache_line.hpp"
#include "perf/clock.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

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

// Marks on a turn (TraceEvent::marks): what produced the actor it runs.
inline constexpr uint8_t kMarkLifoHit = 1;
inline constexpr uint8_t kMarkInjectionPop = 2;

struct TraceEvent {
  uint64_t begin;  // TraceRing::now() ticks
  uint64_t end;    // spans; 0 for an instant
  uint32_t a;
  uint32_t b;
  TraceKind kind;
  uint8_t marks;  // kTurn: kMark* bits
};
static_assert(sizeof(TraceEvent) == 32, "two events per cache line");

// alignas: each worker writes next_ and written_ of its own ring on every
// event while reading events_; rings allocated one after another by the
// main thread would otherwise share a line with a neighbour's (measured:
// false sharing made a traced ring hop ~90 ns slower).
class alignas(kCacheLine) TraceRing {
 public:
  TraceRing(std::string name, uint32_t capacity) : name_(std::move(name)), events_(capacity ? capacity : 1) {}

  // The trace clock: TSC ticks on x86, else steady-clock ns (see the top).
  static uint64_t now() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    return __rdtsc();
#else
    return perf::now_ns();
#endif
  }

  void instant(TraceKind kind, uint32_t a = 0, uint32_t b = 0) noexcept { push(TraceEvent{now(), 0, a, b, kind, 0}); }
  // A span that began at `begin` (a now() value) and ends now; a turn takes
  // the marks set since the last turn.
  void span(TraceKind kind, uint64_t begin, uint32_t a = 0, uint32_t b = 0) noexcept {
    uint8_t marks = 0;
    if (kind == TraceKind::kTurn) {
      marks = marks_;
      marks_ = 0;
    }
    push(TraceEvent{begin, now(), a, b, kind, marks});
  }
  // The next turn's actor came from the LIFO slot or the injection queue.
  void mark_next_turn(uint8_t mark) noexcept { marks_ |= mark; }

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
  uint8_t marks_ = 0;               // for the next turn (mark_next_turn)
};

// The tracks of one run: one ring per worker, timer and net thread.
class TraceSession {
 public:
  static constexpr uint32_t kDefaultEvents = 65536;  // 2 MiB a thread; guessed: a few ms of a busy pingpong
  static constexpr uint32_t kMinEvents = 16;
  static constexpr uint32_t kMaxEvents = 1u << 22;  // 128 MiB a thread

  explicit TraceSession(uint32_t events_per_track)
      : events_per_track_(events_per_track), start_ticks_(TraceRing::now()), start_ns_(perf::now_ns()) {}

  // Before the run starts (allocates). The ring lives as long as the session.
  TraceRing* add_track(std::string name) {
    tracks_.push_back(std::make_unique<TraceRing>(std::move(name), events_per_track_));
    return tracks_.back().get();
  }
  const std::vector<std::unique_ptr<TraceRing>>& tracks() const noexcept { return tracks_; }
  uint64_t dropped() const noexcept;
  // A TraceRing::now() value as steady-clock ns, by the (ticks, ns) pairs
  // taken at construction and at the first call (after the run).
  uint64_t to_ns(uint64_t ticks) const noexcept;

 private:
  uint32_t events_per_track_;
  uint64_t start_ticks_, start_ns_;
  mutable uint64_t end_ticks_ = 0, end_ns_ = 0;  // main thread, after the run
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
