// echo.cpp: the `echo` workload: the echo service (length
// framing) on a fresh engine with the net service of Config::backend, and
// the load generator (bench/net/net_load.hpp) in the same process on its own
// thread, closed loop on 127.0.0.1, until `count` echoes came back.
//
// Parameters: connections (default 100), size (payload bytes, default 64).
// Self-check: every echoed byte is compared by the load generator, the
// server must have echoed exactly `count` frames and (when every connection
// sent something) accepted exactly `connections` connections, with no socket error, oversize frame or
// refused send. Latency: every round trip (send to verified echo).
// Threads: the load thread writes the Probe only before signal_done(), whose
// mutex orders those writes before wait_done() returns; it never outlives
// the engine: run_on_engine joins it (Probe::after_stop) after stopping the
// engine, which closes the server's connections so that the load gives up.
#include "bench/workloads/catalogue.hpp"

#include <fmt/format.h>

#include <cstring>
#include <future>
#include <thread>

#include "bench/net/net_load.hpp"
#include "bench/net/net_services.hpp"
#include "bench/workloads/workload_support.hpp"
#include "io/net.hpp"

namespace actorlab::bench {
namespace {

WorkloadResult run_echo(const core::Config& config, const WorkloadParams& params) {
  const uint64_t connections = params.get_u64("connections", 100, 1, 50000);
  const uint64_t size = params.get_u64("size", 64, 0, 16u << 20);
  // Each connection costs two descriptors here (client and server side).
  raise_open_file_limit(2 * connections + 256);

  NetServiceStats stats(config.threads);
  NetServiceOptions service;
  service.kind = NetServiceKind::kEcho;
  service.framing = Framing::kLength;
  service.max_frame = static_cast<uint32_t>(size);
  service.apply(config);
  LoadOptions load;
  load.connections = static_cast<uint32_t>(connections);
  load.size = static_cast<uint32_t>(size);
  load.messages = params.count;
  load.threads = 1;
  // The watch's run limit cuts the run first; this is a backstop.
  load.max_run_s = std::chrono::duration<double>(params.watch.run_limit).count() + 10;
  std::thread load_thread;

  WorkloadResult r = run_on_engine(
      config, params.watch,
      [&](core::Engine& engine, Probe& probe) {
        probe.after_stop = [&load_thread] {
          if (load_thread.joinable()) load_thread.join();
        };
        try {
          io::attach_net(engine, config);
        } catch (const core::ConfigError& e) {
          probe.error = fmt::format("net service: {}", e.what());
          engine.runtime().signal_done(1);
          return;
        } catch (const std::exception& e) {
          probe.error = fmt::format("backend unavailable ({}): {}", config.backend, e.what());
          engine.runtime().signal_done(1);
          return;
        }
        auto listening = std::make_shared<std::future<ListenResult>>(spawn_net_service(engine, service, stats));
        load_thread = std::thread([&engine, &probe, &load, listening] {
          ListenResult listen;
          if (listening->wait_for(std::chrono::seconds(10)) == std::future_status::ready) listen = listening->get();
          if (!listen.socket.valid()) {
            probe.error = fmt::format("echo service cannot listen: {}", std::strerror(listen.error ? listen.error : ETIMEDOUT));
            engine.runtime().signal_done(1);
            return;
          }
          load.port = listen.port;
          LoadResult result = run_load(load);
          probe.start_ns = result.first_send_ns;
          probe.end_ns = result.last_echo_ns;
          probe.operations = result.echoed;
          if (!result.ok) probe.error = "load: " + result.error;
          probe.latency = std::move(result.latency);
          engine.runtime().signal_done(result.ok ? 0 : 1);
        });
      });

  r.extras["connections"] = static_cast<double>(connections);
  r.extras["size_bytes"] = static_cast<double>(size);
  const auto server = stats.snapshot();
  for (const char* key : {"oversize_frames", "send_refused", "socket_errors", "listener_warnings", "spawn_failures"})
    r.extras[std::string("svc_") + key] = static_cast<double>(server.at(key));
  if (r.ok) {
    std::string why;
    if (server.at("messages") != params.count)
      why = fmt::format("server echoed {} frames, expected {}", server.at("messages"), params.count);
    else if (params.count >= connections && server.at("accepted") != connections)
      why = fmt::format("server accepted {} connections, expected {}", server.at("accepted"), connections);
    else if (server.at("socket_errors") + server.at("oversize_frames") + server.at("send_refused") != 0)
      why = "server counted socket errors, oversize frames or refused sends";
    if (!why.empty()) {
      r.ok = false;
      r.verdict = Verdict::kFailed;
      r.error = why;
    }
  }
  return r;
}

}  // namespace

Workload echo_workload() {
  return Workload{
      "echo",
      "echo service (length framing, Config backend) + in-process closed-loop load on 127.0.0.1; every byte checked",
      "echo",
      "round trip (every echo)",
      100'000,
      run_echo,
      {{"connections", "TCP connections (1000 raises RLIMIT_NOFILE)", "100"},
       {"size", "payload bytes per message (plus the 4-byte header)", "64"}},
      [](const WorkloadParams& params) {  // the ranges run_echo reads, checked before any run
        check_count_positive(params);
        (void)params.get_u64("connections", 100, 1, 50000);
        (void)params.get_u64("size", 64, 0, 16u << 20);
      },
  };
}

}  // namespace actorlab::bench
