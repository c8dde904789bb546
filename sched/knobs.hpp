// knobs.hpp: the knob table. Every runtime, network and process-wide knob of
// core::Config is declared here once: its name (the flag without dashes and
// the TOML key), the JSON key of Config::to_json, a kind, a default, its
// range or choices, a help line and which parts or service it applies to.
// That one declaration drives
//   - validation of a value (Knob::set throws core::ConfigError naming the
//     knob, the value and what is allowed) and of a whole Config
//     (validate_knobs: every knob's effective value re-read through its own
//     rule; sched::validate adds the combinations),
//   - the command line (bench/cli/bench_cli.cpp declares one CLI11 option per
//     knob, with allowed_text() and the default in --help),
//   - suite files and --config files (a key is a knob name),
//   - the result name (an explicitly given knob joins the label, in table
//     order, except the process-wide alloc) and the JSON context (every knob
//     of Config::to_json, always, as the effective value; a test checks the
//     two agree).
// Knobs sit here, above core, because the scheduling parts' choices are
// sched's (select.hpp); core::Config keeps the fields.
// Threads: start-up only (main thread); the table is immutable after its
// first use (a function-local static).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"

namespace actorlab::sched {

// Where a knob acts, for --help groups and `actorlab list`.
enum class KnobScope {
  kRuntime,  // the engine: policy, threads, queues, scheduling parts
  kNet,      // the io layer and the network services
  kProcess,  // the whole process, one value per run (alloc)
};

enum class KnobKind {
  kChoice,    // one name of `choices`
  kCount,     // a whole number in [min, max]
  kNanos,     // a whole number of nanoseconds in [min, max]
  kSeconds,   // a decimal number of seconds in [min, max] on the command line, stored in ns
  kBool,      // true | false
  kText,      // free form checked by `set` (batch, pin)
};

struct Knob {
  std::string name;      // flag (--NAME) and TOML key
  std::string json_key;  // key in Config::to_json; empty: not in Config (alloc)
  KnobKind kind = KnobKind::kCount;
  KnobScope scope = KnobScope::kRuntime;
  std::string help;
  std::string applies_to;  // which parts or service the knob means something for
  std::vector<std::string> choices;  // kChoice
  uint64_t min = 0, max = 0;         // kCount, kNanos; kSeconds: in ns
  bool list = false;  // a comma-separated list expands into one configuration each (policy, threads)
  // Parses and checks one value (never a list) into the config; throws
  // core::ConfigError "NAME: 'VALUE' ...; valid: ...".
  std::function<void(core::Config&, std::string_view)> set;
  // The value as the flag takes it.
  std::function<std::string(const core::Config&)> get;
};

// Every knob, in the order they join a result name.
const std::vector<Knob>& knobs();
const Knob* find_knob(std::string_view name);

// "one of a, b, c", "a whole number in [1, 256]", "seconds in [0, 86400]" ...
std::string allowed_text(const Knob& knob);
// The default shown in --help (a default-constructed Config; alloc: the build's).
std::string default_text(const Knob& knob);
// Every knob name, comma-separated (unknown-key messages).
std::string knob_names(bool include_process = true);

// Sets one knob from text: a list knob takes one element here. Throws
// core::ConfigError naming the knob (unknown name: the valid names).
void set_knob(core::Config& config, std::string_view name, std::string_view value);

// Applies a preset's expansion (sched::preset_table) through the table, then
// sched::apply_preset; a name that is no preset is stored as the policy.
void apply_policy(core::Config& config, std::string_view policy);

// Every knob's effective value re-checked by its own rule, then
// sched::validate (combinations). Throws core::ConfigError.
void validate_knobs(const core::Config& config);

// Text of a seconds value as the flag takes it (ns -> "60", "0.5").
std::string seconds_text(uint64_t ns);

}  // namespace actorlab::sched
