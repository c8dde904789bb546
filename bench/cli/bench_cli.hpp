// bench_cli.hpp: the command-line side of the knobs, shared by every
// `actorlab` subcommand that runs an engine (bench, ablate, echo, http).
// One CLI11 option per knob of the table (sched/knobs.hpp), generated from
// it: help text, allowed values or range and default come from the knob's
// declaration. Each value goes through set_flag() (bench_flags.hpp), so the
// command line and TOML files share one parser and one set of messages.
// Threads: main thread, start-up only.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

#include "bench/cli/bench_flags.hpp"

namespace actorlab::bench {

// Declares --KEY, parsed by set_flag(flags, KEY, text); a later flag wins.
void add_knob(CLI::App& app, BenchFlags& flags, const std::string& key, const std::string& help,
              const std::string& default_text, const std::string& group = "Options");

// Declares one of bench_settings() by name.
void add_bench_setting(CLI::App& app, BenchFlags& flags, const std::string& key);

// Declares every knob of the table, grouped by scope in --help.
void add_runtime_knobs(CLI::App& app, BenchFlags& flags);

// A check for a non-knob option given as a decimal number: finite and in
// [min, max] (zero_ok: 0 is also allowed, e.g. "0: closed loop"); the
// message names what is allowed ("'nan' is not valid; valid: ...").
CLI::Validator finite_number(double min, double max, bool zero_ok = false);
// A check for a non-knob option given as a whole decimal number in
// [min, max]; the message names what is allowed, like finite_number().
CLI::Validator whole_number(uint64_t min, uint64_t max);
// A check that a text option is not empty.
CLI::Validator non_empty();

// Exit status for a CLI11 parse error: 0 for --help, 2 (bad input) for the rest.
int exit_status(const CLI::App& app, const CLI::ParseError& e);

}  // namespace actorlab::bench
