// bench/net/net_services.cpp: see net_services.hpp.
#include "bench/net/net_services.hpp"

#include "bench/workloads/workload_support.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <functional>
#include <memory>

#include "core/config.hpp"
#include "bench/net/http_parser.hpp"
#include "perf/clock.hpp"

namespace actorlab::bench {
namespace {

using core::ActorId;
using core::Context;
using core::Message;
using core::SocketApi;
using core::SocketEvent;
using core::SocketEventKind;
using core::SocketId;
using Stat = NetServiceStats;

// What every connection actor shares: the socket, the stats, and the
// end-of-connection bookkeeping: kEof (the peer finished sending) asks
// close(); the actor counts and exits on kClosed, or on kError when it had
// not asked close() (after close() a kClosed still follows an error).
//
// Timeouts: at most one timer (session kTimeoutSession) is pending per
// connection; timer_armed_ says whether it is. Data stores last_data_ns_;
// the http actor keeps head_since_ns_ (0: no head in progress). on_timer
// closes the connection when a deadline has passed, else re-arms for the
// nearest one.
class ConnectionActor : public core::Actor {
 public:
  ConnectionActor(SocketId socket, NetServiceStats& stats, uint64_t idle_timeout_ns, uint64_t header_timeout_ns)
      : socket_(socket), stats_(stats), idle_timeout_ns_(idle_timeout_ns), header_timeout_ns_(header_timeout_ns) {}

  void on_start(Context& ctx) override {
    const uint64_t now = perf::now_ns();
    last_data_ns_ = now;
    if (header_timeout_ns_ != 0) head_since_ns_ = now;  // the first head is awaited from the accept on
    arm(ctx, now);
  }

  void on_message(Context& ctx, Message& msg) final {
    if (msg.type == core::kTypeSocketData) {
      stats_.add(ctx.worker_index(), Stat::k_bytes_in, msg.size());
      if (idle_timeout_ns_ != 0 || header_timeout_ns_ != 0) last_data_ns_ = perf::now_ns();
      if (!closing_) on_data(ctx, msg.bytes());
      if (!timer_armed_ && !closing_) arm(ctx, last_data_ns_);  // a head began with no timer pending
    } else if (msg.type == core::kTypeTimeout) {
      if (msg.session == kTimeoutSession) on_timer(ctx);
    } else if (msg.type == core::kTypeSocketEvent) {
      const auto event = msg.as<SocketEvent>();
      switch (event.kind) {
        case SocketEventKind::kEof:  // the peer is done: close after our queued writes
          close(ctx);
          break;
        case SocketEventKind::kError:
          if (close_asked_) break;  // kClosed still follows
          stats_.add(ctx.worker_index(), Stat::k_socket_errors);
          [[fallthrough]];
        case SocketEventKind::kClosed:
          stats_.add(ctx.worker_index(), Stat::k_closed);
          if (timer_armed_) ctx.cancel_timeout(kTimeoutSession);  // not left in the wheel for a whole timeout
          timer_armed_ = false;
          ctx.exit();
          break;
        default:
          break;
      }
    }
  }

 protected:
  virtual void on_data(Context& ctx, std::span<const std::byte> bytes) = 0;

  // Sends; a refused send closes the connection (its bytes cannot be dropped).
  void send(Context& ctx, std::span<const std::byte> bytes) {
    if (bytes.empty() || closing_) return;
    if (fault_drops_this_send()) [[unlikely]]
      return;  // test-only fault hook (bench/workloads/workload_support.hpp): the echo workload must notice
    switch (ctx.sockets()->send(socket_, bytes)) {
      case core::SocketStatus::kOk:
        stats_.add(ctx.worker_index(), Stat::k_bytes_out, bytes.size());
        break;
      case core::SocketStatus::kNoMemory:
        stats_.add(ctx.worker_index(), Stat::k_send_refused);
        close(ctx);
        break;
      case core::SocketStatus::kDead:  // broken or closed: kError or kClosed is on its way
        closing_ = true;
        break;
    }
  }
  // Closes after queued writes; the kClosed that follows ends the actor.
  void close(Context& ctx) {
    if (close_asked_) return;
    closing_ = close_asked_ = true;
    ctx.sockets()->close(socket_);
  }

  // The http actor: a request head is in progress since `since_ns` (0: none).
  void set_head_since(uint64_t since_ns) noexcept { head_since_ns_ = header_timeout_ns_ != 0 ? since_ns : 0; }
  uint64_t last_data_ns() const noexcept { return last_data_ns_; }
  uint64_t head_since_ns() const noexcept { return head_since_ns_; }

  SocketId socket_;
  NetServiceStats& stats_;
  bool closing_ = false;      // nothing more is read or sent
  bool close_asked_ = false;  // close() was called: a kClosed will come

 private:
  static constexpr uint32_t kTimeoutSession = 1;  // connection actors make no call(): no clash

  // The earliest deadline in force, or 0 for none.
  uint64_t next_deadline() const noexcept {
    uint64_t deadline = idle_timeout_ns_ != 0 ? last_data_ns_ + idle_timeout_ns_ : 0;
    if (head_since_ns_ != 0) {
      const uint64_t head = head_since_ns_ + header_timeout_ns_;
      if (deadline == 0 || head < deadline) deadline = head;
    }
    return deadline;
  }

  void arm(Context& ctx, uint64_t now) noexcept {
    const uint64_t deadline = next_deadline();
    if (deadline == 0) return;
    const uint64_t delay = deadline > now ? deadline - now : 0;
    timer_armed_ = ctx.timeout(std::chrono::nanoseconds(delay), kTimeoutSession);
  }

  void on_timer(Context& ctx) noexcept {
    timer_armed_ = false;
    if (closing_) return;
    const uint64_t now = perf::now_ns();
    if (head_since_ns_ != 0 && now - head_since_ns_ >= header_timeout_ns_) {
      stats_.add(ctx.worker_index(), Stat::k_header_timeouts);
      close(ctx);
    } else if (idle_timeout_ns_ != 0 && now - last_data_ns_ >= idle_timeout_ns_) {
      stats_.add(ctx.worker_index(), Stat::k_idle_timeouts);
      close(ctx);
    } else {
      arm(ctx, now);  // traffic came since: wait for the remainder
    }
  }

  const uint64_t idle_timeout_ns_;
  const uint64_t header_timeout_ns_;
  uint64_t last_data_ns_ = 0;   // when the last data message arrived (steady clock)
  uint64_t head_since_ns_ = 0;  // http: when the head in progress began; 0: none
  bool timer_armed_ = false;    // a kTimeoutSession timer is pending
};

class EchoConnection final : public ConnectionActor {
 public:
  EchoConnection(SocketId socket, NetServiceStats& stats, const NetServiceOptions& options)
      : ConnectionActor(socket, stats, options.idle_timeout_ns, 0),
        framing_(options.framing),
        decoder_(options.max_frame) {}

 private:
  void on_data(Context& ctx, std::span<const std::byte> bytes) override {
    if (framing_ == Framing::kRaw) {
      stats_.add(ctx.worker_index(), Stat::k_messages);
      send(ctx, bytes);
      return;
    }
    // Whole frames go back unchanged. Frames from the input are adjacent in
    // memory and leave in one send; a frame completed in the decoder's
    // buffer (valid only during the callback) leaves at once.
    std::span<const std::byte> run;
    uint64_t frames = 0;
    const auto status = decoder_.feed(bytes, [&](const io::Frame& frame) {
      ++frames;
      if (frame.buffered) {
        send(ctx, frame.wire);
      } else if (!run.empty() && run.data() + run.size() == frame.wire.data()) {
        run = {run.data(), run.size() + frame.wire.size()};
      } else {
        send(ctx, run);
        run = frame.wire;
      }
    });
    send(ctx, run);
    stats_.add(ctx.worker_index(), Stat::k_messages, frames);
    if (status == io::FrameDecoder::Status::kOversize) {
      stats_.add(ctx.worker_index(), Stat::k_oversize_frames);
      close(ctx);
    }
  }

  Framing framing_;
  io::FrameDecoder decoder_;
};

class HttpConnection final : public ConnectionActor {
 public:
  HttpConnection(SocketId socket, NetServiceStats& stats, const NetServiceOptions& options)
      : ConnectionActor(socket, stats, options.idle_timeout_ns, options.header_timeout_ns) {}

 private:
  void on_data(Context& ctx, std::span<const std::byte> bytes) override {
    parser_.feed(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    out_.clear();
    bool close_after = false;
    io::HttpRequest request;
    while (!close_after) {
      const auto status = parser_.next(request);
      if (status == io::HttpRequestParser::Status::kNeedMore) break;
      if (status == io::HttpRequestParser::Status::kError) {
        stats_.add(ctx.worker_index(), Stat::k_bad_requests);
        const int code = parser_.error_status();
        const std::string body = parser_.error_reason() + "\n";
        out_ += fmt::format("HTTP/1.1 {} {}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                            code, io::http_reason(code), body.size(), body);
        close_after = true;
        break;
      }
      stats_.add(ctx.worker_index(), Stat::k_messages);
      const bool head = request.method == "HEAD";
      out_ += request.version_minor == 0 ? "HTTP/1.0 200 OK\r\n" : "HTTP/1.1 200 OK\r\n";
      out_ += "Content-Type: text/plain\r\nContent-Length: ";
      out_ += std::to_string(kHttpHelloBody.size());
      if (!request.keep_alive) {
        out_ += "\r\nConnection: close";
        close_after = true;
      } else if (request.version_minor == 0) {
        out_ += "\r\nConnection: keep-alive";
      }
      out_ += "\r\n\r\n";
      if (!head) out_ += kHttpHelloBody;
    }
    send(ctx, std::as_bytes(std::span(out_.data(), out_.size())));
    if (close_after) close(ctx);
    // A head still incomplete keeps the stamp of its first read; none
    // pending clears it (keep-alive: the idle timeout governs the wait).
    if (parser_.buffered() == 0)
      set_head_since(0);
    else if (head_since_ns() == 0)
      set_head_since(last_data_ns());
  }

  io::HttpRequestParser parser_;
  std::string out_;
};

class ServiceListener final : public core::Actor {
 public:
  ServiceListener(NetServiceOptions options, NetServiceStats& stats, std::promise<ListenResult> listening)
      : options_(std::move(options)), stats_(stats), listening_(std::move(listening)) {}

  void on_start(Context& ctx) override {
    ListenResult result;
    SocketApi* sockets = ctx.sockets();
    if (sockets == nullptr) {
      result.error = ENOTSUP;
    } else {
      result.socket = sockets->listen(ctx.self(), options_.host, options_.port, &result.error);
      if (result.socket.valid()) {
        result.error = 0;
        result.port = sockets->bound_port(result.socket);
      } else if (result.error == 0) {
        result.error = EINVAL;
      }
    }
    listening_.set_value(result);
  }

  void on_message(Context& ctx, Message& msg) override {
    if (msg.type != core::kTypeSocketEvent) return;
    const auto event = msg.as<SocketEvent>();
    switch (event.kind) {
      case SocketEventKind::kAccepted: accept(ctx, event.other); break;
      case SocketEventKind::kWarning: stats_.add(ctx.worker_index(), Stat::k_listener_warnings); break;
      default: break;  // the listener closed (engine stopping): nothing to do
    }
  }

 private:
  void accept(Context& ctx, SocketId connection) {
    std::unique_ptr<core::Actor> actor;
    if (options_.kind == NetServiceKind::kEcho)
      actor = std::make_unique<EchoConnection>(connection, stats_, options_);
    else
      actor = std::make_unique<HttpConnection>(connection, stats_, options_);
    const ActorId id = ctx.spawn(std::move(actor));
    if (!id) {
      stats_.add(ctx.worker_index(), Stat::k_spawn_failures);
      ctx.sockets()->close(connection);
      return;
    }
    stats_.add(ctx.worker_index(), Stat::k_accepted);
    ctx.sockets()->start(connection, id);
  }

  NetServiceOptions options_;
  NetServiceStats& stats_;
  std::promise<ListenResult> listening_;
};

}  // namespace

Framing parse_framing(std::string_view text) {
  if (text == "length") return Framing::kLength;
  if (text == "raw") return Framing::kRaw;
  throw core::ConfigError(fmt::format("framing: unknown value '{}' (valid: length, raw)", text));
}

const char* to_string(Framing framing) noexcept { return framing == Framing::kRaw ? "raw" : "length"; }

uint64_t NetServiceStats::get(Counter counter) const noexcept {
  uint64_t sum = 0;
  for (const auto& slot : slots_) sum += slot.values[counter].get();
  return sum;
}

std::map<std::string, uint64_t> NetServiceStats::snapshot() const {
  std::map<std::string, uint64_t> out;
#define ACTORLAB_COUNTER_SNAPSHOT(name, doc) out[#name] = get(k_##name);
  ACTORLAB_NET_SERVICE_COUNTERS(ACTORLAB_COUNTER_SNAPSHOT)
#undef ACTORLAB_COUNTER_SNAPSHOT
  return out;
}

std::future<ListenResult> spawn_net_service(core::Engine& engine, const NetServiceOptions& options,
                                            NetServiceStats& stats) {
  std::promise<ListenResult> listening;
  auto future = listening.get_future();
  const ActorId listener = engine.spawn(std::make_unique<ServiceListener>(options, stats, std::move(listening)));
  if (!listener) {
    std::promise<ListenResult> failed;
    failed.set_value(ListenResult{core::SocketId{}, 0, ENOMEM});
    return failed.get_future();
  }
  return future;
}

}  // namespace actorlab::bench
