// bench/cli/net_commands.cpp: see net_commands.hpp.
//
// echo / http: SIGINT and SIGTERM are blocked in the main thread before any
// engine thread exists (threads inherit the mask), and the main thread waits
// for them with sigtimedwait, so a signal never interrupts a worker or the
// net thread; then the engine stops (services first) and the counters are
// printed. The first line on stdout is "actorlab <cmd>: listening on
// HOST:PORT (...)", flushed, so scripts can read the port of --port=0.
#include "bench/cli/net_commands.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <chrono>
#include <ctime>
#include <future>
#include <optional>

#include "bench/cli/bench_cli.hpp"
#include "bench/cli/bench_flags.hpp"
#include "bench/cli/input_files.hpp"
#include "bench/net/net_load.hpp"
#include "bench/net/net_services.hpp"
#include "bench/cli/trace_flags.hpp"
#include "io/net.hpp"
#include "perf/histogram.hpp"
#include "perf/result_writer.hpp"
#include "sched/select.hpp"

namespace actorlab::bench {

struct NetCommands::State {
  CLI::App* echo = nullptr;
  CLI::App* http = nullptr;
  CLI::App* load = nullptr;
  BenchFlags echo_flags;
  BenchFlags http_flags;
  NetServiceOptions echo_options;
  NetServiceOptions http_options;
  std::string framing = "length";
  double echo_duration_s = 0;
  double http_duration_s = 0;
  TraceOptions echo_trace;  // --trace: the run's last events per thread, written at the stop
  TraceOptions http_trace;
  LoadOptions load_options;
  std::string load_out;
};

namespace {

void add_server_options(CLI::App& cmd, BenchFlags& flags, NetServiceOptions& options, double& duration_s,
                        TraceOptions& trace) {
  add_runtime_knobs(cmd, flags);
  add_trace_flags(cmd, trace);
  cmd.add_option("--host", options.host, "address to listen on")->default_str(options.host)->check(non_empty());
  cmd.add_option("--port", options.port, "port to listen on (0: any free port, printed at start)")
      ->default_str("0")
      ->check(whole_number(0, 65535));
  cmd.add_option("--duration", duration_s, "stop after this many seconds (0: run until SIGINT/SIGTERM; at most a week)")
      ->default_str("0")
      ->check(finite_number(0.001, 604800, true));
}

// Runs echo or http: returns the exit code.
int run_server(const char* name, const BenchFlags& flags, const NetServiceOptions& given, double duration_s,
               const TraceOptions& trace_options) {
  NetServiceOptions options = given;
  core::Config config;
  try {
    auto configs = build_configs(flags);
    if (configs.size() != 1)
      throw core::ConfigError(fmt::format("{} runs one configuration: give one policy and one thread count", name));
    config = configs.front().config;  // backend, net and every knob given
    options.apply(config);            // the services' timeouts
    apply_allocator(flags);
    check_trace_options(trace_options);
  } catch (const core::ConfigError& e) {
    std::fprintf(stderr, "actorlab %s: %s\n", name, e.what());
    return 2;
  }
  // Room for many connections (1000 and more): the soft limit goes up to the hard one.
  raise_open_file_limit(UINT64_MAX);

  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::unique_ptr<core::Engine> engine;
  try {
    engine = sched::make_engine(config);
    io::attach_net(*engine, config);
  } catch (const core::ConfigError& e) {  // a knob this build does not take
    std::fprintf(stderr, "actorlab %s: %s\n", name, e.what());
    return 2;
  } catch (const std::exception& e) {  // the kernel refused (e.g. io_uring disabled)
    std::fprintf(stderr, "actorlab %s: backend unavailable: %s\n", name, e.what());
    return 1;
  }
  NetServiceStats stats(config.threads);
  auto listening = spawn_net_service(*engine, options, stats);
  std::optional<core::TraceSession> trace;
  if (!trace_options.path.empty()) engine->attach_trace(trace.emplace(trace_options.events));
  engine->start();
  ListenResult listen;
  try {
    if (listening.wait_for(std::chrono::seconds(10)) != std::future_status::ready) throw std::runtime_error("timed out");
    listen = listening.get();
  } catch (const std::exception& e) {
    listen.error = ETIMEDOUT;
  }
  if (!listen.socket.valid()) {
    std::fprintf(stderr, "actorlab %s: cannot listen on %s:%u: %s\n", name, options.host.c_str(), options.port,
                 std::strerror(listen.error));
    engine->stop();
    return 1;
  }
  std::printf("actorlab %s: listening on %s:%u (backend %s, net %s, policy %s, threads %d%s)\n", name,
              options.host.c_str(), listen.port, config.backend.c_str(),
              config.net_worker_driven() ? "worker" : "thread", config.policy.c_str(),
              config.threads,
              options.kind == NetServiceKind::kEcho ? fmt::format(", framing {}", to_string(options.framing)).c_str()
                                                    : "");
  std::fflush(stdout);

  const auto started = std::chrono::steady_clock::now();
  int signal_number = 0;
  while (true) {
    timespec wait{0, 200'000'000};
    const int s = sigtimedwait(&stop_signals, nullptr, &wait);
    if (s > 0) {
      signal_number = s;
      break;
    }
    if (duration_s > 0 && std::chrono::steady_clock::now() - started >= std::chrono::duration<double>(duration_s))
      break;
  }
  const double ran_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  engine->stop();
  std::printf("actorlab %s: stopped after %.1f s%s\n", name, ran_s,
              signal_number ? fmt::format(" by {}", strsignal(signal_number)).c_str() : "");
  for (const auto& [key, value] : stats.snapshot()) std::printf("  %-20s %llu\n", key.c_str(), static_cast<unsigned long long>(value));
  for (const auto& [key, value] : engine->stats().values)
    if (value != 0) std::printf("  rt_%-17s %llu\n", key.c_str(), static_cast<unsigned long long>(value));
  std::fflush(stdout);
  if (trace) {
    try {
      core::TraceFile file(trace_options.path);
      file.add_run(*trace, fmt::format("{} policy:{}/threads:{}", name, config.policy, config.threads));
      file.close();
      std::printf("actorlab %s: wrote trace %s (%llu older events dropped)\n", name, trace_options.path.c_str(),
                  static_cast<unsigned long long>(trace->dropped()));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "actorlab %s: %s\n", name, e.what());
      return 1;
    }
  }
  return 0;
}

std::string load_name(const LoadOptions& o) {
  return fmt::format("load/echo/connections:{}/size:{}/{}", o.connections, o.size,
                     o.rate > 0 ? fmt::format("rate:{}", o.rate) : std::string("closed"));
}

int run_load_command(const LoadOptions& options, const std::string& out_path, const std::string& command_line) {
  if (auto bad = validate(options)) {
    std::fprintf(stderr, "actorlab load: %s\n", bad->c_str());
    return 2;
  }
  if (!out_path.empty()) {
    try {
      check_output_path(out_path, "--out");  // before the run, not after it
    } catch (const core::ConfigError& e) {
      std::fprintf(stderr, "actorlab load: %s\n", e.what());
      return 2;
    }
  }
  LoadResult r = run_load(options);
  const double per_msg_ns = r.measured ? static_cast<double>(r.window_ns) / static_cast<double>(r.measured) : 0.0;
  std::printf("%s: %s\n", load_name(options).c_str(), r.ok ? "ok" : ("FAILED: " + r.error).c_str());
  std::printf("  sent %llu, echoed and verified %llu, measured %llu in %.3f s\n",
              static_cast<unsigned long long>(r.sent), static_cast<unsigned long long>(r.echoed),
              static_cast<unsigned long long>(r.measured), static_cast<double>(r.window_ns) * 1e-9);
  if (r.missed > 0)
    std::printf("  missed %llu%s scheduled sends: the client could not keep --rate (burst cap or in-flight bound)\n",
                static_cast<unsigned long long>(r.missed), r.missed == UINT64_MAX ? " (saturated: at least)" : "");
  std::printf("  throughput %.0f msgs/s   latency%s p50 %.1f us  p90 %.1f us  p99 %.1f us  p99.9 %.1f us  max %.1f us\n",
              r.msgs_per_second(), options.rate > 0 ? " (from intended send)" : "",
              r.latency.percentile(50) * 1e-3, r.latency.percentile(90) * 1e-3, r.latency.percentile(99) * 1e-3,
              r.latency.percentile(99.9) * 1e-3, static_cast<double>(r.latency.max()) * 1e-3);
  std::printf("  client CPU %.2f us per message\n",
              r.echoed ? static_cast<double>(r.client_cpu_ns) * 1e-3 / static_cast<double>(r.echoed) : 0.0);
  if (!out_path.empty()) {
    perf::RunRecord rec;
    rec.name = load_name(options);
    rec.iterations = r.measured;
    rec.real_time_ns = per_msg_ns;
    rec.cpu_time_ns = r.echoed ? static_cast<double>(r.client_cpu_ns) / static_cast<double>(r.echoed) : 0.0;
    rec.error_message = r.error;
    rec.counters["msgs_per_second"] = r.msgs_per_second();
    rec.counters["ops_per_second"] = r.msgs_per_second();
    rec.counters["sent"] = static_cast<double>(r.sent);
    rec.counters["echoed"] = static_cast<double>(r.echoed);
    rec.counters["missed"] = static_cast<double>(r.missed);
    rec.counters["window_ms"] = static_cast<double>(r.window_ns) * 1e-6;
    if (r.latency.count() > 0)
      for (const auto& [k, v] : perf::latency_counters(r.latency)) rec.counters["latency_" + k] = v;
    perf::ResultSet results;
    results.extra_context = {{"actorlab_command", command_line},
                             {"actorlab_load",
                              {{"host", options.host}, {"port", options.port}, {"connections", options.connections},
                               {"size", options.size}, {"rate", options.rate},
                               {"mode", options.rate > 0 ? "open" : "closed"}, {"duration_s", options.duration_s},
                               {"warmup_s", options.warmup_s}, {"threads", options.threads},
                               {"framing", "length"}}}};
    results.runs.push_back(std::move(rec));
    try {
      perf::write_result_file(results, out_path);
      std::printf("  wrote %s\n", out_path.c_str());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "actorlab load: %s\n", e.what());
      return 1;
    }
  }
  return r.ok ? 0 : 1;
}

}  // namespace

NetCommands::NetCommands(CLI::App& app) : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.echo = app.add_subcommand(
      "echo", "echo server until SIGINT/SIGTERM: frames of 4-byte big-endian length + payload (--framing=length) "
              "or raw bytes; prints its counters at the end");
  add_server_options(*s.echo, s.echo_flags, s.echo_options, s.echo_duration_s, s.echo_trace);
  s.echo->add_option("--framing", s.framing, "length: 4-byte big-endian length + payload, echoed frame by frame | "
                                             "raw: bytes echoed as they arrive")
      ->default_str("length")
      ->check(CLI::IsMember({"length", "raw"}));
  s.echo->add_option("--max-frame", s.echo_options.max_frame,
                     "largest payload a frame may announce; a bigger one closes the connection (counted)")
      ->default_str(std::to_string(io::kDefaultMaxFrameBytes))
      ->check(whole_number(1, uint64_t{1} << 30));

  s.http = app.add_subcommand("http", "HTTP/1.1 \"hello, world\" server with keep-alive until SIGINT/SIGTERM "
                                      "(for wrk); prints its counters at the end");
  add_server_options(*s.http, s.http_flags, s.http_options, s.http_duration_s, s.http_trace);
  s.http_options.kind = NetServiceKind::kHttp;

  LoadOptions& o = s.load_options;
  s.load = app.add_subcommand("load", "load generator for `actorlab echo` (length framing): N connections, "
                                      "closed loop or a fixed rate; verifies every echoed byte; prints throughput "
                                      "and latency percentiles, writes JSON with --out");
  // Ranges: what one client machine can mean (guessed bounds; a value past
  // them is a typo, and inf/nan would reach a double-to-integer conversion).
  s.load->add_option("--host", o.host, "echo server address")->default_str(o.host)->check(non_empty());
  s.load->add_option("--port", o.port, "echo server port")->required()->check(whole_number(1, 65535));
  s.load->add_option("--connections", o.connections, "TCP connections")
      ->default_str("100")
      ->check(whole_number(1, 1'000'000));
  s.load->add_option("--size", o.size, "payload bytes per message (plus the 4-byte header)")
      ->default_str("64")
      ->check(whole_number(0, uint64_t{1} << 30));
  s.load->add_option("--rate", o.rate,
                     "open loop: messages per second over all connections, latency from the intended send time; "
                     "0: closed loop (each connection sends its next message when the echo is back)")
      ->default_str("0")
      ->check(finite_number(1, 1e9, true));
  s.load->add_option("--duration", o.duration_s, "seconds measured (after the warm-up)")
      ->default_str("10")
      ->check(finite_number(0.001, 604800));
  s.load->add_option("--warmup", o.warmup_s, "seconds of load before measuring")
      ->default_str("1")
      ->check(finite_number(0, 604800));
  s.load->add_option("--threads", o.threads, "client threads, each with its own epoll loop")
      ->default_str("1")
      ->check(whole_number(1, 1024));
  s.load->add_option("--drain", o.drain_s, "seconds the echoes still in flight may take after the run")
      ->default_str("5")
      ->check(finite_number(0, 3600));
  s.load->add_option("--out", s.load_out, "write the result as JSON (Google Benchmark schema) to this path")
      ->check(non_empty());
}

NetCommands::~NetCommands() = default;

std::optional<int> NetCommands::run(const std::string& command_line) {
  State& s = *state_;
  if (s.echo->parsed()) {
    try {
      s.echo_options.framing = parse_framing(s.framing);
    } catch (const core::ConfigError& e) {
      std::fprintf(stderr, "actorlab echo: %s\n", e.what());
      return 2;
    }
    return run_server("echo", s.echo_flags, s.echo_options, s.echo_duration_s, s.echo_trace);
  }
  if (s.http->parsed()) return run_server("http", s.http_flags, s.http_options, s.http_duration_s, s.http_trace);
  if (s.load->parsed()) return run_load_command(s.load_options, s.load_out, command_line);
  return std::nullopt;
}

}  // namespace actorlab::bench
