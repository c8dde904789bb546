// select.cpp: name -> template instance, for mailbox x placement x run
// queue (18 instances, built in sched/runtime_instances_*.cpp; the other
// parts are runtime values); the presets' expansions; the parts'
// combination checks (validate). make_engine also
// gives every engine its timer thread (core/timer_service.hpp) with the
// config's tick, so Context::timeout works under every composition.
#include "sched/select.hpp"

#include <fmt/format.h>

#include "core/timer_service.hpp"
#include "sched/parts.hpp"
#include "sched/placement_global.hpp"
#include "sched/placement_home.hpp"
#include "sched/placement_local.hpp"
#include "sched/run_queue_lockfree.hpp"
#include "sched/runtime_instances.hpp"

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

const Preset* find_preset(std::string_view name) {
  for (const auto& p : preset_table())
    if (p.name == name) return &p;
  return nullptr;
}

// Writes one knob of a preset's expansion (the knob table's names).
void set_part(core::Config& c, const std::string& knob, const std::string& value) {
  if (knob == "placement") c.placement = value;
  else if (knob == "home") c.home = value;
  else if (knob == "lifo") c.lifo = value;
  else if (knob == "lifo-backoff") c.lifo_backoff_ns = core::parse_unsigned(value, 0, UINT64_MAX, knob);
  else if (knob == "local-push") c.local_push = value;
  else if (knob == "steal") c.steal = value;
  else if (knob == "steal-patience") c.steal_patience_ns = core::parse_unsigned(value, 0, UINT64_MAX, knob);
  else if (knob == "batch") c.batch = core::BatchKnob::parse(value);
  else if (knob == "idle") c.idle = value;
  else if (knob == "mailbox") c.mailbox = core::parse_mailbox_kind(value);
  else if (knob == "runqueue") c.runqueue = value;
  else throw std::logic_error("preset_table: unknown knob " + knob);
}

}  // namespace

// The policies are the presets (a policy is a named composition of parts).
const std::vector<Named>& policies() {
  static const std::vector<Named> list = [] {
    std::vector<Named> out;
    for (const auto& p : preset_table()) out.push_back({p.name, p.description});
    return out;
  }();
  return list;
}

const std::vector<Named>& presets() { return policies(); }

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
      {"segmented", "MPSC slots claimed in blocks of up to 32, recycled: no allocation per message"},
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

const std::vector<Named>& local_push_choices() {
  static const std::vector<Named> list = {
      {"back", "a newly runnable actor joins the back of the worker's queue (FIFO, Tokio's)"},
      {"front", "it goes to the front, to run next (depth-first, Cilk's work-first order); an actor requeued "
                "after its turn still goes to the back"},
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

const std::vector<Named>& backend_choices() {
  static const std::vector<Named> list = {
      {"epoll", "epoll readiness loop; workers write directly when a socket's queue is empty"},
      {"uring", "io_uring: multishot accept and recv with a provided-buffer ring, batched submission"},
  };
  return list;
}

const std::vector<Named>& driver_choices() {
  static const std::vector<Named> list = {
      {"auto", "worker, except under --idle=spin (it never parks): thread"},
      {"thread", "a dedicated net thread drives the backend (skynet)"},
      {"worker", "no net thread: a parked worker blocks in the backend, a busy one polls it every --event-interval turns"},
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
       {{"placement", "home"}, {"home", "spawner"}, {"lifo", "off"}, {"steal", "off"}, {"batch", "weights"},
        {"idle", "spin-then-park"}, {"mailbox", "lockfree"}, {"runqueue", "lockfree"}}},
      {"skynet-classic", "skynet with the spinlocked mailbox and run queue: the original design, the baseline",
       {{"placement", "global"}, {"lifo", "off"}, {"steal", "off"}, {"batch", "weights"},
        {"idle", "spin-then-park"}, {"mailbox", "spinring"}, {"runqueue", "spinlist"}}},
  };
  return list;
}

bool apply_preset(std::string_view name, core::Config& config) {
  const Preset* preset = find_preset(name);
  if (preset == nullptr) return false;
  const core::Config defaults;
  // Parts a preset does not name take their defaults, so that applying one
  // preset after another leaves nothing of the first.
  config.placement = defaults.placement;
  config.home = defaults.home;
  config.lifo = defaults.lifo;
  config.lifo_backoff_ns = defaults.lifo_backoff_ns;
  config.local_push = defaults.local_push;
  config.steal = defaults.steal;
  config.steal_patience_ns = defaults.steal_patience_ns;
  config.idle = defaults.idle;
  config.batch = defaults.batch;
  config.mailbox = defaults.mailbox;
  config.runqueue = defaults.runqueue;
  for (const auto& [knob, value] : preset->knobs) set_part(config, knob, value);
  config.policy = preset->name;
  config.parts_expanded = true;
  return true;
}

core::Config resolve(const core::Config& config) {
  if (config.parts_expanded) return config;
  core::Config out = config;
  if (!apply_preset(config.policy, out)) return config;
  // The caller's explicit parts (those off their defaults) win.
  const core::Config d;
  if (config.placement != d.placement) out.placement = config.placement;
  if (config.home != d.home) out.home = config.home;
  if (config.lifo != d.lifo) out.lifo = config.lifo;
  if (config.lifo_backoff_ns != d.lifo_backoff_ns) out.lifo_backoff_ns = config.lifo_backoff_ns;
  if (config.local_push != d.local_push) out.local_push = config.local_push;
  if (config.steal != d.steal) out.steal = config.steal;
  if (config.steal_patience_ns != d.steal_patience_ns) out.steal_patience_ns = config.steal_patience_ns;
  if (config.idle != d.idle) out.idle = config.idle;
  if (config.batch.kind != d.batch.kind || config.batch.n != d.batch.n) out.batch = config.batch;
  if (config.mailbox != d.mailbox) out.mailbox = config.mailbox;
  if (config.runqueue != d.runqueue) out.runqueue = config.runqueue;
  return out;
}

void validate(const core::Config& given) {
  const core::Config config = resolve(given);
  config.validate();
  if (find_preset(config.policy) == nullptr)
    throw core::ConfigError(fmt::format("policy: unknown '{}'; valid presets: {}", config.policy,
                                        names_of(policies())));
  if (!contains(placement_choices(), config.placement))
    throw core::ConfigError(fmt::format("placement: unknown '{}'; valid: {}", config.placement,
                                        names_of(placement_choices())));
  if (!contains(run_queue_kinds(), config.runqueue))
    throw core::ConfigError(fmt::format("runqueue: unknown kind '{}'; valid: {}", config.runqueue,
                                        names_of(run_queue_kinds())));
  const Parts parts = Parts::from(config);  // each part's value (throws naming the knob)
  if (parts.steal != StealMode::kOff && config.placement != "local")
    throw core::ConfigError(fmt::format(
        "steal: '{}' needs per-worker queues a thief may take from (placement local); placement {} {}; "
        "use --steal=off or --placement=local",
        config.steal, config.placement,
        config.placement == "global" ? "has one FIFO" : "binds each actor to its home worker"));
  if (parts.local_push != LocalPush::kBack && config.placement != "local")
    throw core::ConfigError(fmt::format(
        "local-push: '{}' orders a worker's own queue, which only placement local has; placement is {}; "
        "use --local-push=back or --placement=local",
        config.local_push, config.placement));
  if (parts.lifo == LifoMode::kStealable && config.placement == "home")
    throw core::ConfigError(
        "lifo: 'stealable' lets a thief run the slot's actor on another worker, but placement home binds "
        "each actor to its home worker; use --lifo=on or --lifo=off with placement home");
  if (config.home != core::Config{}.home && config.placement != "home")
    throw core::ConfigError(fmt::format(
        "home: '{}' chooses an actor's home worker and applies to placement home only; placement is {}",
        config.home, config.placement));
  if (config.net == "worker" && parts.idle.mode == IdleMode::kSpin)
    throw core::ConfigError(
        "net: 'worker' lets a parked worker poll the io backend, but idle 'spin' never parks; "
        "use --idle=park or --idle=spin-then-park, or --net=thread");
}

CompositionTraits traits_of(const core::Config& given) {
  const core::Config config = resolve(given);
  const Parts parts = Parts::from(config);
  CompositionTraits t;
  if (config.placement == "home") {
    t.actors_bound = HomePlacement<LockfreeRunQueue>::kActorsBound;
    t.actors_migrate = HomePlacement<LockfreeRunQueue>::moves_under_load(parts);
  } else if (config.placement == "local") {
    t.actors_bound = LocalPlacement<LockfreeRunQueue>::kActorsBound;
    t.actors_migrate = LocalPlacement<LockfreeRunQueue>::moves_under_load(parts);
  } else {
    t.actors_bound = GlobalPlacement<LockfreeRunQueue>::kActorsBound;
    t.actors_migrate = GlobalPlacement<LockfreeRunQueue>::moves_under_load(parts);
  }
  // Under home an actor of this worker waits for it by design (bound), and
  // one of another home goes to that home, which is woken: no private wait.
  t.private_wait = config.placement != "home" &&
                   (parts.lifo == LifoMode::kOn || (config.placement == "local" && parts.steal == StealMode::kOff));
  t.parks = parts.idle.mode != IdleMode::kSpin;
  return t;
}

std::unique_ptr<core::Engine> make_engine(const core::Config& given) {
  const core::Config config = resolve(given);
  validate(config);
  std::unique_ptr<core::RuntimeBase> runtime;
  switch (config.mailbox) {
    case core::MailboxKind::kLockfree: runtime = make_lockfree_mailbox_runtime(config); break;
    case core::MailboxKind::kSpinRing: runtime = make_spinring_mailbox_runtime(config); break;
    case core::MailboxKind::kSegmented: runtime = make_segmented_mailbox_runtime(config); break;
  }
  auto engine = std::make_unique<core::Engine>(config, std::move(runtime));
  auto& timers = engine->add_service(std::make_unique<core::TimerService>(
      engine->runtime(), std::chrono::nanoseconds(config.timer_tick_ns)));
  engine->runtime().attach_timers(&timers);
  return engine;
}

}  // namespace actorlab::sched
