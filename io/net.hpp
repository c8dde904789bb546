// net.hpp: the entry point of io/: attach a net service (net thread + epoll
// or io_uring backend + socket table) to an engine.
//
//   core::SocketApi& sockets = io::attach_net(engine, config);
//
// creates the service for config.backend ("epoll" | "uring") and config.net
// ("thread": a dedicated net thread; "worker": no net thread, a parked
// worker blocks in the backend instead of its futex; "auto", the default:
// worker, or thread under idle spin; Config::net_worker_driven), adds it to the
// engine (started after the workers, stopped before them) and attaches it
// as the runtime's SocketApi (Context::sockets()). Call before
// engine.start(). The network knobs come from the Config (max_connections,
// send_limit, send_budget, read_budget, send_timeout_ns, direct_writes, send_gather,
// uring_sqpoll, uring_buffers, uring_buffer_size, zero_copy_reads:
// NetOptions::from_config),
// checked by validate_net. Throws core::ConfigError for a bad knob and
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

// The service's knobs, resolved from a Config (defaults: core::Config's).
struct NetOptions {
  // Socket table size: the most sockets (listeners included) open at once.
  uint32_t max_sockets = 16384;
  // A socket's send queue limit (--send-limit): send() beyond it returns
  // kNoMemory, on every path (direct, queued, through a command).
  std::size_t max_queued_bytes = 64u << 20;
  // All sockets' queued unsent bytes together (--send-budget): kNoMemory past it.
  std::size_t send_budget = 256u << 20;
  // Per socket: read bytes not yet consumed by the owner (--read-budget);
  // past it reading pauses (io/read_credit.hpp).
  std::size_t read_budget = 1u << 20;
  // --send-timeout: a closing socket still flushing after this long is
  // released; a write with no progress for this long fails the socket
  // (ETIMEDOUT). 0 = never.
  uint64_t send_timeout_ns = 60'000'000'000;
  // Direct writes from workers (skynet's policy): -1 = the backend's
  // preference (epoll yes, uring no), 0 = never, 1 = always.
  int direct_writes = -1;
  // Queued frames of one socket written by one send (--send-gather; epoll:
  // a sendmsg of up to this many iovecs, so a socket costs one syscall per
  // driver round however many frames wait). 1 = one frame per send.
  uint32_t send_gather = 64;
  // Backend knobs (buffer ring size, SQPOLL, ...); max_slots is set from max_sockets.
  BackendOptions backend;

  // The Config's network fields (validate_net first: throws core::ConfigError).
  static NetOptions from_config(const core::Config& config);
};

// Checks the network knobs' ranges; throws core::ConfigError naming the knob
// (its flag) and what is allowed. One function, so the knob table can call it
// or take its ranges.
void validate_net(const core::Config& config);

core::SocketApi& attach_net(core::Engine& engine, const core::Config& config);
// Tests: options not from the Config (see NetOptions::from_config).
core::SocketApi& attach_net(core::Engine& engine, const core::Config& config, const NetOptions& options);

}  // namespace actorlab::io
