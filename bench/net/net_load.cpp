// bench/net/net_load.cpp: see net_load.hpp.
#include "bench/net/net_load.hpp"

#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "bench/net/framing.hpp"
#include "perf/clock.hpp"

namespace actorlab::bench {
namespace {

constexpr uint64_t kNoDeadline = UINT64_MAX;
constexpr std::size_t kPatternSpread = 256;  // offsets into the pattern
// Open loop: most sends per loop iteration; what is owed beyond is missed.
// Guessed: 256 frames of 64 B take ~50 us to hand to the kernel, so the
// loop reads at least every ~50 us however far behind the schedule it is.
constexpr uint64_t kMaxBurst = 256;
// Per connection: bytes sent and not echoed yet. Bounds the client's own
// buffers (the pending output and the in-flight queue) and keeps it from
// pushing a server that does not keep up into its send limit. Guessed: far
// above what one connection has in flight at the echo's measured rates.
constexpr std::size_t kMaxInFlightBytes = 4u << 20;

// missed counts can be astronomical (--rate=1e300): they saturate.
void add_saturating(uint64_t& total, uint64_t n) noexcept { total = total > UINT64_MAX - n ? UINT64_MAX : total + n; }

// The fixed random pattern payloads are cut from (size + spread bytes).
std::vector<std::byte> make_pattern(std::size_t size) {
  std::mt19937_64 rng(0x5eedULL);
  std::vector<std::byte> pattern(size + kPatternSpread);
  for (auto& b : pattern) b = std::byte(rng() & 0xff);
  return pattern;
}

void fill_payload(std::byte* dst, std::size_t size, const std::vector<std::byte>& pattern, uint32_t conn,
                  uint64_t seq) {
  if (size == 0) return;  // zero-length frames: nothing to fill (dst may be null)
  const std::size_t offset = (seq * 131 + conn * 17) % kPatternSpread;
  std::memcpy(dst, pattern.data() + offset, size);
  for (std::size_t i = 0; i < size && i < 8; ++i) dst[i] = std::byte((seq >> (8 * i)) & 0xff);
}

struct Connection {
  int fd = -1;
  uint32_t index = 0;           // over all threads
  uint64_t next_seq = 0;        // the next sequence number to send
  uint64_t next_echo = 0;       // the sequence number the next echo must carry
  uint64_t quota = UINT64_MAX;  // closed loop with a message count: messages to send
  std::deque<uint64_t> intended;  // send times of the messages in flight, oldest first
  std::vector<std::byte> out;   // bytes the kernel did not take yet
  std::size_t out_offset = 0;
  bool want_write = false;
  std::unique_ptr<io::FrameDecoder> decoder;
  // Bytes sent whose echo is not back yet (the bound kMaxInFlightBytes).
  std::size_t in_flight_bytes = 0;
  ~Connection() {
    if (fd >= 0) ::close(fd);
  }
};

struct Shared {
  const LoadOptions& options;
  std::vector<std::byte> pattern;
  std::atomic<bool> abort{false};  // relaxed: a request to stop; join orders the results
  uint64_t t0 = 0;                 // perf::now_ns() when sending starts
  uint64_t warmup_end = 0;
  uint64_t window_end = 0;         // kNoDeadline with a message count
};

class ClientThread {
 public:
  ClientThread(Shared& shared, std::vector<std::unique_ptr<Connection>> connections)
      : shared_(shared), connections_(std::move(connections)), scratch_(shared.options.size),
        read_buffer_(256 * 1024) {}

  // Runs the loop; fills result_ (error, counts, histogram).
  void run();
  LoadResult& result() { return result_; }

 private:
  bool fail(std::string why) {
    if (result_.error.empty()) result_.error = std::move(why);
    shared_.abort.store(true, std::memory_order_relaxed);
    return false;
  }
  bool send_message(Connection& c, uint64_t intended_ns);
  bool has_room(const Connection& c) const noexcept;
  bool send_due(uint64_t now, uint64_t& wake_at);
  bool flush(Connection& c);
  bool on_readable(Connection& c);
  bool set_write_interest(Connection& c, bool on);
  bool in_window(uint64_t t) const { return t >= shared_.warmup_end && t < shared_.window_end; }
  bool sending_allowed(uint64_t now) const { return now < shared_.window_end; }

  Shared& shared_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::vector<std::byte> scratch_;
  std::vector<std::byte> read_buffer_;
  int epoll_fd_ = -1;
  uint64_t in_flight_ = 0;
  // Open loop: the schedule, in ns after t0 (a double: a rate of 1e300 has
  // intervals far below 1 ns), and the sends made so far (round-robin).
  double interval_ns_ = 0;
  double next_due_ns_ = 0;
  uint64_t scheduled_ = 0;
  LoadResult result_;
};

// Open loop: sends the messages due by `now`, at most kMaxBurst of them;
// the rest of what is owed, and any message a connection has no room for
// (kMaxInFlightBytes), is counted in `missed` and skipped, so the loop always
// gets back to reading (an absurd --rate must not starve the reads, nor grow
// the client's buffers without bound). wake_at: the next due instant.
bool ClientThread::send_due(uint64_t now, uint64_t& wake_at) {
  const double window_end = shared_.window_end == kNoDeadline ? 1e300 : static_cast<double>(shared_.window_end - shared_.t0);
  const double elapsed = static_cast<double>(now - shared_.t0);
  if (next_due_ns_ >= window_end) return true;
  if (next_due_ns_ > elapsed) {
    wake_at = shared_.t0 + static_cast<uint64_t>(next_due_ns_);
    return true;
  }
  // Messages owed: due in [next_due, min(elapsed, window_end)].
  const double last = std::min(elapsed, std::nextafter(window_end, 0.0));
  const double owed_d = std::floor((last - next_due_ns_) / interval_ns_) + 1;
  const uint64_t owed = owed_d >= 9e18 ? UINT64_MAX / 2 : static_cast<uint64_t>(owed_d);
  const uint64_t burst = std::min<uint64_t>(owed, kMaxBurst);
  for (uint64_t k = 0; k < burst; ++k) {
    const double due = next_due_ns_ + static_cast<double>(k) * interval_ns_;
    Connection& c = *connections_[scheduled_ % connections_.size()];
    ++scheduled_;
    if (!has_room(c)) {
      add_saturating(result_.missed, 1);
      continue;
    }
    if (!send_message(c, shared_.t0 + static_cast<uint64_t>(due))) return false;
  }
  add_saturating(result_.missed, owed - burst);
  // The schedule moves past what was owed (sent or missed).
  const double advanced = next_due_ns_ + owed_d * interval_ns_;
  next_due_ns_ = owed > burst ? std::max(advanced, elapsed + interval_ns_) : advanced;
  if (next_due_ns_ <= elapsed) next_due_ns_ = elapsed + interval_ns_;  // sub-ns intervals: progress anyway
  // Behind: poll without sleeping, then come back; else sleep until the next one.
  wake_at = owed > burst ? now : shared_.t0 + static_cast<uint64_t>(next_due_ns_);
  return true;
}

bool ClientThread::has_room(const Connection& c) const noexcept {
  return c.in_flight_bytes + io::kFrameHeaderBytes + shared_.options.size <= kMaxInFlightBytes ||
         c.intended.empty();  // one message always fits, whatever its size
}

bool ClientThread::set_write_interest(Connection& c, bool on) {
  if (c.want_write == on) return true;
  epoll_event ev{};
  ev.events = EPOLLIN | (on ? EPOLLOUT : 0u);
  ev.data.ptr = &c;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &ev) != 0)
    return fail(fmt::format("epoll_ctl: {}", std::strerror(errno)));
  c.want_write = on;
  return true;
}

bool ClientThread::flush(Connection& c) {
  while (c.out_offset < c.out.size()) {
    const ssize_t n = ::send(c.fd, c.out.data() + c.out_offset, c.out.size() - c.out_offset, MSG_NOSIGNAL);
    if (n > 0) {
      c.out_offset += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return set_write_interest(c, true);
    } else {
      return fail(fmt::format("connection {}: send: {}", c.index, std::strerror(errno)));
    }
  }
  c.out.clear();
  c.out_offset = 0;
  return set_write_interest(c, false);
}

bool ClientThread::send_message(Connection& c, uint64_t intended_ns) {
  const uint32_t size = shared_.options.size;
  const auto header = io::frame_header(size);
  const std::size_t at = c.out.size();
  c.out.resize(at + io::kFrameHeaderBytes + size);
  std::memcpy(c.out.data() + at, header.data(), header.size());
  fill_payload(c.out.data() + at + io::kFrameHeaderBytes, size, shared_.pattern, c.index, c.next_seq);
  ++c.next_seq;
  c.intended.push_back(intended_ns);
  c.in_flight_bytes += io::kFrameHeaderBytes + size;
  ++in_flight_;
  ++result_.sent;
  if (result_.first_send_ns == 0) result_.first_send_ns = perf::now_ns();
  // With bytes already waiting for EPOLLOUT, the new ones queue behind them.
  return c.want_write ? true : flush(c);
}

bool ClientThread::on_readable(Connection& c) {
  while (true) {
    const ssize_t n = ::recv(c.fd, read_buffer_.data(), read_buffer_.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    if (n < 0) return fail(fmt::format("connection {}: recv: {}", c.index, std::strerror(errno)));
    if (n == 0)
      return fail(fmt::format("connection {}: closed by the server after {} echoes ({} in flight)", c.index,
                              c.next_echo, c.intended.size()));
    const uint64_t now = perf::now_ns();
    bool ok = true;
    uint32_t completed = 0;
    const auto status = c.decoder->feed(std::span(read_buffer_.data(), static_cast<std::size_t>(n)),
                                        [&](const io::Frame& frame) {
      if (!ok) return;
      if (c.intended.empty()) {
        ok = fail(fmt::format("connection {}: an echo nobody sent (after {} echoes)", c.index, c.next_echo));
        return;
      }
      if (frame.payload.size() != shared_.options.size) {
        ok = fail(fmt::format("connection {}: echo {} has {} bytes, sent {}", c.index, c.next_echo,
                              frame.payload.size(), shared_.options.size));
        return;
      }
      fill_payload(scratch_.data(), scratch_.size(), shared_.pattern, c.index, c.next_echo);
      if (!scratch_.empty() && std::memcmp(scratch_.data(), frame.payload.data(), scratch_.size()) != 0) {
        ok = fail(fmt::format("connection {}: echo {} differs from what was sent (lost, reordered or altered)",
                              c.index, c.next_echo));
        return;
      }
      const uint64_t intended = c.intended.front();
      c.intended.pop_front();
      c.in_flight_bytes -= io::kFrameHeaderBytes + shared_.options.size;
      ++c.next_echo;
      --in_flight_;
      ++result_.echoed;
      ++completed;
      result_.last_echo_ns = now;
      if (in_window(intended)) {
        ++result_.measured;
        result_.latency.record(now - intended);
      }
    });
    if (!ok) return false;
    if (status == io::FrameDecoder::Status::kOversize)
      return fail(fmt::format("connection {}: echo frame announces {} bytes, sent {}", c.index,
                              c.decoder->oversize_length(), shared_.options.size));
    // Closed loop: the next message goes as soon as the echo is back.
    if (shared_.options.rate == 0) {
      for (uint32_t i = 0; i < completed; ++i) {
        if (!sending_allowed(now) || c.next_seq >= c.quota) break;
        if (!send_message(c, perf::now_ns())) return false;
      }
    }
    if (static_cast<std::size_t>(n) < read_buffer_.size()) return true;
  }
}

void ClientThread::run() {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) {
    fail(fmt::format("epoll_create1: {}", std::strerror(errno)));
    return;
  }
  for (auto& c : connections_) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = c.get();
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, c->fd, &ev) != 0) {
      fail(fmt::format("epoll_ctl: {}", std::strerror(errno)));
      ::close(epoll_fd_);
      return;
    }
  }
  const LoadOptions& o = shared_.options;
  const bool open_loop = o.rate > 0;
  // Open loop: this thread's share of the rate, round-robin over its connections.
  const double share = static_cast<double>(connections_.size()) / o.connections;
  interval_ns_ = open_loop ? 1e9 / (o.rate * share) : 0;
  next_due_ns_ = 0;
  scheduled_ = 0;

  while (perf::now_ns() < shared_.t0) std::this_thread::yield();
  if (!open_loop) {
    for (auto& c : connections_)
      if (c->quota > 0 && !send_message(*c, perf::now_ns())) break;
  }
  const uint64_t drain_ns = static_cast<uint64_t>(o.drain_s * 1e9);
  const uint64_t max_run_ns = static_cast<uint64_t>(o.max_run_s * 1e9);
  std::vector<epoll_event> events(256);
  while (!shared_.abort.load(std::memory_order_relaxed)) {
    uint64_t now = perf::now_ns();
    uint64_t wake_at = kNoDeadline;
    if (open_loop && !connections_.empty() && !send_due(now, wake_at)) break;
    const bool sending_over = !sending_allowed(now) || (!open_loop && in_flight_ == 0);
    if (sending_over && in_flight_ == 0) break;  // everything came back
    if (shared_.window_end != kNoDeadline && now >= shared_.window_end + drain_ns) {
      fail(fmt::format("{} echoes still missing {} s after the run", in_flight_, o.drain_s));
      break;
    }
    if (shared_.window_end == kNoDeadline && now >= shared_.t0 + max_run_ns) {
      fail(fmt::format("timed out after {} s with {} echoes in flight", o.max_run_s, in_flight_));
      break;
    }
    // Wake for the next scheduled send, the window's end, or a 100 ms check.
    uint64_t limit = std::min<uint64_t>(wake_at, now + 100'000'000);
    if (shared_.window_end > now) limit = std::min(limit, shared_.window_end);
    const uint64_t wait_ns = limit > now ? limit - now : 0;
    timespec timeout{static_cast<time_t>(wait_ns / 1'000'000'000), static_cast<long>(wait_ns % 1'000'000'000)};
    const int n = ::epoll_pwait2(epoll_fd_, events.data(), static_cast<int>(events.size()), &timeout, nullptr);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(fmt::format("epoll_pwait2: {}", std::strerror(errno)));
      break;
    }
    for (int i = 0; i < n; ++i) {
      auto& c = *static_cast<Connection*>(events[static_cast<std::size_t>(i)].data.ptr);
      if ((events[static_cast<std::size_t>(i)].events & EPOLLOUT) && !flush(c)) break;
      if ((events[static_cast<std::size_t>(i)].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !on_readable(c)) break;
    }
  }
  ::close(epoll_fd_);
}

// Resolves host:port (IPv4 or IPv6, numeric or a name).
std::optional<std::string> resolve(const std::string& host, uint16_t port, sockaddr_storage& addr, socklen_t& len) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &list);
  if (rc != 0) return fmt::format("cannot resolve '{}': {}", host, ::gai_strerror(rc));
  std::memcpy(&addr, list->ai_addr, list->ai_addrlen);
  len = list->ai_addrlen;
  ::freeaddrinfo(list);
  return std::nullopt;
}

std::optional<std::string> connect_one(const sockaddr_storage& addr, socklen_t len, Connection& c) {
  c.fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (c.fd < 0) return fmt::format("socket: {}", std::strerror(errno));
  if (::connect(c.fd, reinterpret_cast<const sockaddr*>(&addr), len) != 0)
    return fmt::format("connect: {}", std::strerror(errno));
  const int one = 1;
  ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  const int flags = ::fcntl(c.fd, F_GETFL);
  if (flags < 0 || ::fcntl(c.fd, F_SETFL, flags | O_NONBLOCK) != 0) return fmt::format("fcntl: {}", std::strerror(errno));
  return std::nullopt;
}

}  // namespace

std::optional<std::string> validate(const LoadOptions& o) {
  if (o.port == 0) return "--port is required (the echo server's port)";
  if (o.connections < 1 || o.connections > 100000) return "--connections must be 1-100000";
  if (o.size > (64u << 20)) return "--size must be at most 64 MiB";
  if (!(o.rate >= 0) || !std::isfinite(o.rate)) return "--rate must be >= 0 (0: closed loop)";
  if (o.messages == 0 && !(o.duration_s > 0)) return "--duration must be > 0";
  if (!(o.warmup_s >= 0)) return "--warmup must be >= 0";
  if (o.threads < 1 || o.threads > 256) return "--threads must be 1-256";
  if (o.messages > 0 && o.rate > 0) return "a message count needs the closed loop (rate 0)";
  return std::nullopt;
}

uint64_t raise_open_file_limit(uint64_t wanted) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < wanted) {
    limit.rlim_cur = limit.rlim_max == RLIM_INFINITY ? wanted : std::min<rlim_t>(limit.rlim_max, std::max<rlim_t>(wanted, limit.rlim_max));
    ::setrlimit(RLIMIT_NOFILE, &limit);
    ::getrlimit(RLIMIT_NOFILE, &limit);
  }
  return limit.rlim_cur == RLIM_INFINITY ? UINT64_MAX : static_cast<uint64_t>(limit.rlim_cur);
}

LoadResult run_load(const LoadOptions& options) {
  LoadResult result;
  if (auto bad = validate(options)) {
    result.error = *bad;
    return result;
  }
  const uint64_t fd_limit = raise_open_file_limit(options.connections + 64);
  if (fd_limit < options.connections + 16) {
    result.error = fmt::format("{} connections need more file descriptors than RLIMIT_NOFILE allows ({})",
                               options.connections, fd_limit);
    return result;
  }
  sockaddr_storage addr{};
  socklen_t addr_len = 0;
  if (auto bad = resolve(options.host, options.port, addr, addr_len)) {
    result.error = *bad;
    return result;
  }
  Shared shared{options, make_pattern(options.size)};
  const int threads = std::min<int>(options.threads, static_cast<int>(options.connections));
  std::vector<std::vector<std::unique_ptr<Connection>>> per_thread(static_cast<std::size_t>(threads));
  for (uint32_t i = 0; i < options.connections; ++i) {
    auto c = std::make_unique<Connection>();
    c->index = i;
    c->decoder = std::make_unique<io::FrameDecoder>(options.size);
    if (options.messages > 0)
      c->quota = options.messages / options.connections + (i < options.messages % options.connections ? 1 : 0);
    if (auto bad = connect_one(addr, addr_len, *c)) {
      result.error = fmt::format("connection {} to {}:{}: {}", i, options.host, options.port, *bad);
      return result;
    }
    per_thread[i % static_cast<uint32_t>(threads)].push_back(std::move(c));
  }
  std::vector<std::unique_ptr<ClientThread>> clients;
  for (auto& conns : per_thread) clients.push_back(std::make_unique<ClientThread>(shared, std::move(conns)));

  const uint64_t cpu_before = perf::process_cpu_ns();
  shared.t0 = perf::now_ns() + 2'000'000;  // every thread starts at the same moment
  if (options.messages > 0) {
    shared.warmup_end = 0;
    shared.window_end = kNoDeadline;
  } else {
    shared.warmup_end = shared.t0 + static_cast<uint64_t>(options.warmup_s * 1e9);
    shared.window_end = shared.warmup_end + static_cast<uint64_t>(options.duration_s * 1e9);
    result.window_ns = shared.window_end - shared.warmup_end;
  }
  std::vector<std::thread> running;
  for (auto& client : clients) running.emplace_back([&client] { client->run(); });
  for (auto& t : running) t.join();
  result.client_cpu_ns = perf::process_cpu_ns() - cpu_before;

  result.first_send_ns = UINT64_MAX;
  for (auto& client : clients) {
    LoadResult& r = client->result();
    if (result.error.empty() && !r.error.empty()) result.error = r.error;
    result.sent += r.sent;
    result.echoed += r.echoed;
    result.measured += r.measured;
    add_saturating(result.missed, r.missed);
    if (r.first_send_ns != 0) result.first_send_ns = std::min(result.first_send_ns, r.first_send_ns);
    result.last_echo_ns = std::max(result.last_echo_ns, r.last_echo_ns);
    result.latency.merge(r.latency);
  }
  if (result.first_send_ns == UINT64_MAX) result.first_send_ns = 0;
  if (options.messages > 0) {
    result.window_ns = result.last_echo_ns > result.first_send_ns ? result.last_echo_ns - result.first_send_ns : 0;
    if (result.error.empty() && result.echoed != options.messages)
      result.error = fmt::format("{} echoes verified, expected {}", result.echoed, options.messages);
  }
  result.ok = result.error.empty();
  return result;
}

}  // namespace actorlab::bench
