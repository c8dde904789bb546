// net.hpp: the entry point of io/: attach a net service (net thread + epoll
// or io_uring backend + socket table) to an engine.
//
//   core::SocketApi& sockets = io::attach_net(engine, config);
//
// creates the service for config.backend ("epoll" | "uring") and config.net
// ("thread": a dedicated net thread; "worker": no net thread, a parked
// worker blocks in the backend instead of its futex; policy pinned refuses
// it with a ConfigError), adds it to the
// engine (started after the workers, stopped before them) and attaches it
// as the runtime's SocketApi (Context::sockets()). Call before
// engine.start(). Throws core::ConfigError for a bad knob and
// std::runtime_error if the kernel refuses the backend (e.g. io_uring
// disabled by sysctl).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/config.hpp"
#include "core/engine.hpp"
#include "core/services.hpp"
#include "io/backend.hpp"

namespace actorlab::io {

struct NetOptions {
  // Socket table size: the most sockets (listeners included) open at once.
  uint32_t max_sockets = 16384;
  // A socket's send queue limit: send() beyond it returns kNoMemory.
  std::size_t max_queued_bytes = 64u << 20;
  // Direct writes from workers (skynet's policy): -1 = the backend's
  // preference (epoll yes, uring no), 0 = never, 1 = always.
  int direct_writes = -1;
  // Backend knobs (buffer ring size, SQPOLL, ...); max_slots is set from max_sockets.
  BackendOptions backend;

  // Reads ACTORLAB_URING_SQPOLL=0|1, ACTORLAB_URING_BUFFERS=N,
  // ACTORLAB_URING_BUFFER_SIZE=N and ACTORLAB_DIRECT_WRITES=0|1 from the
  // environment (the knobs that Config does not carry); a malformed value
  // throws core::ConfigError.
  static NetOptions from_environment();
};

core::SocketApi& attach_net(core::Engine& engine, const core::Config& config);
core::SocketApi& attach_net(core::Engine& engine, const core::Config& config, const NetOptions& options);

}  // namespace actorlab::io
