// bench/net/net_services.hpp: the echo and HTTP "hello" services, as actors on
// the socket API (core/services.hpp), skynet gate/agent style: a listener
// actor owns the listening socket and spawns one connection actor per
// accepted connection, handing the socket over with SocketApi::start.
//
// echo, framing `length` (default): frames are 4-byte big-endian length +
//   payload (bench/net/framing.hpp); every whole frame goes back unchanged, all the
//   frames of one data message in one send. A frame over max_frame closes
//   the connection and counts `oversize_frames`.
// echo, framing `raw`: each data message goes back as it came.
// http: HTTP/1.1 "hello, world" with keep-alive (bench/net/http_parser.hpp);
//   pipelined requests are answered in order, in one send per data message;
//   a refused request gets its status (400/413/431/501/505) and a close.
// Timeouts (nginx's keepalive_timeout and client_header_timeout): a
//   connection that received nothing for idle_timeout_ns is closed
//   (`idle_timeouts`); an http connection whose request head stays
//   incomplete for header_timeout_ns (from the accept, or from the first
//   byte of a later head) is closed (`header_timeouts`). Cheap by design:
//   one timer per connection at a time (Context::timeout), never one per
//   message; a data message only stores a clock stamp, and the timer, on
//   firing, compares the stamps with now and re-arms for the remainder, so
//   a connection with traffic costs one timer per idle_timeout_ns. 0 turns
//   a timeout off.
// A send the socket refuses (queue full) closes the connection: dropping
// bytes would corrupt the stream. Socket errors end the connection actor and
// are counted, never thrown.
// Threads: NetServiceStats has one slot of relaxed atomic counters per
// worker (single writer in practice; fetch_add keeps it exact if a worker
// index repeats); readers sum the slots with relaxed loads, exact once the
// engine has stopped (thread joins order the writes before the read).
#pragma once

#include <atomic>
#include <cstdint>
#include <future>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/actor.hpp"
#include "core/cache_line.hpp"
#include "core/config.hpp"
#include "core/counters.hpp"
#include "core/engine.hpp"
#include "bench/net/framing.hpp"

namespace actorlab::bench {

enum class NetServiceKind { kEcho, kHttp };
enum class Framing { kLength, kRaw };

// "length" | "raw"; throws core::ConfigError naming the valid values.
Framing parse_framing(std::string_view text);
const char* to_string(Framing framing) noexcept;

#define ACTORLAB_NET_SERVICE_COUNTERS(X)                                                   \
  X(accepted, "connections accepted")                                                      \
  X(closed, "connections ended (closed by either side, or by an error)")                   \
  X(messages, "frames echoed (length), data messages echoed (raw), HTTP requests answered") \
  X(bytes_in, "bytes received")                                                            \
  X(bytes_out, "bytes sent (queued or written)")                                           \
  X(oversize_frames, "connections closed for a frame over the size limit")                 \
  X(bad_requests, "HTTP requests refused with 4xx/5xx, connection closed")                 \
  X(send_refused, "connections closed because a send was refused (send queue full)")      \
  X(socket_errors, "connections ended by a socket error (reset, ...)")                     \
  X(listener_warnings, "warnings on the listening socket (e.g. EMFILE: accept paused)")    \
  X(spawn_failures, "accepted connections closed: no actor could be spawned")             \
  X(idle_timeouts, "connections closed after idle_timeout_ns without receiving a byte")    \
  X(header_timeouts, "http connections closed: a request head incomplete for header_timeout_ns")

class NetServiceStats {
 public:
  enum Counter : int {
#define ACTORLAB_COUNTER_ENUM(name, doc) k_##name,
    ACTORLAB_NET_SERVICE_COUNTERS(ACTORLAB_COUNTER_ENUM)
#undef ACTORLAB_COUNTER_ENUM
        kCount
  };

  explicit NetServiceStats(int workers) : slots_(static_cast<std::size_t>(workers < 1 ? 1 : workers)) {}
  void add(int worker, Counter counter, uint64_t n = 1) noexcept {
    const std::size_t slot = worker < 0 ? 0 : static_cast<std::size_t>(worker) % slots_.size();
    slots_[slot].values[counter].add(n);
  }
  uint64_t get(Counter counter) const noexcept;
  // Every counter by name, summed over the workers.
  std::map<std::string, uint64_t> snapshot() const;

 private:
  struct alignas(core::kCacheLine) Slot {
    core::SharedCounter values[kCount];
  };
  std::vector<Slot> slots_;
};

struct NetServiceOptions {
  NetServiceKind kind = NetServiceKind::kEcho;
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0: the kernel picks one
  Framing framing = Framing::kLength;
  uint32_t max_frame = io::kDefaultMaxFrameBytes;  // echo, length framing
  // From core::Config (idle_timeout_ns, header_timeout_ns; the knob table
  // gives them flags): the server's defaults unless a caller lowers them.
  uint64_t idle_timeout_ns = core::Config{}.idle_timeout_ns;      // every service; 0: none
  uint64_t header_timeout_ns = core::Config{}.header_timeout_ns;  // http only; 0: none

  // Copies the service knobs a Config carries (the timeouts).
  void apply(const core::Config& config) noexcept {
    idle_timeout_ns = config.idle_timeout_ns;
    header_timeout_ns = config.header_timeout_ns;
  }
};

// What the listener reports once it has tried to listen.
struct ListenResult {
  core::SocketId socket;  // invalid on failure
  uint16_t port = 0;      // the bound port
  int error = 0;          // errno value on failure (ENOTSUP: no socket service)
};

// Spawns the service's listener on `engine`; the listener listens in its
// on_start and fulfils the returned future (so spawn before or after
// Engine::start). `stats` must outlive the engine's stop.
std::future<ListenResult> spawn_net_service(core::Engine& engine, const NetServiceOptions& options,
                                            NetServiceStats& stats);

// The HTTP service's answer, for tests: "hello, world\n".
inline constexpr std::string_view kHttpHelloBody = "hello, world\n";

}  // namespace actorlab::bench
