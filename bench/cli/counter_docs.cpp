// counter_docs.cpp: see counter_docs.hpp.
#include "bench/cli/counter_docs.hpp"

#include <fmt/format.h>

#include "bench/net/net_services.hpp"
#include "core/counters.hpp"
#include "sched/part_counters.hpp"

namespace actorlab::bench {
namespace {

constexpr const char* kWorker = "Worker loop (per worker, summed)";
constexpr const char* kParts = "Scheduling parts (per worker, summed; 0 where the part is not in use)";
constexpr const char* kBatch = "Batch sizes (turns by messages run)";
constexpr const char* kStop = "Stop and registry";
constexpr const char* kTimers = "Timers";
constexpr const char* kNet = "Network service (with the net attached: echo, http, io tests)";

std::vector<CounterDoc> build() {
  std::vector<CounterDoc> t;
#define ACTORLAB_DOC_ROW(name, doc) t.push_back({#name, kWorker, doc});
  ACTORLAB_WORKER_COUNTERS(ACTORLAB_DOC_ROW)
#undef ACTORLAB_DOC_ROW
#define ACTORLAB_DOC_ROW(name, doc) t.push_back({#name, kParts, doc});
  ACTORLAB_PART_COUNTERS(ACTORLAB_DOC_ROW)
#undef ACTORLAB_DOC_ROW
  for (std::size_t b = 0; b < core::WorkerCounters::kBatchBuckets; ++b) {
    const std::string name = core::batch_bucket_name(b);
    std::string doc;
    if (b == 0)
      doc = "turns that ran no message (e.g. a dead actor's last turn)";
    else if (b == core::WorkerCounters::kBatchBuckets - 1)
      doc = fmt::format("turns that ran {} messages or more", std::size_t{1} << (b - 1));
    else if (b == 1)
      doc = "turns that ran 1 message";
    else
      doc = fmt::format("turns that ran {}-{} messages", std::size_t{1} << (b - 1), (std::size_t{1} << b) - 1);
    t.push_back({name, kBatch, doc});
  }
  const std::vector<std::pair<const char*, const char*>> stop = {
      {"dropped_at_stop", "messages still queued (mailboxes, run queues, inboxes) when stop() ran: released and counted"},
      {"dropped_after_stop", "sends and spawns refused because the engine had stopped"},
      {"actors_destroyed_at_stop", "actors still alive at stop, destroyed by it"},
      {"inbox_received", "messages main-thread inboxes handed to receive()"},
      {"registry_high_water", "the most registry slots ever in use at once"},
      {"registry_retired_slots", "slots lost for good (only when the free list or quarantine could not allocate)"},
      {"registry_generation_wraps", "slot generations that wrapped (the slot then sits out its quarantine)"},
      {"registry_quarantine_overrides", "spawns that had to take a slot before its quarantine ended (an id may come back early)"},
  };
  for (const auto& [n, d] : stop) t.push_back({n, kStop, d});
  const std::vector<std::pair<const char*, const char*>> timers = {
      {"timers_added", "timeouts requested (ctx.timeout)"},
      {"timers_fired", "timeouts delivered"},
      {"timers_cancelled", "timeouts cancelled before they were due"},
      {"timers_dropped", "timeouts due for an actor that had exited (not delivered)"},
      {"timers_refused", "timeout requests refused (the timer service had stopped, or no memory: the timeout is lost)"},
      {"timers_discarded_at_stop", "timeouts still pending at stop"},
      {"timers_pending", "gauge: timeouts pending when the snapshot was taken"},
      {"timer_wakeups", "times the timer thread woke to process due ticks"},
      {"timer_late_max_ns", "the most a timeout was sent after its due tick (the thread's own lateness)"},
      {"timer_late_mean_ns", "the mean of that lateness over delivered and dropped timeouts"},
  };
  for (const auto& [n, d] : timers) t.push_back({n, kTimers, d});
  const std::vector<std::pair<const char*, const char*>> net = {
      {"net_accepts", "connections accepted"},
      {"net_connects", "outgoing connections made"},
      {"net_bytes_in", "bytes read from sockets"},
      {"net_bytes_out", "bytes written to sockets"},
      {"net_direct_writes", "writes a worker made itself (the socket's queue was empty and its try-lock free)"},
      {"net_queued_writes", "writes queued to the socket for the net thread"},
      {"net_command_sends", "sends that went through the command queue to the net thread"},
      {"net_commands", "commands the net thread applied"},
      {"net_dead_sends", "sends to a closed or unknown socket (bytes dropped)"},
      {"net_dropped_bytes", "unsent bytes dropped (dead sends, sockets freed with data queued)"},
      {"net_dropped_reads", "reads discarded (a closing socket, stop, or no memory for the message)"},
      {"net_nomemory", "sends refused for want of memory (the send budget)"},
      {"net_emfile", "accepts that failed with EMFILE/ENFILE (the listener pauses)"},
      {"net_accept_errors", "accepts that failed otherwise"},
      {"net_accept_pauses", "times a listener paused after an accept error"},
      {"net_table_full", "connections refused: the socket table was full (--max-connections)"},
      {"net_resets", "connections reset by the peer"},
      {"net_errors", "other socket errors"},
      {"net_eofs", "connections the peer closed (EOF)"},
      {"net_wakeups", "times a command woke the sleeping net thread"},
      {"net_gathered_sends", "driver sends that wrote several queued frames of a socket at once (--send-gather)"},
      {"net_gathered_frames", "queued frames written by those gathered sends"},
      {"net_worker_polls",
       "--net=worker: non-blocking backend polls by a busy worker (every --event-interval turns) or a searching "
       "one (--search-polls)"},
      {"net_sockets_open", "gauge: sockets open when the snapshot was taken"},
      {"net_read_pauses", "times a socket stopped reading: its unconsumed reads reached --read-budget"},
      {"net_read_resumes", "times a paused socket resumed reading (below half the budget)"},
      {"net_read_unconsumed_bytes", "gauge: bytes read and not yet consumed by their actors"},
      {"net_send_limit_refusals", "sends refused: the socket's queue would pass --send-limit"},
      {"net_send_budget_refusals", "sends refused: all queues together would pass --send-budget"},
      {"net_send_queued_bytes", "gauge: unsent bytes queued on all sockets"},
      {"net_send_timeouts", "sockets closed: a write made no progress for --send-timeout"},
      {"net_close_timeouts", "closing sockets closed at --send-timeout with data still unsent"},
      {"net_closing_read_stops", "closing sockets whose reading stopped for good (input past the read budget)"},
      {"net_stale_ids", "operations on a socket id whose slot had moved on to a newer connection (refused)"},
      {"net_slots_retired", "socket slots retired before their generation could wrap"},
      {"net_polls", "backend polls that waited or reaped (epoll_wait, io_uring_enter)"},
      {"net_syscalls", "system calls the backend issued (approximate)"},
      {"net_events", "events or completions the backend handled"},
      {"net_enobufs", "uring: multishot recvs ended for lack of provided buffers"},
      {"net_rearms", "uring: multishot recvs re-armed"},
      {"net_setup_fallbacks", "uring: ring flags the kernel refused (the ring was set up without them)"},
      {"net_lost_reports", "epoll: deferred reports lost to out-of-memory (the slot stays busy until stop)"},
      {"net_adopted_reads", "uring: reads handed to the owner in their provided buffer, not copied (--zero-copy-reads)"},
      {"net_buffers_returned", "uring: adopted buffers back in the ring (equals net_adopted_reads once every message is released)"},
  };
  for (const auto& [n, d] : net) t.push_back({n, kNet, d});
  return t;
}

}  // namespace

const std::vector<CounterDoc>& counter_docs() {
  static const std::vector<CounterDoc> table = build();
  return table;
}

std::string counters_markdown() {
  std::string out =
      "# Runtime counters\n\n"
      "Every benchmark entry of a result set carries each counter below as a field\n"
      "`rt_NAME` (summed over workers; a gauge is its value at the end of the run),\n"
      "and `Engine::stats()` returns them by NAME. This page is generated: it is the\n"
      "output of `actorlab list counters` (bench/cli/counter_docs.cpp, which takes the\n"
      "worker and part counters from their declarations), and a test fails when it\n"
      "is out of date or when a run reports a counter it does not list.\n";
  std::string group;
  for (const auto& c : counter_docs()) {
    if (c.group != group) {
      group = c.group;
      out += fmt::format("\n## {}\n\n| counter | what it counts |\n| --- | --- |\n", group);
    }
    out += fmt::format("| `{}` | {} |\n", c.name, c.doc);
  }
  out += "\nThe echo and http services add their own counters to a result as `svc_NAME`:\n\n"
         "| counter | what it counts |\n| --- | --- |\n";
#define ACTORLAB_SVC_ROW(name, doc) out += fmt::format("| `svc_{}` | {} |\n", #name, doc);
  ACTORLAB_NET_SERVICE_COUNTERS(ACTORLAB_SVC_ROW)
#undef ACTORLAB_SVC_ROW
  return out;
}

}  // namespace actorlab::bench
