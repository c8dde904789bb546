// select.hpp: the one place where names become types. Picks the runtime
// template instance for a Config's policy, mailbox and run-queue, once at
// start-up, and knows the presets (named knob sets).
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
const std::vector<Named>& steal_choices();
const std::vector<Named>& idle_choices();

// If `name` is a preset, rewrites config's knobs to the preset's values
// (policy included) and returns true. Explicit flags are applied after this.
bool apply_preset(std::string_view name, core::Config& config);

// A preset is a named composition of parts: its expansion as (knob, value)
// pairs in the knob table's names (`actorlab list` prints it; a preset plus
// flags is the preset with those knobs changed).
struct Preset {
  std::string name;
  std::string description;
  std::vector<std::pair<std::string, std::string>> knobs;
};
const std::vector<Preset>& preset_table();

// Validates every knob (core ranges, policy and run-queue names and their
// combination); throws core::ConfigError with a message naming valid values.
void validate(const core::Config& config);

// Builds the engine for a validated config.
std::unique_ptr<core::Engine> make_engine(const core::Config& config);

}  // namespace actorlab::sched
