// knobs.cpp: the knob table (see knobs.hpp). Order matters: it is the order
// in which explicit knobs join a result name, and the first eleven keep the
// order today's names were built in (so committed result sets still match
// by name in scripts/compare).
// Ranges that were guessed say so; a range that protects a resource (sizes,
// timeouts) is the server's policy and is documented in the README's Knobs.
#include "sched/knobs.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include "core/affinity.hpp"
#include "core/alloc.hpp"
#include "sched/select.hpp"

namespace actorlab::sched {
namespace {

using core::Config;
using core::ConfigError;

std::vector<std::string> names(const std::vector<Named>& list) {
  std::vector<std::string> out;
  for (const auto& n : list) out.push_back(n.name);
  return out;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::string allowed_of(const Knob& k) {
  switch (k.kind) {
    case KnobKind::kChoice: return "one of " + join(k.choices);
    case KnobKind::kCount: return fmt::format("a whole number in [{}, {}]", k.min, k.max);
    case KnobKind::kNanos: return fmt::format("nanoseconds, a whole number in [{}, {}]", k.min, k.max);
    case KnobKind::kSeconds:
      return fmt::format("seconds in [{}, {}], 0 = none", seconds_text(k.min), seconds_text(k.max));
    case KnobKind::kBool: return "true or false";
    case KnobKind::kText: break;
  }
  return "";
}

[[noreturn]] void bad(const Knob& k, std::string_view value, std::string_view why, const std::string& allowed) {
  throw ConfigError(fmt::format("{}: '{}' {}; valid: {}", k.name, value, why, allowed));
}

Knob make(std::string name, std::string json, KnobKind kind, KnobScope scope, std::string help, std::string applies,
          std::vector<std::string> choices = {}, uint64_t min = 0, uint64_t max = 0) {
  Knob k;
  k.name = std::move(name);
  k.json_key = std::move(json);
  k.kind = kind;
  k.scope = scope;
  k.help = std::move(help);
  k.applies_to = std::move(applies);
  k.choices = std::move(choices);
  k.min = min;
  k.max = max;
  return k;
}

uint64_t parse_whole(const Knob& k, std::string_view text, const std::string& allowed) {
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc::invalid_argument || ptr != text.data() + text.size()) bad(k, text, "is not a whole number", allowed);
  if (ec == std::errc::result_out_of_range || v < k.min || v > k.max) bad(k, text, "is out of range", allowed);
  return v;
}

// A member of Config that is a whole number (count or ns).
template <typename T>
Knob number(std::string name, std::string json, KnobScope scope, KnobKind kind, uint64_t min, uint64_t max,
            T Config::*field, std::string help, std::string applies) {
  Knob k = make(std::move(name), std::move(json), kind, scope, std::move(help), std::move(applies), {}, min, max);
  k.set = [k, field](Config& c, std::string_view v) { c.*field = static_cast<T>(parse_whole(k, v, allowed_of(k))); };
  k.get = [field](const Config& c) { return std::to_string(c.*field); };
  return k;
}

// A duration: seconds on the command line, ns in Config.
Knob seconds(std::string name, std::string json, uint64_t max_ns, uint64_t Config::*field, std::string help,
             std::string applies) {
  Knob k = make(std::move(name), std::move(json), KnobKind::kSeconds, KnobScope::kNet, std::move(help),
                std::move(applies), {}, 0, max_ns);
  k.set = [k, field](Config& c, std::string_view v) {
    double s = 0;
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), s);
    if (ec == std::errc::invalid_argument || ptr != v.data() + v.size()) bad(k, v, "is not a number", allowed_of(k));
    if (!std::isfinite(s) || s < 0 || s * 1e9 > static_cast<double>(k.max))
      bad(k, v, "is out of range", allowed_of(k));
    c.*field = static_cast<uint64_t>(std::llround(s * 1e9));
  };
  k.get = [field](const Config& c) { return seconds_text(c.*field); };
  return k;
}

// A string member of Config that takes one of `choices`.
Knob choice(std::string name, KnobScope scope, std::vector<std::string> choices, std::string Config::*field,
            std::string help, std::string applies) {
  std::string json = name;
  for (auto& ch : json) ch = ch == '-' ? '_' : ch;
  Knob k = make(std::move(name), std::move(json), KnobKind::kChoice, scope, std::move(help), std::move(applies),
                std::move(choices));
  k.set = [k, field](Config& c, std::string_view v) {
    for (const auto& ch : k.choices)
      if (ch == v) {
        c.*field = ch;
        return;
      }
    bad(k, v, "is not valid", allowed_of(k));
  };
  k.get = [field](const Config& c) { return c.*field; };
  return k;
}

std::vector<Knob> build_table() {
  using S = KnobScope;
  using K = KnobKind;
  std::vector<Knob> t;

  std::vector<std::string> policy_names;
  for (const auto& p : preset_table()) policy_names.push_back(p.name);
  for (const auto& p : policies())
    if (std::find(policy_names.begin(), policy_names.end(), p.name) == policy_names.end())
      policy_names.push_back(p.name);
  t.push_back(choice("policy", S::kRuntime, policy_names, &Config::policy,
                     "preset (a named composition of parts, `actorlab list`); comma-separated: one configuration each",
                     "every configuration: the knobs given with it change the preset's parts"));
  t.back().list = true;
  t.push_back(number("threads", "threads", S::kRuntime, K::kCount, 1, Config::kMaxThreads, &Config::threads,
                     "worker threads; comma-separated: one configuration each", "every configuration"));
  t.back().list = true;
  {
    Knob k = make("mailbox", "mailbox", K::kChoice, S::kRuntime, "per-actor mailbox kind (overrides the preset)",
                  "every placement", names(mailbox_kinds()));
    k.set = [](Config& c, std::string_view v) { c.mailbox = core::parse_mailbox_kind(v); };
    k.get = [](const Config& c) { return std::string(core::to_string(c.mailbox)); };
    t.push_back(std::move(k));
  }
  t.push_back(number("mailbox-limit", "mailbox_limit", S::kRuntime, K::kCount, 0, uint64_t{1} << 30,
                     &Config::mailbox_limit,
                     "messages a receiver may hold before an actor's send to it returns full (0: unbounded)",
                     "sends between actors (outside senders and runtime messages are never refused)"));
  t.push_back(choice("runqueue", S::kRuntime, names(run_queue_kinds()), &Config::runqueue,
                     "kind of the shared run queue (overrides the preset)",
                     "the global queue (placement=global) and the injection queue (placement=local)"));
  {
    Knob k = make("batch", "batch", K::kText, S::kRuntime,
                  "messages per turn: weights (skynet's table by worker index), all, or N", "every placement");
    k.set = [](Config& c, std::string_view v) { c.batch = core::BatchKnob::parse(v); };
    k.get = [](const Config& c) { return c.batch.to_string(); };
    t.push_back(std::move(k));
  }
  t.push_back(number("grace", "grace_ns", S::kRuntime, K::kNanos, 0, UINT32_MAX, &Config::grace_ns,
                     "ns a searching worker leaves a lone queued actor to the worker that queued it",
                     "idle workers searching a shared queue"));
  {
    Knob k = make("pin", "pin", K::kText, S::kRuntime, "bind workers to CPUs: none, cores, or a LIST of CPUs (0,1)",
                  "every placement");
    k.set = [](Config& c, std::string_view v) {
      try {
        (void)core::resolve_pin(v, 1);  // syntax and CPUs that exist; the thread count is checked with the rest
      } catch (const ConfigError& e) {
        throw ConfigError(fmt::format("{}; valid: none, cores, or a comma-separated list of CPU numbers", e.what()));
      }
      c.pin = std::string(v);
    };
    k.get = [](const Config& c) { return c.pin; };
    t.push_back(std::move(k));
  }
  t.push_back(choice("backend", S::kNet, {"epoll", "uring"}, &Config::backend, "network backend",
                     "net workloads and the echo/http services"));
  t.push_back(choice("net", S::kNet, {"auto", "thread", "worker"}, &Config::net,
                     "who drives the backend: thread (skynet's net thread) or worker (an idle worker polls it); "
                     "auto: worker, or thread under idle=spin",
                     "net workloads and the echo/http services"));
  t.push_back(number("timer-tick", "timer_tick_ns", S::kRuntime, K::kNanos, 1000, 1'000'000'000,
                     &Config::timer_tick_ns, "timer wheel tick in ns (a timeout fires up to one tick late)",
                     "the timer thread"));
  t.push_back(number("spin", "spin", S::kRuntime, K::kCount, 0, UINT32_MAX, &Config::spin,
                     "empty polls before an idle worker parks", "idle=spin-then-park"));
  t.push_back(number("max-actors", "max_actors", S::kRuntime, K::kCount, 1, core::ActorId::kMaxIndex + 1,
                     &Config::max_actors, "registry capacity (live actors at once)", "every configuration"));

  // Scheduling parts (DESIGN "Policies are compositions of parts").
  t.push_back(choice("placement", S::kRuntime, names(placement_choices()), &Config::placement,
                     "where a newly runnable actor goes", "every configuration (part)"));
  t.push_back(choice("home", S::kRuntime, names(home_choices()), &Config::home,
                     "which worker is an actor's home", "placement=home"));
  t.push_back(choice("lifo", S::kRuntime, names(lifo_choices()), &Config::lifo,
                     "slot for the actor just messaged: runs next on this worker", "every placement (part)"));
  // Guessed upper bound: a back-off past 1 ms would make the slot a queue no one else empties.
  t.push_back(number("lifo-backoff", "lifo_backoff_ns", S::kRuntime, K::kNanos, 0, 1'000'000, &Config::lifo_backoff_ns,
                     "ns a thief waits before taking a LIFO slot (Go: ~3 us)", "lifo=stealable"));
  t.push_back(number("steal-patience", "steal_patience_ns", S::kRuntime, K::kNanos, 0, 1'000'000,
                     &Config::steal_patience_ns,
                     "ns a thief leaves a victim's queue alone while the victim keeps popping it (0: steal at once; "
                     "the look before parking steals at once)",
                     "steal=one|half"));
  t.push_back(choice("local-push", S::kRuntime, names(local_push_choices()), &Config::local_push,
                     "where a newly runnable actor enters its worker's queue: back (FIFO) or front (run next)",
                     "placement=local"));
  t.push_back(choice("steal", S::kRuntime, names(steal_choices()), &Config::steal,
                     "what an idle worker takes from a victim", "placements with per-worker queues (local, home)"));
  t.push_back(choice("idle", S::kRuntime, names(idle_choices()), &Config::idle,
                     "how an idle worker waits", "every placement (part); --spin for spin-then-park"));

  // Network service: the server's limits (io/).
  // Ranges as io::validate_net checks them (io/net.cpp): the table is what
  // users see, validate_net the guard for a hand-built Config.
  constexpr uint64_t kMinBytes = 4096, kMaxBytes = uint64_t{1} << 39;
  t.push_back(number("max-connections", "max_connections", S::kNet, K::kCount, 2, (1u << 20) - 1,
                     &Config::max_connections, "socket table size, listeners included", "the io layer"));
  t.push_back(number("send-limit", "send_limit", S::kNet, K::kCount, kMinBytes, kMaxBytes, &Config::send_limit,
                     "per socket: bytes queued unsent before writes are refused", "every socket"));
  t.push_back(number("send-budget", "send_budget", S::kNet, K::kCount, kMinBytes, kMaxBytes, &Config::send_budget,
                     "all sockets together: bytes queued unsent", "every socket"));
  t.push_back(number("read-budget", "read_budget", S::kNet, K::kCount, kMinBytes, kMaxBytes, &Config::read_budget,
                     "per socket: bytes read and not yet consumed by the owner before reading stops",
                     "every socket (read backpressure)"));
  constexpr uint64_t kDay = 86'400'000'000'000;
  t.push_back(seconds("send-timeout", "send_timeout_ns", kDay, &Config::send_timeout_ns,
                      "seconds a closing socket may flush, and a blocked write may wait", "every socket"));
  t.push_back(seconds("idle-timeout", "idle_timeout_ns", kDay, &Config::idle_timeout_ns,
                      "seconds without traffic before a service closes a connection", "the echo and http services"));
  t.push_back(seconds("header-timeout", "header_timeout_ns", kDay, &Config::header_timeout_ns,
                      "seconds a request head may stay incomplete", "the http service"));
  t.push_back(number("event-interval", "event_interval", S::kNet, K::kCount, 1, 1'000'000, &Config::event_interval,
                     "a busy worker polls the backend every N turns", "net=worker"));
  t.push_back(number("search-polls", "search_polls", S::kNet, K::kCount, 0, 32, &Config::search_polls,
                     "an idle worker's non-blocking backend polls while it spins (after 64 spin polls, then at "
                     "each doubling; 0: it sees events only once it parks in the backend)",
                     "net=worker or auto, idle=spin-then-park"));
  t.push_back(choice("direct-writes", S::kNet, {"auto", "on", "off"}, &Config::direct_writes,
                     "a worker writes to a socket itself when its queue is empty (auto: the backend's preference)",
                     "both backends"));
  t.push_back(number("send-gather", "send_gather", S::kNet, K::kCount, 1, 1024, &Config::send_gather,
                     "queued frames of a socket written by one sendmsg (1: one frame per send)",
                     "backend=epoll"));
  {
    Knob k = make("uring-sqpoll", "uring_sqpoll", K::kBool, S::kNet, "kernel thread polls the submission queue (SQPOLL)",
                  "backend=uring");
    k.set = [k](Config& c, std::string_view v) {
      if (v != "true" && v != "false") bad(k, v, "is not valid", allowed_of(k));
      c.uring_sqpoll = v == "true";
    };
    k.get = [](const Config& c) { return std::string(c.uring_sqpoll ? "true" : "false"); };
    t.push_back(std::move(k));
  }
  {
    Knob k = number("uring-buffers", "uring_buffers", S::kNet, K::kCount, 1, 32768, &Config::uring_buffers,
                    "provided-buffer ring entries", "backend=uring");
    auto inner = k.set;
    k.set = [k, inner](Config& c, std::string_view v) {
      inner(c, v);
      if ((c.uring_buffers & (c.uring_buffers - 1)) != 0)
        bad(k, v, "is not a power of two", "a power of two in [1, 32768]");
    };
    k.kind = K::kText;  // allowed_text: the power-of-two rule, not just the range
    t.push_back(std::move(k));
  }
  t.push_back(number("uring-buffer-size", "uring_buffer_size", S::kNet, K::kCount, 512, 1u << 20,
                     &Config::uring_buffer_size, "bytes per provided buffer", "backend=uring"));
  t.push_back(number("zero-copy-reads", "zero_copy_reads", S::kNet, K::kCount, 0, 1u << 20, &Config::zero_copy_reads,
                     "reads of at least N bytes become messages that keep their provided buffer, no copy "
                     "(0: copy every read)",
                     "backend=uring"));

  // Process-wide: one value per run, never in a name (the context has actorlab_allocator).
  {
    Knob k = make("alloc", "", K::kChoice, S::kProcess,
                  "allocator for messages and nodes, for the whole run (system: glibc malloc)", "the whole process",
                  {"mimalloc", "system"});
    k.set = [k](Config&, std::string_view v) {
      if (v != "mimalloc" && v != "system") bad(k, v, "is not valid", allowed_of(k) + " (one per run)");
    };
    k.get = [](const Config&) { return std::string(core::to_string(core::current_allocator())); };
    t.push_back(std::move(k));
  }
  return t;
}

}  // namespace

std::string seconds_text(uint64_t ns) {
  if (ns % 1'000'000'000 == 0) return std::to_string(ns / 1'000'000'000);
  return fmt::format("{}", static_cast<double>(ns) / 1e9);
}

const std::vector<Knob>& knobs() {
  static const std::vector<Knob> table = build_table();
  return table;
}

const Knob* find_knob(std::string_view name) {
  for (const auto& k : knobs())
    if (k.name == name) return &k;
  return nullptr;
}

std::string allowed_text(const Knob& knob) {
  if (knob.name == "batch") return "weights, all, or a whole number >= 1";
  if (knob.name == "pin") return "none, cores, or a comma-separated list of CPU numbers";
  if (knob.name == "uring-buffers") return "a power of two in [1, 32768]";
  return allowed_of(knob);
}

std::string default_text(const Knob& knob) { return knob.get(Config{}); }

std::string knob_names(bool include_process) {
  std::string out;
  for (const auto& k : knobs())
    if (include_process || k.scope != KnobScope::kProcess) out += (out.empty() ? "" : ", ") + k.name;
  return out;
}

void set_knob(Config& config, std::string_view name, std::string_view value) {
  const Knob* k = find_knob(name);
  if (k == nullptr) throw ConfigError(fmt::format("unknown knob '{}'; valid: {}", name, knob_names()));
  if (value.empty()) throw ConfigError(fmt::format("{}: empty value; valid: {}", name, allowed_text(*k)));
  k->set(config, value);
}

void apply_policy(Config& config, std::string_view policy) {
  set_knob(config, "policy", policy);
  for (const auto& p : preset_table()) {
    if (p.name != policy) continue;
    for (const auto& [knob, value] : p.knobs) set_knob(config, knob, value);
  }
  if (!apply_preset(policy, config)) config.policy = std::string(policy);
}

void validate_knobs(const Config& config) {
  for (const auto& k : knobs()) {
    if (k.json_key.empty()) continue;
    Config scratch = config;
    k.set(scratch, k.get(config));
  }
  sched::validate(config);  // core's ranges and the combinations
}

}  // namespace actorlab::sched
