// select.cpp: name -> template instance, for policy x mailbox x run queue;
// make_engine also gives every engine its timer thread (core/timer_service.hpp)
// with the config's tick, so Context::timeout works under every policy.
#include "sched/select.hpp"

#include <fmt/format.h>

#include "core/mailbox_lockfree.hpp"
#include "core/mailbox_spinring.hpp"
#include "core/runtime.hpp"
#include "core/timer_service.hpp"
#include "sched/policy_pinned.hpp"
#include "sched/policy_skynet.hpp"
#include "sched/policy_steal.hpp"
#include "sched/run_queue_lockfree.hpp"
#include "sched/run_queue_spinlist.hpp"

namespace actorlab::sched {
namespace {

std::string names_of(const std::vector<Named>& list) {
  std::string out;
  for (const auto& n : list) out += (out.empty() ? "" : ", ") + n.name;
  return out;
}

bool contains(const std::vector<Named>& list, std::string_view name) {
  for (const auto& n : list)
    if (n.name == name) return true;
  return false;
}

template <core::Mailbox MB>
std::unique_ptr<core::RuntimeBase> make_for_mailbox(const core::Config& config) {
  if (config.policy == "steal") return std::make_unique<core::Runtime<MB, StealPolicy>>(config);
  if (config.policy == "pinned") return std::make_unique<core::Runtime<MB, PinnedPolicy>>(config);
  if (config.runqueue == "lockfree")
    return std::make_unique<core::Runtime<MB, Skynet<LockfreeRunQueue>::Policy>>(config);
  return std::make_unique<core::Runtime<MB, Skynet<SpinListRunQueue>::Policy>>(config);
}

}  // namespace

const std::vector<Named>& policies() {
  static const std::vector<Named> list = {
      {"skynet", "one global FIFO of active actors; per-turn batch from skynet's weight table"},
      {"steal", "per-worker queues, LIFO slot for the actor just messaged, steal half when idle"},
      {"pinned", "every actor bound to one worker (id hash or spawn_on); no stealing"},
  };
  return list;
}

const std::vector<Named>& presets() {
  static const std::vector<Named> list = {
      {"skynet-classic",
       "skynet with spinring mailbox and spinlist run queue: the original design, the baseline"},
  };
  return list;
}

const std::vector<Named>& run_queue_kinds() {
  static const std::vector<Named> list = {
      {"lockfree", "moodycamel ConcurrentQueue, per-worker producer tokens"},
      {"spinlist", "skynet's spinlocked intrusive list (baseline)"},
  };
  return list;
}

const std::vector<Named>& mailbox_kinds() {
  static const std::vector<Named> list = {
      {"lockfree", "intrusive Vyukov MPSC with the activation bit in its head pointer"},
      {"spinring", "skynet's spinlocked growing ring (baseline)"},
  };
  return list;
}

const std::vector<Named>& placement_choices() {
  static const std::vector<Named> list = {
      {"global", "one global FIFO of runnable actors (skynet)"},
      {"local", "the waking worker's own queue, plus an injection queue for wake-ups off the workers"},
      {"home", "the actor's home worker (--home), a private FIFO plus an inbox per worker"},
  };
  return list;
}

const std::vector<Named>& home_choices() {
  static const std::vector<Named> list = {
      {"spawner", "the worker that spawned the actor (the main thread's spawns: by slot index)"},
      {"hash", "the actor's slot index modulo the thread count"},
  };
  return list;
}

const std::vector<Named>& lifo_choices() {
  static const std::vector<Named> list = {
      {"off", "no LIFO slot: a woken actor joins the back of its queue"},
      {"on", "the actor messaged during a turn runs next on that worker; no one else may take it"},
      {"stealable", "as on, but a thief may take it on its last pass after --lifo-backoff (Go's runnext)"},
  };
  return list;
}

const std::vector<Named>& steal_choices() {
  static const std::vector<Named> list = {
      {"off", "an idle worker never takes from another worker's queue"},
      {"one", "an idle worker takes one actor from a random victim"},
      {"half", "an idle worker takes half of a random victim's queue"},
  };
  return list;
}

const std::vector<Named>& idle_choices() {
  static const std::vector<Named> list = {
      {"spin", "an idle worker polls until work comes (never parks)"},
      {"park", "an idle worker parks on its futex after one final look"},
      {"spin-then-park", "polls --spin times, then parks after a final look"},
  };
  return list;
}

const std::vector<Preset>& preset_table() {
  static const std::vector<Preset> list = {
      {"skynet", "skynet: one global FIFO, batch by the weight table",
       {{"placement", "global"}, {"lifo", "off"}, {"steal", "off"}, {"batch", "weights"},
        {"idle", "spin-then-park"}, {"mailbox", "lockfree"}, {"runqueue", "lockfree"}}},
      {"steal", "work stealing: per-worker queues, LIFO slot, steal half",
       {{"placement", "local"}, {"lifo", "on"}, {"steal", "half"}, {"batch", "weights"},
        {"idle", "spin-then-park"}, {"mailbox", "lockfree"}, {"runqueue", "lockfree"}}},
      {"pinned", "every actor on its home worker, no stealing",
       {{"placement", "home"}, {"home", "hash"}, {"lifo", "off"}, {"steal", "off"}, {"batch", "weights"},
        {"idle", "spin-then-park"}, {"mailbox", "lockfree"}, {"runqueue", "lockfree"}}},
      {"skynet-classic", "skynet with the spinlocked mailbox and run queue: the original design, the baseline",
       {{"placement", "global"}, {"lifo", "off"}, {"steal", "off"}, {"batch", "weights"},
        {"idle", "spin-then-park"}, {"mailbox", "spinring"}, {"runqueue", "spinlist"}}},
  };
  return list;
}

bool apply_preset(std::string_view name, core::Config& config) {
  if (name == "skynet-classic") {
    config.policy = "skynet";
    config.mailbox = core::MailboxKind::kSpinRing;
    config.runqueue = "spinlist";
    config.batch = core::BatchKnob{};
    return true;
  }
  return false;
}

void validate(const core::Config& config) {
  config.validate();
  if (!contains(policies(), config.policy))
    throw core::ConfigError(fmt::format("policy: unknown '{}'; valid: {} (presets: {})", config.policy,
                                        names_of(policies()), names_of(presets())));
  if (!contains(run_queue_kinds(), config.runqueue))
    throw core::ConfigError(fmt::format("runqueue: unknown kind '{}'; valid: {}", config.runqueue,
                                        names_of(run_queue_kinds())));
  if (config.policy != "skynet" && config.runqueue != "lockfree")
    throw core::ConfigError(fmt::format(
        "runqueue: '{}' cannot apply to policy {}: it keeps its own per-worker queues "
        "(the run-queue kind chooses skynet's global queue)",
        config.runqueue, config.policy));
}

std::unique_ptr<core::Engine> make_engine(const core::Config& config) {
  validate(config);
  std::unique_ptr<core::RuntimeBase> runtime =
      config.mailbox == core::MailboxKind::kLockfree ? make_for_mailbox<core::LockfreeMailbox>(config)
                                                     : make_for_mailbox<core::SpinRingMailbox>(config);
  auto engine = std::make_unique<core::Engine>(config, std::move(runtime));
  auto& timers = engine->add_service(std::make_unique<core::TimerService>(
      engine->runtime(), std::chrono::nanoseconds(config.timer_tick_ns)));
  engine->runtime().attach_timers(&timers);
  return engine;
}

}  // namespace actorlab::sched
