// echo_server.cpp: a TCP echo server on the net API, skynet's gate/agent
// shape: a listener actor owns the listening socket and spawns one actor per
// connection, which sends back every byte it reads.
//
//   build/examples/echo_server          serve on 127.0.0.1, drive it with a client, check, exit
//   build/examples/echo_server serve    serve until killed (try: nc 127.0.0.1 PORT)
//
// What it shows: io::attach_net (the net thread), Context::sockets()
// (listen, start, send, close), socket events as messages, ctx.exit(), and
// the inbox carrying the bound port to main. Exits 0 when the client got
// every byte back unchanged, 1 otherwise.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "core/engine.hpp"
#include "io/fd.hpp"
#include "io/net.hpp"
#include "sched/select.hpp"

namespace core = actorlab::core;
using core::SocketEvent;
using core::SocketEventKind;
using namespace std::chrono_literals;

constexpr uint32_t kPort = core::kFirstUserType;

// One per connection: data in, same data out; the peer's EOF closes it.
class Connection : public core::Actor {
 public:
  explicit Connection(core::SocketId socket) : socket_(socket) {}
  void on_message(core::Context& ctx, core::Message& msg) override {
    if (msg.type == core::kTypeSocketData) {  // session = the socket, payload = the bytes read
      if (ctx.sockets()->send(socket_, msg.bytes()) != core::SocketStatus::kOk) ctx.sockets()->close(socket_);
    } else if (msg.type == core::kTypeSocketEvent) {
      const auto event = msg.as<SocketEvent>();
      if (event.kind == SocketEventKind::kEof) ctx.sockets()->close(socket_);  // flushes first
      if (event.kind == SocketEventKind::kClosed || event.kind == SocketEventKind::kError) ctx.exit();
    }
  }

 private:
  core::SocketId socket_;
};

// Listens on 127.0.0.1 (port 0: the kernel picks), tells `report_to` the port.
class Listener : public core::Actor {
 public:
  explicit Listener(core::ActorId report_to) : report_to_(report_to) {}
  void on_start(core::Context& ctx) override {
    int error = 0;
    const core::SocketId listener = ctx.sockets()->listen(ctx.self(), "127.0.0.1", 0, &error);
    const uint16_t port = listener.valid() ? ctx.sockets()->bound_port(listener) : 0;
    ctx.send(report_to_, kPort, port);  // 0: listen failed
  }
  void on_message(core::Context& ctx, core::Message& msg) override {
    if (msg.type != core::kTypeSocketEvent) return;
    const auto event = msg.as<SocketEvent>();
    if (event.kind != SocketEventKind::kAccepted) return;
    const core::ActorId agent = ctx.spawn<Connection>(event.other);
    if (agent.valid()) ctx.sockets()->start(event.other, agent);  // reading starts now, to `agent`
    else ctx.sockets()->close(event.other);
  }

 private:
  core::ActorId report_to_;
};

// A plain blocking client: sends `text` `times` times, reads it all back.
bool client_round_trip(uint16_t port, const std::string& text, int times) {
  actorlab::io::UniqueFd fd(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (!fd.valid() || ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return false;
  std::string sent, got;
  for (int i = 0; i < times; ++i) sent += text + " #" + std::to_string(i) + "\n";
  if (::write(fd.get(), sent.data(), sent.size()) != static_cast<ssize_t>(sent.size())) return false;
  ::shutdown(fd.get(), SHUT_WR);  // EOF: the server closes after echoing everything
  char buf[4096];
  for (ssize_t n; (n = ::read(fd.get(), buf, sizeof buf)) > 0;) got.append(buf, static_cast<std::size_t>(n));
  return got == sent;
}

int main(int argc, char** argv) {
  const bool serve = argc > 1 && std::string(argv[1]) == "serve";
  core::Config config;  // policy steal, 2 threads, backend epoll, net auto (a worker drives it)
  auto engine = actorlab::sched::make_engine(config);
  actorlab::io::attach_net(*engine, config);  // before start()
  core::Inbox inbox = engine->inbox();
  engine->spawn<Listener>(inbox.id());
  engine->start();
  auto port_msg = inbox.receive(10s);
  const uint16_t port = port_msg ? port_msg->as<uint16_t>() : 0;
  if (port == 0) {
    std::fprintf(stderr, "echo_server: FAILED: could not listen on 127.0.0.1\n");
    return 1;
  }
  std::printf("echo_server: listening on 127.0.0.1:%u\n", port);
  std::fflush(stdout);
  if (serve)
    for (;;) std::this_thread::sleep_for(1h);
  bool ok = true;
  for (int connection = 0; connection < 4 && ok; ++connection)
    ok = client_round_trip(port, "hello actorlab", 1000);
  engine->stop();
  std::printf("echo_server: %s\n", ok ? "4 connections x 1000 lines echoed unchanged" : "FAILED: echo differs");
  return ok ? 0 : 1;
}
