// select.hpp: the one place where names become types. Picks the runtime
// template instance for a Config's mailbox x placement x run queue, once at
// start-up (the per-turn parts, lifo, local-push, steal, batch, idle and
// home, are runtime values: sched/parts.hpp), checks that the parts combine
// (validate), and knows the presets: named compositions of parts.
//
// Presets and Config (the rule): `config.policy` names the preset the parts
// come from, so `config.policy = "skynet-classic"` is all a caller writes.
// apply_preset(name, config) writes the preset's expansion into the part
// fields and marks them expanded (Config::parts_expanded); the CLI then
// applies explicit flags on top, and make_engine takes such a Config as it
// is. A Config built in code (parts_expanded false) is resolved by
// make_engine and validate (resolve()): the preset `policy` names is
// expanded, and every part field (placement, home, lifo, lifo_backoff_ns,
// local_push, steal, steal_patience_ns, idle, batch, mailbox, runqueue) that
// differs from its Config default is the caller's explicit choice and wins
// over the preset's value. So `policy = "steal", steal = "one"` is steal taking one actor at
// a time. A field set explicitly to its default value cannot be told from
// one left alone (the defaults are the steal preset's parts): for skynet
// with a LIFO slot (lifo "on" is the default), call apply_preset("skynet",
// c) first and then set c.lifo.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/config.hpp"
#include "core/engine.hpp"

namespace actorlab::sched {

struct Named {
  std::string name;
  std::string description;
};

const std::vector<Named>& policies();
const std::vector<Named>& presets();
const std::vector<Named>& run_queue_kinds();
const std::vector<Named>& mailbox_kinds();
// The choices of each scheduling part (DESIGN "Policies are compositions of
// parts"): the knob table's valid values for --placement, --home, --lifo,
// --steal and --idle.
const std::vector<Named>& placement_choices();
const std::vector<Named>& home_choices();
const std::vector<Named>& lifo_choices();
const std::vector<Named>& local_push_choices();
const std::vector<Named>& steal_choices();
const std::vector<Named>& idle_choices();
// The io choices `actorlab list` prints: --backend (io/'s backends) and
// --net (who drives the backend); the knob table's choices for them match.
const std::vector<Named>& backend_choices();
const std::vector<Named>& driver_choices();

// If `name` is a preset, rewrites config's part fields to the preset's
// expansion, sets config.policy = name and returns true (false: no such
// preset, config unchanged). Explicit flags are applied after this.
bool apply_preset(std::string_view name, core::Config& config);

// The composition a Config means (the rule above): as it is when
// parts_expanded, else its policy's preset with the caller's non-default
// part fields on top (unchanged when policy names no preset: validate
// refuses it).
core::Config resolve(const core::Config& config);

// What the tests need to know of a composition, declared on the parts'
// types (the placements' kActorsBound and moves_under_load; the lifo and
// steal parts' rules).
struct CompositionTraits {
  bool actors_bound = false;   // an actor runs only on its home worker (placement home)
  bool actors_migrate = true;  // busy actors move between workers under load (global; local with steal)
  // An actor made runnable during a turn may wait for that turn to end
  // while another worker is idle: lifo on (a private slot), or placement
  // local with steal off (a private queue); not under placement home, where
  // each actor waits for its home by design. Invariant 5's stated bound.
  bool private_wait = false;
  bool parks = true;  // idle park or spin-then-park (idle spin never parks)
};
CompositionTraits traits_of(const core::Config& config);  // config resolved and valid

// A preset is a named composition of parts: its expansion as (knob, value)
// pairs in the knob table's names (`actorlab list` prints it; a preset plus
// flags is the preset with those knobs changed).
struct Preset {
  std::string name;
  std::string description;
  std::vector<std::pair<std::string, std::string>> knobs;
};
const std::vector<Preset>& preset_table();

// Validates the resolved config: core ranges, each part's value, and the
// parts' combinations (steal needs placement local; lifo stealable does not
// fit placement home; home applies to placement home; net worker needs a
// parking idle part). Throws core::ConfigError with a sentence naming the
// knob, the conflict and the valid values.
void validate(const core::Config& config);

// Builds the engine for a config (resolved, then validated).
std::unique_ptr<core::Engine> make_engine(const core::Config& config);

}  // namespace actorlab::sched
