// bench/net_services.cpp: see net_services.hpp.
#include "bench/net_services.hpp"

#include "bench/workload_support.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <functional>
#include <memory>

#include "core/config.hpp"
#include "io/http_parser.hpp"

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
class ConnectionActor : public core::Actor {
 public:
  ConnectionActor(SocketId socket, NetServiceStats& stats) : socket_(socket), stats_(stats) {}

  void on_message(Context& ctx, Message& msg) final {
    if (msg.type == core::kTypeSocketData) {
      stats_.add(ctx.worker_index(), Stat::k_bytes_in, msg.size());
      if (!closing_) on_data(ctx, msg.bytes());
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
      return;  // test-only fault hook (bench/workload_support.hpp): the echo workload must notice
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

  SocketId socket_;
  NetServiceStats& stats_;
  bool closing_ = false;      // nothing more is read or sent
  bool close_asked_ = false;  // close() was called: a kClosed will come
};

class EchoConnection final : public ConnectionActor {
 public:
  EchoConnection(SocketId socket, NetServiceStats& stats, Framing framing, uint32_t max_frame)
      : ConnectionActor(socket, stats), framing_(framing), decoder_(max_frame) {}

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
  HttpConnection(SocketId socket, NetServiceStats& stats) : ConnectionActor(socket, stats) {}

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
      actor = std::make_unique<EchoConnection>(connection, stats_, options_.framing, options_.max_frame);
    else
      actor = std::make_unique<HttpConnection>(connection, stats_);
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
