// http_parser_test.cpp: HttpRequestParser (bench/net/http_parser.hpp): request
// line and headers, Content-Length bodies, keep-alive rules for 1.1 and 1.0,
// pipelined requests split at every byte, and each refusal (400, 413, 431,
// 501, 505) as a sticky error.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bench/net/http_parser.hpp"

namespace actorlab::io {
namespace {

using Status = HttpRequestParser::Status;

std::vector<HttpRequest> parse_all(HttpRequestParser& parser, std::string_view bytes, Status* last = nullptr) {
  parser.feed(bytes);
  std::vector<HttpRequest> out;
  HttpRequest request;
  Status status;
  while ((status = parser.next(request)) == Status::kRequest) out.push_back(std::move(request));
  if (last) *last = status;
  return out;
}

TEST(HttpParser, SimpleGet) {
  HttpRequestParser parser;
  Status last;
  auto got = parse_all(parser, "GET /hello?x=1 HTTP/1.1\r\nHost: a\r\nUser-Agent:  wrk \r\n\r\n", &last);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(last, Status::kNeedMore);
  EXPECT_EQ(got[0].method, "GET");
  EXPECT_EQ(got[0].target, "/hello?x=1");
  EXPECT_EQ(got[0].version_minor, 1);
  EXPECT_TRUE(got[0].keep_alive);
  ASSERT_NE(got[0].header("user-agent"), nullptr);
  EXPECT_EQ(*got[0].header("USER-AGENT"), "wrk");
  EXPECT_EQ(got[0].header("Cookie"), nullptr);
  EXPECT_EQ(parser.buffered(), 0u);
}

TEST(HttpParser, KeepAliveRules) {
  struct Case {
    const char* request;
    bool keep_alive;
  };
  const Case cases[] = {
      {"GET / HTTP/1.1\r\n\r\n", true},
      {"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", false},
      {"GET / HTTP/1.1\r\nConnection: Upgrade, CLOSE\r\n\r\n", false},
      {"GET / HTTP/1.0\r\n\r\n", false},
      {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true},
      {"GET / HTTP/1.0\r\nconnection: Keep-Alive\r\n\r\n", true},
      {"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", false},
  };
  for (const auto& c : cases) {
    HttpRequestParser parser;
    auto got = parse_all(parser, c.request);
    ASSERT_EQ(got.size(), 1u) << c.request;
    EXPECT_EQ(got[0].keep_alive, c.keep_alive) << c.request;
  }
}

TEST(HttpParser, PipelinedWithBodiesAtEverySplit) {
  const std::string stream =
      "POST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"
      "GET /b HTTP/1.1\r\n\r\n"
      "\r\n"  // an empty line between requests is skipped
      "PUT /c HTTP/1.1\nContent-Length: 0\n\n"  // bare LF line ends
      "POST /d HTTP/1.0\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\nxyz";
  for (std::size_t split = 0; split <= stream.size(); ++split) {
    HttpRequestParser parser;
    auto got = parse_all(parser, std::string_view(stream).substr(0, split));
    auto rest = parse_all(parser, std::string_view(stream).substr(split));
    got.insert(got.end(), std::make_move_iterator(rest.begin()), std::make_move_iterator(rest.end()));
    ASSERT_EQ(got.size(), 4u) << "split " << split;
    EXPECT_EQ(got[0].target, "/a");
    EXPECT_EQ(got[0].body, "hello");
    EXPECT_EQ(got[1].target, "/b");
    EXPECT_EQ(got[1].body, "");
    EXPECT_EQ(got[2].method, "PUT");
    EXPECT_EQ(got[3].body, "xyz");
    EXPECT_TRUE(got[3].keep_alive);
    EXPECT_EQ(parser.buffered(), 0u);
  }
}

TEST(HttpParser, ByteAtATime) {
  const std::string stream = "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\nConnection: close\r\n\r\n";
  HttpRequestParser parser;
  std::vector<HttpRequest> got;
  for (char c : stream) {
    auto some = parse_all(parser, std::string_view(&c, 1));
    for (auto& r : some) got.push_back(std::move(r));
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].target, "/2");
  EXPECT_FALSE(got[1].keep_alive);
}

void expect_refused(std::string_view request, int status, HttpRequestParser::Limits limits = {}) {
  HttpRequestParser parser(limits);
  Status last;
  auto got = parse_all(parser, request, &last);
  EXPECT_TRUE(got.empty()) << request;
  EXPECT_EQ(last, Status::kError) << request;
  EXPECT_EQ(parser.error_status(), status) << request << ": " << parser.error_reason();
  EXPECT_FALSE(parser.error_reason().empty());
  // Sticky: a good request after the bad one is not parsed.
  HttpRequest r;
  parser.feed("GET / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(parser.next(r), Status::kError);
}

TEST(HttpParser, MalformedIs400) {
  expect_refused("GET /\r\n\r\n", 400);
  expect_refused("GET  / HTTP/1.1\r\n\r\n", 400);
  expect_refused("GET / HTTP/1.1 x\r\n\r\n", 400);
  expect_refused("G(T / HTTP/1.1\r\n\r\n", 400);
  expect_refused("GET / HTTQ/1.1\r\n\r\n", 400);
  expect_refused("GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400);
  expect_refused("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", 400);
  expect_refused("GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400);
  expect_refused("GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", 400);
  expect_refused("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400);
  expect_refused("POST / HTTP/1.1\r\nContent-Length: 12a\r\n\r\n", 400);
  expect_refused("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400);
  expect_refused("\rGET / HTTP/1.1\r\n\r\n", 400);
}

TEST(HttpParser, OtherRefusals) {
  expect_refused("GET / HTTP/2.0\r\n\r\n", 505);
  expect_refused("GET / HTTP/1.2\r\n\r\n", 505);
  expect_refused("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 501);
  expect_refused("POST / HTTP/1.1\r\nContent-Length: 2000\r\n\r\n", 413, {8192, 1000});
}

TEST(HttpParser, HeaderLimitIs431EvenWithoutTheEnd) {
  HttpRequestParser::Limits limits{64, 1000};
  // The head never ends: refused once more than the limit is buffered.
  std::string endless = "GET / HTTP/1.1\r\nX-Long: " + std::string(100, 'a');
  expect_refused(endless, 431, limits);
  // A complete head over the limit.
  expect_refused("GET / HTTP/1.1\r\nX-Long: " + std::string(60, 'a') + "\r\n\r\n", 431, limits);
  // Just under the limit is fine.
  HttpRequestParser parser(limits);
  auto got = parse_all(parser, "GET / HTTP/1.1\r\nX: " + std::string(20, 'a') + "\r\n\r\n");
  EXPECT_EQ(got.size(), 1u);
}

TEST(HttpParser, NeedMoreWhileTheBodyArrives) {
  HttpRequestParser parser;
  Status last;
  EXPECT_TRUE(parse_all(parser, "POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nab", &last).empty());
  EXPECT_EQ(last, Status::kNeedMore);
  auto got = parse_all(parser, "cdGET", &last);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].body, "abcd");
  EXPECT_EQ(last, Status::kNeedMore);
  EXPECT_EQ(parser.buffered(), 3u);
}

}  // namespace
}  // namespace actorlab::io
