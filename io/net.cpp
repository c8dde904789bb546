// net.cpp: attach_net (see net.hpp): the one place where a backend name
// becomes a Backend.
#include "io/net.hpp"

#include <fmt/format.h>

#include <string_view>

#include "io/net_service.hpp"
#include "io/socket_table.hpp"

namespace actorlab::io {

namespace {

void check_range(std::string_view flag, uint64_t value, uint64_t min, uint64_t max, std::string_view unit) {
  if (value < min || value > max)
    throw core::ConfigError(fmt::format("--{}: {} is out of range; allowed: {} .. {}{}", flag, value, min, max, unit));
}

}  // namespace

// Ranges: sizes from 4 KiB (a page: smaller budgets pause on every read)
// to 1 TiB (read credit packs 40 bits of bytes, io/read_credit.hpp);
// durations (ns here, seconds on the command line) 0 = never, else at
// least 1 ms (the driver's sweep granularity) and at most a day.
void validate_net(const core::Config& config) {
  constexpr uint64_t kMinBytes = 4096, kMaxBytes = uint64_t{1} << 39;
  check_range("max-connections", config.max_connections, 2, SocketTable::kMaxSlots - 1, "");
  check_range("send-limit", config.send_limit, kMinBytes, kMaxBytes, " bytes");
  check_range("send-budget", config.send_budget, kMinBytes, kMaxBytes, " bytes");
  check_range("read-budget", config.read_budget, kMinBytes, kMaxBytes, " bytes");
  if (config.send_timeout_ns != 0)
    check_range("send-timeout", config.send_timeout_ns, 1'000'000, 86'400'000'000'000,
                " ns (1 ms .. 1 day; 0 = never)");
  if (config.direct_writes != "auto" && config.direct_writes != "on" && config.direct_writes != "off")
    throw core::ConfigError(
        fmt::format("--direct-writes: unknown '{}'; valid: auto, on, off", config.direct_writes));
  check_range("send-gather", config.send_gather, 1, kMaxSendGather, " frames");
  const uint32_t n = config.uring_buffers;
  if (n < 1 || n > 32768 || (n & (n - 1)) != 0)
    throw core::ConfigError(
        fmt::format("--uring-buffers: {} is not allowed; a power of two in 1 .. 32768", n));
  check_range("uring-buffer-size", config.uring_buffer_size, 512, 1u << 20, " bytes");
  check_range("zero-copy-reads", config.zero_copy_reads, 0, 1u << 20, " bytes (0 = copy every read)");
}

NetOptions NetOptions::from_config(const core::Config& config) {
  validate_net(config);
  NetOptions options;
  options.max_sockets = config.max_connections;
  options.max_queued_bytes = config.send_limit;
  options.send_budget = config.send_budget;
  options.read_budget = config.read_budget;
  options.send_timeout_ns = config.send_timeout_ns;
  options.direct_writes = config.direct_writes == "auto" ? -1 : (config.direct_writes == "on" ? 1 : 0);
  options.send_gather = config.send_gather;
  options.backend.uring_sqpoll = config.uring_sqpoll;
  options.backend.uring_buffers = config.uring_buffers;
  options.backend.uring_buffer_size = config.uring_buffer_size;
  options.backend.zero_copy_reads = config.zero_copy_reads;
  return options;
}

core::SocketApi& attach_net(core::Engine& engine, const core::Config& config) {
  return attach_net(engine, config, NetOptions::from_config(config));
}

core::SocketApi& attach_net(core::Engine& engine, const core::Config& config, const NetOptions& options) {
  config.validate();
  const bool worker_driven = config.net_worker_driven();
  NetOptions effective = options;
  effective.backend.max_slots = effective.max_sockets;
  // With worker drivers several threads take turns on the ring: no
  // SINGLE_ISSUER / DEFER_TASKRUN.
  if (worker_driven) effective.backend.uring_single_issuer = false;
  std::unique_ptr<Backend> backend;
  if (config.backend == "epoll")
    backend = make_epoll_backend(effective.backend);
  else if (config.backend == "uring")
    backend = make_uring_backend(effective.backend);
  else
    throw core::ConfigError(fmt::format("backend: unknown '{}'; valid: epoll, uring", config.backend));
  auto service = std::make_unique<NetService>(engine.runtime(), std::move(backend), effective, worker_driven);
  if (worker_driven && !engine.runtime().attach_idle_driver(service.get()))
    throw core::ConfigError(fmt::format(
        "net: 'worker' needs a policy whose idle workers park through core/idle.hpp (skynet, steal); "
        "policy {} parks each worker on its own futex: use --net=thread",
        config.policy));
  NetService& ref = engine.add_service(std::move(service));
  engine.runtime().attach_sockets(&ref);
  return ref;
}

}  // namespace actorlab::io
