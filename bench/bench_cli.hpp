// bench_cli.hpp: the command-line side of the runtime knobs, shared by every
// `actorlab` subcommand that runs an engine (bench, suite, echo, http, ...).
// Each knob's text goes through set_flag() (bench_flags.hpp), so the command
// line and TOML files share one parser and one set of error messages.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "bench/bench_flags.hpp"

namespace actorlab::bench {

// Declares --KEY, parsed by set_flag(flags, KEY, text); a later flag wins.
void add_knob(CLI::App& app, BenchFlags& flags, const std::string& key, const std::string& help,
              const std::string& default_text);

// Declares every runtime knob: policy, threads, mailbox, runqueue, batch,
// spin, grace, pin, alloc, max-actors, backend, net, timer-tick.
void add_runtime_knobs(CLI::App& app, BenchFlags& flags);

}  // namespace actorlab::bench
