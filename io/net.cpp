// net.cpp: attach_net (see net.hpp): the one place where a backend name
// becomes a Backend.
#include "io/net.hpp"

#include <fmt/format.h>

#include <cstdlib>

#include "io/net_service.hpp"

namespace actorlab::io {

NetOptions NetOptions::from_environment() {
  NetOptions options;
  if (const char* v = std::getenv("ACTORLAB_URING_SQPOLL"))
    options.backend.uring_sqpoll = core::parse_unsigned(v, 0, 1, "ACTORLAB_URING_SQPOLL") != 0;
  if (const char* v = std::getenv("ACTORLAB_URING_BUFFERS")) {
    const auto n = core::parse_unsigned(v, 1, 32768, "ACTORLAB_URING_BUFFERS");
    if ((n & (n - 1)) != 0)
      throw core::ConfigError(fmt::format("ACTORLAB_URING_BUFFERS: {} is not a power of two", n));
    options.backend.uring_buffers = static_cast<uint32_t>(n);
  }
  if (const char* v = std::getenv("ACTORLAB_URING_BUFFER_SIZE"))
    options.backend.uring_buffer_size =
        static_cast<uint32_t>(core::parse_unsigned(v, 512, 1u << 20, "ACTORLAB_URING_BUFFER_SIZE"));
  if (const char* v = std::getenv("ACTORLAB_DIRECT_WRITES"))
    options.direct_writes = static_cast<int>(core::parse_unsigned(v, 0, 1, "ACTORLAB_DIRECT_WRITES"));
  return options;
}

core::SocketApi& attach_net(core::Engine& engine, const core::Config& config) {
  return attach_net(engine, config, NetOptions::from_environment());
}

core::SocketApi& attach_net(core::Engine& engine, const core::Config& config, const NetOptions& options) {
  config.validate();
  const bool worker_driven = config.net == "worker";
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
