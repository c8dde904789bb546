// bench/cli/net_commands.hpp: the network subcommands of `actorlab`:
//   echo  an echo server (length-prefixed frames or raw bytes) until SIGINT/SIGTERM
//   http  an HTTP/1.1 "hello" server with keep-alive until SIGINT/SIGTERM
//   load  the load generator for the echo service (open or closed loop)
// main.cpp declares them with NetCommands(app) and, after parsing, lets
// run() handle the one chosen. Every runtime knob of `bench` applies to echo
// and http (bench_cli.hpp); each takes one policy and one thread count.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <optional>
#include <string>

namespace actorlab::bench {

class NetCommands {
 public:
  explicit NetCommands(CLI::App& app);
  ~NetCommands();
  NetCommands(const NetCommands&) = delete;
  NetCommands& operator=(const NetCommands&) = delete;

  // Runs the chosen network subcommand and returns its exit code (0 ok, 1
  // the run failed, 2 usage error); nullopt when another one was chosen.
  std::optional<int> run(const std::string& command_line);

  struct State;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace actorlab::bench
