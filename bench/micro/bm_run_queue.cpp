// bm_run_queue.cpp: run-queue throughput for the lockfree (moodycamel),
// spinlist (skynet) and mutex_deque kinds, over a dummy cell with the
// intrusive link the spinlist needs (its SpinListLink, in a cell's sched_ state).
//   BM_RunQueuePushPopPair/kind:<k>
//       one thread: each iteration pushes one cell and pops one, with a
//       standing depth of kDepth cells so the pop is not the empty-queue
//       case. Checks FIFO order on every pop.
//   BM_RunQueuePushPop/kind:<k>/producers:<n>/consumers:1
//       n producer threads push cells; the benchmark thread pops them (one
//       iteration per cell popped). Checks each producer's sequence numbers
//       on every pop, and that nothing is lost or left over.
//
// Threads: as in bm_mailbox.cpp, producers are raw std::jthreads (roles
// 1..n) and the benchmark thread is the one consumer (role 0); ->Threads(n)
// does not fit a fixed producers-to-consumer split. Each thread passes its
// own Handle, as workers do. Real time throughout.
//
// A cell may be in one queue once (the spinlist links through it), so each
// producer owns kWindow cells and reuses cell s % kWindow for its item s only
// after the FlowWindow shows item s - kWindow popped (the consumer publishes
// with release after it last touched the cell).
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench/micro/micro_support.hpp"
#include "bench/micro/mutex_deque.hpp"
#include "sched/run_queue.hpp"
#include "sched/run_queue_lockfree.hpp"
#include "sched/run_queue_spinlist.hpp"

namespace actorlab::bench::micro {
namespace {

// Stands in for an actor cell: one line each, as real cells are separate
// allocations (a producer filling cell i+1 does not false-share with the
// consumer reading cell i).
struct alignas(core::kCacheLine) BenchCell {
  actorlab::sched::SpinListLink sched_;  // the spinlist's link
  uint32_t producer = 0;
  uint64_t seq = 0;
};
static_assert(sizeof(BenchCell) == core::kCacheLine);

static_assert(sched::RunQueue<sched::LockfreeRunQueue<BenchCell>, BenchCell>);
static_assert(sched::RunQueue<sched::SpinListRunQueue<BenchCell>, BenchCell>);
static_assert(sched::RunQueue<MutexDequeRunQueue<BenchCell>, BenchCell>);

// Cells queued ahead in the single-thread pair benchmark. Guessed: a few
// runnable actors per worker.
constexpr uint64_t kDepth = 16;

template <class Q>
void push_pop_pair(benchmark::State& state, const MicroOptions& options) {
  if (!options.pin_role(0)) return state.SkipWithError("could not pin (--pin)");
  auto queue = std::make_unique<Q>();
  auto handle = queue->make_handle();
  std::vector<BenchCell> cells(kDepth + 1);
  for (uint64_t i = 0; i < kDepth; ++i) {
    cells[i].seq = i;
    queue->push(&handle, &cells[i]);
  }
  uint64_t k = 0;  // the oldest queued sequence number
  for (auto _ : state) {
    BenchCell* in = &cells[(k + kDepth) % (kDepth + 1)];  // the cell popped last iteration
    in->seq = k + kDepth;
    queue->push(&handle, in);
    BenchCell* out = nullptr;
    if (!queue->try_pop(&handle, out) || out->seq != k) {
      state.SkipWithError("pop missed or out of FIFO order on one thread");
      break;
    }
    ++k;
  }
  BenchCell* out = nullptr;
  for (uint64_t i = 0; i < kDepth && !state.error_occurred(); ++i)
    if (!queue->try_pop(&handle, out) || out->seq != k + i) state.SkipWithError("queued cells lost at the end");
  if (!state.error_occurred() && queue->try_pop(&handle, out)) state.SkipWithError("extra cell at the end");
  state.SetItemsProcessed(state.iterations());
}

template <class Q>
class MpscRun {
 public:
  MpscRun(const MicroOptions& options, int producers)
      : options_(options), producers_(producers), window_(producers),
        pools_(static_cast<std::size_t>(producers), std::vector<BenchCell>(kWindow)),
        expected_(static_cast<std::size_t>(producers), 0) {}

  void run(benchmark::State& state) {
    if (!options_.pin_role(0)) return state.SkipWithError("could not pin the consumer (--pin)");
    const auto total = static_cast<uint64_t>(state.max_iterations);
    auto consumer_handle = queue_.make_handle();
    std::vector<std::jthread> threads;
    for (int p = 0; p < producers_; ++p)
      threads.emplace_back([this, p, total, h = queue_.make_handle()]() mutable {
        produce(p, share_of(total, producers_, p), h);
      });

    go_.store(true, std::memory_order_release);  // release: pairs with wait_for_gate()
    for (auto _ : state) {
      BenchCell* cell = nullptr;
      if (!receive(consumer_handle, cell) || !check(cell)) break;
    }
    abort_.store(true, std::memory_order_relaxed);  // only a stop request
    for (auto& t : threads) t.join();
    if (error_ == nullptr) final_checks(total, consumer_handle);
    if (error_ != nullptr) return state.SkipWithError(error_);
    state.SetItemsProcessed(state.iterations());
  }

 private:
  using Handle = typename Q::Handle;

  void produce(int p, uint64_t count, Handle& handle) {
    if (!options_.pin_role(p + 1)) pin_failed_.store(true, std::memory_order_relaxed);
    std::vector<BenchCell>& pool = pools_[static_cast<std::size_t>(p)];
    wait_for_gate(go_);
    uint64_t cached = 0;
    for (uint64_t s = 0; s < count; ++s) {
      if (!window_.wait_for_room(p, s, cached, abort_)) break;  // also: cell s % kWindow is free
      BenchCell& cell = pool[s % kWindow];
      cell.producer = static_cast<uint32_t>(p);
      cell.seq = s;
      queue_.push(&handle, &cell);
    }
    window_.finish(p);
  }

  // Consumer: read before a pop; true when nothing can arrive any more.
  bool finished() const noexcept { return window_.nothing_more_coming(expected_); }

  bool receive(Handle& handle, BenchCell*& out) {
    Backoff backoff;
    for (;;) {
      const bool none_coming = finished();  // read before the pop, so a miss after it is real
      if (queue_.try_pop(&handle, out)) return true;
      window_.publish_all(expected_);
      // When none can come, size_approx() is exact; a failed pop alone is not
      // proof (moodycamel's try_dequeue may miss an item), so ask both.
      if (none_coming && !queue_.maybe_nonempty()) return fail("lost: no producer can send more, queue empty, consumer short");
      backoff.pause();
    }
  }

  bool check(const BenchCell* cell) {
    if (cell->producer >= static_cast<uint32_t>(producers_)) return fail("cell from an unknown producer");
    uint64_t& next = expected_[cell->producer];
    if (cell->seq != next) return fail("per-producer sequence broken (loss, duplicate or reorder)");
    if (++next % kPublishEvery == 0) window_.publish(static_cast<int>(cell->producer), next);
    return true;
  }

  void final_checks(uint64_t total, Handle& handle) {
    if (pin_failed_.load(std::memory_order_relaxed)) return void(fail("could not pin a producer (--pin)"));
    for (int p = 0; p < producers_; ++p)
      if (expected_[static_cast<std::size_t>(p)] != share_of(total, producers_, p))
        return void(fail("a producer's cells are missing"));
    BenchCell* extra = nullptr;
    if (queue_.try_pop(&handle, extra)) return void(fail("cell left after all were counted (duplicate)"));
  }

  bool fail(const char* why) {
    if (error_ == nullptr) error_ = why;
    return false;
  }

  const MicroOptions& options_;
  const int producers_;
  FlowWindow window_;
  // Producer p's cells. Declared before queue_, so they outlive it.
  std::vector<std::vector<BenchCell>> pools_;
  Q queue_;
  std::atomic<bool> go_{false}, abort_{false}, pin_failed_{false};
  // Consumer only:
  std::vector<uint64_t> expected_;
  const char* error_ = nullptr;
};

template <class Q>
void register_kind(const MicroOptions& options) {
  const std::string kind = std::string("/kind:") + Q::kName;
  benchmark::RegisterBenchmark(("BM_RunQueuePushPopPair" + kind).c_str(),
                               [&options](benchmark::State& state) { push_pop_pair<Q>(state, options); })
      ->UseRealTime();
  for (const int producers : {1, 4}) {
    const std::string name =
        "BM_RunQueuePushPop" + kind + "/producers:" + std::to_string(producers) + "/consumers:1";
    benchmark::RegisterBenchmark(name.c_str(), [&options, producers](benchmark::State& state) {
      auto run = std::make_unique<MpscRun<Q>>(options, producers);
      run->run(state);
    })->UseRealTime();
  }
}

}  // namespace

void register_run_queue_benchmarks(const MicroOptions& options) {
  register_kind<sched::LockfreeRunQueue<BenchCell>>(options);
  register_kind<sched::SpinListRunQueue<BenchCell>>(options);
  register_kind<MutexDequeRunQueue<BenchCell>>(options);
}

}  // namespace actorlab::bench::micro
