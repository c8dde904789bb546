// config.cpp: parsing and validation of the core knobs.
// The knob table (sched/knobs.cpp) is where users' values are checked (every
// knob's range and choices, with the message naming the flag); validate()
// here is the core's own guard for code that builds a Config directly (tests,
// examples), no stricter than the table (tests/bench/knob_table_test.cpp
// checks that the table's whole range passes it). to_json() lists every
// field; the same test checks each knob reaches it with its effective value.
#include "core/config.hpp"

#include <fmt/format.h>

#include <charconv>

#include "core/affinity.hpp"

namespace actorlab::core {

uint64_t parse_unsigned(std::string_view text, uint64_t min, uint64_t max, std::string_view what) {
  uint64_t value = 0;
  const char* first = text.data();
  const char* last = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(first, last, value);
  if (text.empty() || ec == std::errc::invalid_argument || ptr != last)
    throw ConfigError(fmt::format("{}: '{}' is not a whole number", what, text));
  if (ec == std::errc::result_out_of_range || value < min || value > max)
    throw ConfigError(fmt::format("{}: {} is out of range [{}, {}]", what, text, min, max));
  return value;
}

BatchKnob BatchKnob::parse(std::string_view text) {
  if (text == "weights") return {Kind::kWeights, 1};
  if (text == "all") return {Kind::kAll, 1};
  try {
    return {Kind::kFixed, static_cast<uint32_t>(parse_unsigned(text, 1, 1u << 30, "batch"))};
  } catch (const ConfigError&) {
    throw ConfigError(
        fmt::format("batch: '{}' is not valid; use weights (skynet's table), all, or a number >= 1",
                    text));
  }
}

std::string BatchKnob::to_string() const {
  switch (kind) {
    case Kind::kWeights: return "weights";
    case Kind::kAll: return "all";
    case Kind::kFixed: return std::to_string(n);
  }
  return "?";
}

MailboxKind parse_mailbox_kind(std::string_view name) {
  if (name == "lockfree") return MailboxKind::kLockfree;
  if (name == "spinring") return MailboxKind::kSpinRing;
  if (name == "segmented") return MailboxKind::kSegmented;
  throw ConfigError(fmt::format("mailbox: unknown kind '{}'; valid: lockfree, spinring, segmented", name));
}

const char* to_string(MailboxKind kind) noexcept {
  switch (kind) {
    case MailboxKind::kLockfree: return "lockfree";
    case MailboxKind::kSpinRing: return "spinring";
    case MailboxKind::kSegmented: return "segmented";
  }
  return "?";
}

void Config::validate() const {
  if (threads < 1 || threads > kMaxThreads)
    throw ConfigError(fmt::format("threads: {} is out of range [1, {}]", threads, kMaxThreads));
  if (max_actors < 1 || max_actors > ActorId::kMaxIndex + 1)
    throw ConfigError(fmt::format("max-actors: {} is out of range [1, {}]", max_actors,
                                  ActorId::kMaxIndex + 1));
  if (batch.kind == BatchKnob::Kind::kFixed && batch.n == 0)
    throw ConfigError("batch: must be at least 1");
  if (timer_tick_ns < 1000 || timer_tick_ns > 1'000'000'000)
    throw ConfigError(fmt::format("timer-tick: {} ns is out of range [1000, 1000000000]", timer_tick_ns));
  if (backend != "epoll" && backend != "uring")
    throw ConfigError(fmt::format("backend: unknown '{}'; valid: epoll, uring", backend));
  if (net != "auto" && net != "thread" && net != "worker")
    throw ConfigError(fmt::format("net: unknown '{}'; valid: auto, thread, worker", net));
  (void)resolve_pin(pin, threads);  // throws for a bad list
}

nlohmann::json Config::to_json() const {
  return {
      {"threads", threads},
      {"policy", policy},
      {"mailbox", to_string(mailbox)},
      {"mailbox_limit", mailbox_limit},
      {"runqueue", runqueue},
      {"batch", batch.to_string()},
      {"spin", spin},
      {"grace_ns", grace_ns},
      {"pin", pin},
      {"max_actors", max_actors},
      {"timer_tick_ns", timer_tick_ns},
      {"backend", backend},
      {"net", net},
      {"placement", placement},
      {"home", home},
      {"lifo", lifo},
      {"lifo_backoff_ns", lifo_backoff_ns},
      {"local_push", local_push},
      {"steal", steal},
      {"steal_patience_ns", steal_patience_ns},
      {"idle", idle},
      {"max_connections", max_connections},
      {"send_limit", send_limit},
      {"send_budget", send_budget},
      {"read_budget", read_budget},
      {"send_timeout_ns", send_timeout_ns},
      {"idle_timeout_ns", idle_timeout_ns},
      {"header_timeout_ns", header_timeout_ns},
      {"event_interval", event_interval},
      {"search_polls", search_polls},
      {"direct_writes", direct_writes},
      {"send_gather", send_gather},
      {"uring_sqpoll", uring_sqpoll},
      {"uring_buffers", uring_buffers},
      {"uring_buffer_size", uring_buffer_size},
      {"zero_copy_reads", zero_copy_reads},
  };
}

}  // namespace actorlab::core
