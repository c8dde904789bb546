// run_queue.hpp: the RunQueue concept: where runnable actor cells wait for a
// worker. Kinds: LockfreeRunQueue (moodycamel ConcurrentQueue) and
// SpinListRunQueue (skynet's spinlocked intrusive list, the baseline).
//
// Every method is thread-safe. A worker passes its Handle (per-thread state,
// e.g. moodycamel tokens); other threads pass nullptr. A cell is pushed only
// by the thread that made it runnable, and is in at most one queue
// (invariant 4 is kept by the mailbox's activation bit, not by the queue).
// try_pop() (and try_pop_bulk(), up to N at once) may fail while a push is
// in flight (moodycamel is not linearizable): never conclude "empty" from
// one failed pop; see maybe_nonempty() and the park protocol in
// sched/idle.hpp.
// A kind that links cells intrusively names the per-cell state it needs
// through RunQueueCellState (the placement puts it in every cell's sched_
// member, core/actor_cell.hpp); the others need none.
#pragma once

#include <concepts>
#include <cstddef>
#include <string_view>

namespace actorlab::sched {

struct NoCellState {};

// The per-cell state run-queue kind Q needs in every cell.
template <template <class> class Q>
struct RunQueueCellState {
  using type = NoCellState;
};

// Several parts' per-cell states in one (empty ones take no room).
template <class... States>
struct CellStateOf : States... {};

template <class Q, class Cell>
concept RunQueue = requires(Q q, typename Q::Handle& h, Cell* c, Cell*& out) {
  typename Q::Handle;
  { q.make_handle() } -> std::same_as<typename Q::Handle>;
  { q.push(&h, c) } noexcept;
  { q.try_pop(&h, out) } noexcept -> std::same_as<bool>;
  { q.try_pop_bulk(&h, &out, std::size_t{1}) } noexcept -> std::same_as<std::size_t>;
  { q.maybe_nonempty() } noexcept -> std::same_as<bool>;
  { Q::kName } -> std::convertible_to<std::string_view>;
};

}  // namespace actorlab::sched
