// batch.hpp: the batch part: how many messages an actor may run per turn
// (--batch=weights|all|N). `weights` is skynet's table (skynet_start.c):
// worker i runs `len >> weight[i % 32]` messages, where weight -1 means one
// message, 0 all queued, 1 half, 2 a quarter, 3 an eighth. Every placement
// asks this one rule once per turn (a runtime value: no template instance).
// batch_for reads the cell's queue length (size_hint) only when the answer
// depends on it: that read touches the producers' cache line.
// Threads: the worker running the cell.
#pragma once

#include <array>
#include <cstddef>

#include "core/config.hpp"

namespace actorlab::sched {

// skynet_start.c's weight table, worker i uses entry i % 32.
inline constexpr std::array<int, 32> kSkynetWeights = {
    -1, -1, -1, -1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
    2,  2,  2,  2,  2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3};

inline int skynet_weight(int worker_index) noexcept {
  return kSkynetWeights[static_cast<std::size_t>(worker_index) % kSkynetWeights.size()];
}

// Whether batch_for ever reads a queue length with this knob on `threads`
// workers: `all` does; `weights` only when some worker's weight is >= 0
// (worker 4 and up); a fixed N never. The runtime then lets mailboxes skip
// counting pushes (core/mailbox_lockfree.hpp).
inline bool batch_reads_length(const core::BatchKnob& knob, int threads) noexcept {
  switch (knob.kind) {
    case core::BatchKnob::Kind::kFixed: return false;
    case core::BatchKnob::Kind::kAll: return true;
    case core::BatchKnob::Kind::kWeights: break;
  }
  for (int i = 0; i < threads && i < static_cast<int>(kSkynetWeights.size()); ++i)
    if (skynet_weight(i) >= 0) return true;
  return false;
}

// Messages per turn for a batch knob and a worker's weight (>= 1).
template <class Cell>
inline std::size_t batch_for(const core::BatchKnob& knob, int weight, Cell& cell) noexcept {
  switch (knob.kind) {
    case core::BatchKnob::Kind::kFixed: return knob.n;
    case core::BatchKnob::Kind::kAll: {
      const std::size_t queued = cell.size_hint();
      return queued > 0 ? queued : 1;
    }
    case core::BatchKnob::Kind::kWeights: break;
  }
  if (weight < 0) return 1;
  const std::size_t n = cell.size_hint() >> weight;
  return n > 0 ? n : 1;
}

}  // namespace actorlab::sched
