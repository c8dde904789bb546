// bench_cli.cpp: see bench_cli.hpp.
#include "bench/bench_cli.hpp"

#include "core/alloc.hpp"
#include "core/config.hpp"

namespace actorlab::bench {

void add_knob(CLI::App& app, BenchFlags& flags, const std::string& key, const std::string& help,
              const std::string& default_text) {
  app.add_option_function<std::string>(
         "--" + key, [&flags, key](const std::string& v) { set_flag(flags, key, v); }, help)
      ->default_str(default_text)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)  // a later flag wins (scripts/bench "$@")
      ->type_name("");
}

void add_runtime_knobs(CLI::App& app, BenchFlags& flags) {
  add_knob(app, flags, "policy", "policies or presets, comma-separated", "skynet");
  add_knob(app, flags, "threads", "worker threads, comma-separated (1-256)", "2");
  add_knob(app, flags, "mailbox", "mailbox kind: lockfree | spinring (overrides the preset)", "lockfree");
  add_knob(app, flags, "runqueue", "skynet's run-queue kind: lockfree | spinlist (overrides the preset)",
           "lockfree");
  add_knob(app, flags, "batch", "messages per turn: weights (skynet's table) | all | N", "weights");
  add_knob(app, flags, "spin", "empty polls before an idle worker parks", std::to_string(core::Config::kDefaultSpin));
  add_knob(app, flags, "grace", "ns a searching worker leaves a lone queued actor to the worker that queued it",
           std::to_string(core::Config::kDefaultGraceNs));
  add_knob(app, flags, "pin", "bind workers to CPUs: none | cores | LIST (e.g. 0,1)", "none");
  add_knob(app, flags, "alloc", "allocator for messages and nodes, for the whole run: mimalloc | system (glibc malloc)",
           core::to_string(core::current_allocator()));
  add_knob(app, flags, "max-actors", "registry capacity (1-2097152)", std::to_string(flags.max_actors));
  add_knob(app, flags, "backend", "network backend: epoll | uring", "epoll");
  add_knob(app, flags, "net", "who drives the backend: thread (skynet's net thread) | worker (an idle worker polls it)",
           "thread");
  add_knob(app, flags, "timer-tick", "timer wheel tick in ns (1000-1000000000)", std::to_string(flags.timer_tick_ns));
}

}  // namespace actorlab::bench
