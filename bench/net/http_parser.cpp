// bench/net/http_parser.cpp: see http_parser.hpp.
#include "bench/net/http_parser.hpp"

#include <algorithm>
#include <cctype>

namespace actorlab::io {
namespace {

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

bool is_token_char(char c) noexcept {
  if (std::isalnum(static_cast<unsigned char>(c))) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) noexcept { return !s.empty() && std::all_of(s.begin(), s.end(), is_token_char); }

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls f(token) for each comma-separated, trimmed, non-empty element.
template <class F>
void for_each_list_element(std::string_view value, F&& f) {
  while (!value.empty()) {
    const std::size_t comma = value.find(',');
    const std::string_view element = trim(value.substr(0, comma));
    if (!element.empty()) f(element);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
}

}  // namespace

const std::string* HttpRequest::header(std::string_view name) const noexcept {
  for (const auto& [key, value] : headers)
    if (iequals(key, name)) return &value;
  return nullptr;
}

const char* http_reason(int status) noexcept {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 413: return "Content Too Large";
    case 431: return "Request Header Fields Too Large";
    case 501: return "Not Implemented";
    case 505: return "HTTP Version Not Supported";
    default: return "Error";
  }
}

void HttpRequestParser::feed(std::string_view bytes) {
  if (failed()) return;
  if (read_ > 0) {  // drop what earlier requests consumed
    buffer_.erase(0, read_);
    scanned_ = scanned_ > read_ ? scanned_ - read_ : 0;
    if (have_head_) body_start_ -= read_;
    read_ = 0;
  }
  buffer_.append(bytes);
}

HttpRequestParser::Status HttpRequestParser::fail(int status, std::string reason) {
  error_status_ = status;
  error_reason_ = std::move(reason);
  buffer_.clear();
  read_ = scanned_ = 0;
  have_head_ = false;
  return Status::kError;
}

HttpRequestParser::Status HttpRequestParser::next(HttpRequest& out) {
  if (failed()) return Status::kError;
  if (!have_head_) {
    // Empty lines before a request line are skipped (RFC 9112 section 2.2).
    while (read_ < buffer_.size() && (buffer_[read_] == '\r' || buffer_[read_] == '\n')) {
      if (buffer_[read_] == '\r' && read_ + 1 == buffer_.size()) break;  // wait: CR of a CRLF?
      if (buffer_[read_] == '\r' && buffer_[read_ + 1] != '\n') return fail(400, "stray CR before the request line");
      read_ += buffer_[read_] == '\r' ? 2 : 1;
    }
    if (scanned_ < read_) scanned_ = read_;
    // Find the blank line that ends the head: "\n\n" or "\n\r\n".
    std::size_t head_end = std::string::npos;
    std::size_t pos = scanned_;
    while (true) {
      const std::size_t nl = buffer_.find('\n', pos);
      if (nl == std::string::npos) {
        scanned_ = buffer_.size();
        break;
      }
      if (nl + 1 < buffer_.size() && buffer_[nl + 1] == '\n') {
        head_end = nl + 2;
        break;
      }
      if (nl + 2 < buffer_.size() && buffer_[nl + 1] == '\r' && buffer_[nl + 2] == '\n') {
        head_end = nl + 3;
        break;
      }
      if (nl + 2 >= buffer_.size()) {  // the blank line may still be arriving
        scanned_ = nl;
        break;
      }
      pos = nl + 1;
    }
    if (head_end == std::string::npos) {
      if (buffer_.size() - read_ > limits_.max_header_bytes)
        return fail(431, "request head over " + std::to_string(limits_.max_header_bytes) + " bytes");
      return Status::kNeedMore;
    }
    if (head_end - read_ > limits_.max_header_bytes)
      return fail(431, "request head over " + std::to_string(limits_.max_header_bytes) + " bytes");
    head_ = HttpRequest{};
    const Status parsed = parse_head(std::string_view(buffer_).substr(read_, head_end - read_), head_);
    if (parsed == Status::kError) return parsed;
    have_head_ = true;
    body_start_ = head_end;
  }
  if (buffer_.size() - body_start_ < body_length_) return Status::kNeedMore;
  out = std::move(head_);
  out.body.assign(buffer_, body_start_, body_length_);
  read_ = body_start_ + body_length_;
  scanned_ = read_;
  have_head_ = false;
  body_length_ = 0;
  if (read_ == buffer_.size()) {
    buffer_.clear();
    read_ = scanned_ = 0;
  }
  return Status::kRequest;
}

HttpRequestParser::Status HttpRequestParser::parse_head(std::string_view head, HttpRequest& out) {
  auto take_line = [&head]() {
    const std::size_t nl = head.find('\n');
    std::string_view line = head.substr(0, nl);
    head.remove_prefix(nl == std::string_view::npos ? head.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
  };
  // Request line.
  const std::string_view line = take_line();
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
    return fail(400, "request line is not METHOD SP TARGET SP VERSION");
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!is_token(method)) return fail(400, "bad method");
  if (target.empty() || std::any_of(target.begin(), target.end(), [](char c) {
        return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f;
      }))
    return fail(400, "bad request target");
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || !std::isdigit(static_cast<unsigned char>(version[5])) ||
      version[6] != '.' || !std::isdigit(static_cast<unsigned char>(version[7])))
    return fail(400, "bad HTTP version");
  if (version[5] != '1' || (version[7] != '0' && version[7] != '1'))
    return fail(505, "only HTTP/1.0 and HTTP/1.1 are served");
  out.method.assign(method);
  out.target.assign(target);
  out.version_minor = version[7] - '0';

  // Header fields.
  bool have_length = false;
  bool saw_close = false;
  bool saw_keep_alive = false;
  while (true) {
    const std::string_view field = take_line();
    if (field.empty()) break;  // the blank line
    if (field.front() == ' ' || field.front() == '\t') return fail(400, "obsolete line folding");
    const std::size_t colon = field.find(':');
    if (colon == std::string_view::npos) return fail(400, "header field without a colon");
    const std::string_view name = field.substr(0, colon);
    if (!is_token(name)) return fail(400, "bad header field name");
    const std::string_view value = trim(field.substr(colon + 1));
    if (std::any_of(value.begin(), value.end(), [](char c) { return c == '\r' || c == '\0'; }))
      return fail(400, "bad header field value");
    if (iequals(name, "Content-Length")) {
      if (value.empty() || value.size() > 18 ||
          !std::all_of(value.begin(), value.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
        return fail(400, "bad Content-Length");
      const std::size_t length = std::stoull(std::string(value));
      if (have_length && length != body_length_) return fail(400, "conflicting Content-Length fields");
      have_length = true;
      body_length_ = length;
    } else if (iequals(name, "Transfer-Encoding")) {
      return fail(501, "Transfer-Encoding is not supported");
    } else if (iequals(name, "Connection")) {
      for_each_list_element(value, [&](std::string_view token) {
        if (iequals(token, "close")) saw_close = true;
        if (iequals(token, "keep-alive")) saw_keep_alive = true;
      });
    }
    out.headers.emplace_back(std::string(name), std::string(value));
  }
  if (body_length_ > limits_.max_body_bytes)
    return fail(413, "body over " + std::to_string(limits_.max_body_bytes) + " bytes");
  out.keep_alive = out.version_minor == 1 ? !saw_close : (saw_keep_alive && !saw_close);
  return Status::kRequest;
}

}  // namespace actorlab::io
