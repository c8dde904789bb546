// bench/net/http_parser.hpp: a minimal incremental HTTP/1.1 request parser, enough
// for a keep-alive "hello" server that wrk can drive.
//
// Accepts: a request line `METHOD SP target SP HTTP/1.x` (CRLF or bare LF
// line ends; empty lines before a request are skipped), header fields
// `name: value`, and a body of Content-Length bytes. Keep-alive: HTTP/1.1
// keeps the connection open unless `Connection: close`; HTTP/1.0 closes it
// unless `Connection: keep-alive`. Pipelined requests come out one by one.
// Refuses (sticky error, the caller answers error_status() and closes):
//   431 the request line + headers exceed max_header_bytes;
//   413 Content-Length over max_body_bytes;
//   501 Transfer-Encoding (chunked bodies are not supported);
//   505 an HTTP version other than 1.0 / 1.1;
//   400 anything malformed (bad request line, header without a colon,
//       whitespace before the colon, bad or conflicting Content-Length).
// Invariants: requests come out in order, each once; after an error nothing
// more comes out. Threads: single owner, no atomics.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace actorlab::io {

struct HttpRequest {
  std::string method;
  std::string target;
  int version_minor = 1;  // HTTP/1.<version_minor>
  std::vector<std::pair<std::string, std::string>> headers;  // names as sent, values trimmed
  std::string body;
  bool keep_alive = true;

  // The first header named `name` (ASCII case-insensitive), or nullptr.
  const std::string* header(std::string_view name) const noexcept;
};

class HttpRequestParser {
 public:
  struct Limits {
    std::size_t max_header_bytes = 8192;  // request line + header fields
    std::size_t max_body_bytes = 1 << 20;
  };
  enum class Status { kNeedMore, kRequest, kError };

  HttpRequestParser() = default;
  explicit HttpRequestParser(Limits limits) : limits_(limits) {}

  // Appends received bytes (any split).
  void feed(std::string_view bytes);
  // Takes the next whole request out into `out`: kRequest, kNeedMore (wait
  // for more bytes) or kError (sticky: answer error_status() and close).
  Status next(HttpRequest& out);

  bool failed() const noexcept { return error_status_ != 0; }
  int error_status() const noexcept { return error_status_; }  // 400, 413, 431, 501, 505
  const std::string& error_reason() const noexcept { return error_reason_; }
  std::size_t buffered() const noexcept { return buffer_.size() - read_; }

 private:
  Status fail(int status, std::string reason);
  Status parse_head(std::string_view head, HttpRequest& out);

  Limits limits_;
  std::string buffer_;
  std::size_t read_ = 0;       // bytes of buffer_ already consumed
  std::size_t scanned_ = 0;    // offset up to which no end of head was found
  bool have_head_ = false;     // head_ parsed, waiting for body_length_ bytes
  HttpRequest head_;
  std::size_t body_start_ = 0;  // offset of the body in buffer_
  std::size_t body_length_ = 0;
  int error_status_ = 0;
  std::string error_reason_;
};

// The reason phrase for the status codes this project answers.
const char* http_reason(int status) noexcept;

}  // namespace actorlab::io
