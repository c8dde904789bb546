// config.hpp: every runtime knob, in one struct, validated in one place.
//
// core/ knows the knobs it uses (threads, spin, batch, capacity, mailbox);
// policy and run-queue are names that sched/select.cpp resolves, since the
// core names no policy (DESIGN "Layers"). Exceptions are fine here: this
// runs at start-up, never in the worker loop. Not thread-safe; copied into
// the runtime at construction.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "core/actor_id.hpp"
#include "core/mailbox.hpp"

namespace actorlab::core {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// How many messages an actor may run per turn.
struct BatchKnob {
  enum class Kind { kWeights, kFixed, kAll };
  Kind kind = Kind::kWeights;  // skynet's weight table, by worker index
  uint32_t n = 1;              // kFixed only

  static BatchKnob parse(std::string_view text);  // "weights" | "all" | N >= 1
  std::string to_string() const;
};

struct Config {
  static constexpr int kMaxThreads = 256;
  // Spins (empty polls of the run queue) before an idle worker parks.
  // Guessed: about 10-50 us of polling here, below the tens of microseconds a
  // futex wake-up costs; `actorlab bench --spin` is the knob to tune it.
  static constexpr uint32_t kDefaultSpin = 1000;
  // How long a searching worker leaves a lone queued actor to the worker
  // that queued it (which usually takes it within ~100 ns, on a warm cache)
  // before taking it itself. Guessed; tune with `actorlab bench --grace`.
  static constexpr uint32_t kDefaultGraceNs = 1000;

  int threads = 2;
  // The default preset, and below its parts: steal, the one composition that
  // trails skynet-classic on no workload of the default suite (README).
  std::string policy = "steal";
  MailboxKind mailbox = MailboxKind::kLockfree;
  std::string runqueue = "lockfree";
  BatchKnob batch;
  uint32_t spin = kDefaultSpin;
  uint32_t grace_ns = kDefaultGraceNs;
  std::string pin = "none";  // none | cores | LIST (core/affinity.hpp)
  uint32_t max_actors = ActorId::kMaxIndex + 1;  // registry capacity
  // Backpressure: an actor's send to a receiver that already holds this many
  // messages returns SendStatus::kFull and leaves the message with the
  // sender. Sends to self, outside senders (Engine::send: main, net and timer threads) and
  // the runtime's own messages (start, error bounces) are never refused.
  // 0: unbounded (no count is kept, the send path is unchanged).
  uint32_t mailbox_limit = 0;
  // Timer wheel tick (skynet: 10 ms). A timeout fires on the first tick at
  // or after its deadline, so it is late by up to one tick, never early.
  uint64_t timer_tick_ns = 1'000'000;
  // Network: io backend (epoll | uring) and who drives it: `thread` is
  // skynet's dedicated net thread, `worker` lets an idle worker poll the
  // backend instead of parking; `auto` (the default) is worker, or thread
  // under idle spin, which never parks (docs/network.md: why worker).
  // Names resolved in io/, not here.
  std::string backend = "epoll";
  std::string net = "auto";

  // --- Scheduling parts (DESIGN "Policies are compositions of parts").
  // Names only: sched/ parses and checks them (sched::validate) and picks
  // the template instance; `policy` names the preset these came from.
  std::string placement = "local";       // global | local | home
  std::string home = "spawner";          // placement=home: spawner | hash (spawner: 1.5-2.6x on skynet, fanout, big; README)
  std::string lifo = "on";               // off | on | stealable
  uint64_t lifo_backoff_ns = 3000;       // lifo=stealable: a thief's wait before taking the slot (Go: ~3 us)
  std::string local_push = "back";       // placement local: where a newly runnable actor enters the worker's queue (back | front)
  std::string steal = "half";            // off | one | half (placements with per-worker queues)
  uint64_t steal_patience_ns = 0;        // steal on: a thief leaves a victim alone while its queue's head moves, up to this long
  std::string idle = "spin-then-park";   // spin | park | spin-then-park
  // Whether the part fields above already hold a whole composition. Set by
  // sched::apply_preset (the CLI, suite files and tests: a preset's
  // expansion, then their changes): make_engine takes the fields as they
  // are. False (a Config built in code): make_engine expands `policy` when
  // it names a preset, and a part field the caller moved off its default
  // here wins over the preset's value; one left at (or set to) its default
  // takes the preset's (sched/select.hpp, resolve). Not a knob: to_json
  // leaves it out.
  bool parts_expanded = false;

  // --- Network service (io/). Defaults are the server's security policy
  // (nginx-like); io/ reads them in attach_net. Durations in ns, 0 = none.
  uint32_t max_connections = 16384;          // socket table size (listeners included)
  uint64_t send_limit = 64ull << 20;         // per socket: queued unsent bytes
  uint64_t send_budget = 256ull << 20;       // all sockets together: queued unsent bytes
  uint64_t read_budget = 1ull << 20;         // per socket: read bytes not yet consumed by the owner
  uint64_t send_timeout_ns = 60'000'000'000;    // a closing socket's flush limit; a blocked write's
  uint64_t idle_timeout_ns = 75'000'000'000;    // services: no traffic for this long closes
  uint64_t header_timeout_ns = 60'000'000'000;  // http: request head incomplete for this long closes
  uint32_t event_interval = 61;              // --net=worker: a busy worker polls the backend every N turns
  uint32_t search_polls = 0;                 // --net=worker: backend polls per search of an idle worker (0: none)
  std::string direct_writes = "auto";        // auto (backend's preference) | on | off
  uint32_t send_gather = 64;                 // epoll: queued frames per send (one sendmsg); 1 = one frame per send
  bool uring_sqpoll = false;                 // IORING_SETUP_SQPOLL
  uint32_t uring_buffers = 2048;             // provided-buffer ring: power of two, <= 32768
  uint32_t uring_buffer_size = 8192;         // bytes per provided buffer, 512 .. 1 MiB
  uint32_t zero_copy_reads = 4096;           // uring: reads of >= N bytes adopt their buffer (no copy); 0 = copy all

  // Does a worker drive the io backend (net worker, or auto outside idle spin)?
  bool net_worker_driven() const noexcept { return net == "worker" || (net == "auto" && idle != "spin"); }

  // Checks the ranges of core's knobs; throws ConfigError naming the knob.
  void validate() const;
  nlohmann::json to_json() const;
};

MailboxKind parse_mailbox_kind(std::string_view name);  // throws ConfigError listing kinds
const char* to_string(MailboxKind kind) noexcept;

// Strict unsigned parse: digits only, in [min, max]; throws ConfigError
// naming `what`. (skynet's unchecked strtol is what this replaces.)
uint64_t parse_unsigned(std::string_view text, uint64_t min, uint64_t max, std::string_view what);

}  // namespace actorlab::core
