// bm_mailbox.cpp: BM_MailboxPushPop/kind:<k>/producers:<n>: message throughput
// of one mailbox, n producers and one consumer, for the lockfree, spinring,
// segmented and mutex_deque kinds.
//
// Threads: the benchmark thread is the consumer (role 0); the producers are
// raw std::jthreads spawned in the body (roles 1..n), not ->Threads(n),
// because a mailbox has exactly one consumer and the consumer must keep
// popping until every producer's share is in, which Threads(n)'s identical
// bodies cannot express. One iteration is one message popped; the producers
// push max_iterations messages between them, so items_per_second counts
// messages through the mailbox. Real time, as the work is on several threads.
//
// The consumer follows the runtime's activation protocol (invariant 4): it
// pops until empty, then try_set_idle(); once idle it waits until the one
// push that returned was_idle hands it back (a counter bump by that
// producer). So a consumer that catches up pays what a worker pays.
//
// Checks (any failure is SkipWithError): every message carries its producer
// and a per-producer sequence number, which must arrive in order (FIFO per
// producer, no loss, no duplicate); at the end each producer's count is
// complete and the mailbox is empty; exactly one push per idle period saw the
// mailbox idle. A lost message or activation ends the run with an error
// rather than a hang: the FlowWindow tells the consumer when no producer can
// send more (each finished, or stalled on items the consumer never got).
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench/micro/micro_support.hpp"
#include "bench/micro/mutex_deque.hpp"
#include "core/mailbox_lockfree.hpp"
#include "core/mailbox_segmented.hpp"
#include "core/mailbox_spinring.hpp"

namespace actorlab::bench::micro {
namespace {

struct Stamp {
  uint32_t producer;
  uint32_t unused;
  uint64_t seq;
};

template <class Box>
class MailboxRun {
 public:
  MailboxRun(const MicroOptions& options, int producers)
      : options_(options), producers_(producers), window_(producers),
        expected_(static_cast<std::size_t>(producers), 0) {}

  void run(benchmark::State& state) {
    if (!options_.pin_role(0)) return state.SkipWithError("could not pin the consumer (--pin)");
    const auto total = static_cast<uint64_t>(state.max_iterations);
    std::vector<std::jthread> threads;
    for (int p = 0; p < producers_; ++p)
      threads.emplace_back([this, p, total] { produce(p, share_of(total, producers_, p)); });

    core::Message msg;
    go_.store(true, std::memory_order_release);  // release: pairs with wait_for_gate()
    for (auto _ : state) {
      if (!receive(msg) || !check(msg)) break;
    }
    abort_.store(true, std::memory_order_relaxed);  // only a stop request
    for (auto& t : threads) t.join();
    if (error_ == nullptr) final_checks(total);
    if (error_ != nullptr) return state.SkipWithError(error_);
    state.SetItemsProcessed(state.iterations());
    state.counters["activations_per_msg"] =
        benchmark::Counter(static_cast<double>(seen_), benchmark::Counter::kAvgIterations);
  }

 private:
  void produce(int p, uint64_t count) {
    if (!options_.pin_role(p + 1)) pin_failed_.store(true, std::memory_order_relaxed);
    wait_for_gate(go_);
    uint64_t cached = 0;
    for (uint64_t s = 0; s < count; ++s) {
      if (!window_.wait_for_room(p, s, cached, abort_)) break;
      const Stamp stamp{static_cast<uint32_t>(p), 0, s};
      if (box_.push(core::Message::of(core::kFirstUserType, stamp)))
        // release: pairs with the acquire load in await_activation()
        activations_.value.fetch_add(1, std::memory_order_release);
    }
    window_.finish(p);
  }

  // Consumer: read before a pop; true when nothing can arrive any more.
  bool finished() const noexcept { return window_.nothing_more_coming(expected_); }

  // Consumer: one message, following the activation protocol.
  bool receive(core::Message& out) {
    Backoff backoff;
    for (;;) {
      if (!active_) {
        if (!await_activation()) return false;
        active_ = true;
      }
      const bool none_coming = finished();  // read before the pop, so a miss after it is real
      if (box_.pop(out)) return true;
      window_.publish_all(expected_);
      if (box_.try_set_idle()) {
        active_ = false;
        continue;
      }
      // Lockfree: a push is exchanged but not linked yet (segmented: a slot
      // claimed but not written, or a block not linked). Not when none can come.
      if (none_coming) return fail("mailbox neither pops nor goes idle when no push can be in flight");
      backoff.pause();
    }
  }

  bool await_activation() {
    Backoff backoff;
    for (;;) {
      const bool none_coming = finished();  // first: then the count below is final
      const uint64_t a = activations_.value.load(std::memory_order_acquire);
      if (a == seen_ + 1) {
        seen_ = a;
        return true;
      }
      if (a > seen_ + 1) return fail("two pushes saw the same idle period");
      if (none_coming) return fail("lost: no producer can send more, mailbox idle, consumer still short");
      backoff.pause();
    }
  }

  bool check(const core::Message& msg) {
    const auto stamp = msg.as<Stamp>();
    if (stamp.producer >= static_cast<uint32_t>(producers_)) return fail("message from an unknown producer");
    uint64_t& next = expected_[stamp.producer];
    if (stamp.seq != next) return fail("per-producer sequence broken (loss, duplicate or reorder)");
    if (++next % kPublishEvery == 0) window_.publish(static_cast<int>(stamp.producer), next);
    return true;
  }

  void final_checks(uint64_t total) {
    if (pin_failed_.load(std::memory_order_relaxed)) return void(fail("could not pin a producer (--pin)"));
    for (int p = 0; p < producers_; ++p)
      if (expected_[static_cast<std::size_t>(p)] != share_of(total, producers_, p))
        return void(fail("a producer's messages are missing"));
    core::Message extra;
    if (box_.pop(extra)) return void(fail("message left after all were counted (duplicate)"));
    if (activations_.value.load(std::memory_order_acquire) != seen_)
      return void(fail("a push saw the mailbox idle while the consumer was active"));
  }

  bool fail(const char* why) {
    if (error_ == nullptr) error_ = why;
    return false;
  }

  const MicroOptions& options_;
  const int producers_;
  Box box_;
  FlowWindow window_;
  std::atomic<bool> go_{false}, abort_{false}, pin_failed_{false};
  PaddedCount activations_;  // pushes that returned was_idle
  // Consumer only:
  std::vector<uint64_t> expected_;
  uint64_t seen_ = 0;   // activations the consumer has taken
  bool active_ = false;  // a new mailbox starts idle
  const char* error_ = nullptr;
};

template <class Box>
void register_kind(const MicroOptions& options) {
  for (const int producers : {1, 4}) {
    const std::string name = std::string("BM_MailboxPushPop/kind:") + Box::kName +
                             "/producers:" + std::to_string(producers);
    benchmark::RegisterBenchmark(name.c_str(), [&options, producers](benchmark::State& state) {
      // On the heap: the lockfree mailbox and the padded counters are over-aligned.
      auto run = std::make_unique<MailboxRun<Box>>(options, producers);
      run->run(state);
    })->UseRealTime();
  }
}

}  // namespace

void register_mailbox_benchmarks(const MicroOptions& options) {
  register_kind<core::LockfreeMailbox>(options);
  register_kind<core::SpinRingMailbox>(options);
  register_kind<core::SegmentedMailbox>(options);
  register_kind<MutexDequeMailbox>(options);
}

}  // namespace actorlab::bench::micro
