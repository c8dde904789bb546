// service_fixture.hpp: the fixture of the end-to-end service tests (echo_e2e,
// hostile_services): an engine with the net attached and one bench net
// service listening on 127.0.0.1, parameterised by backend. A backend the
// kernel refuses (io_uring disabled) is a skip with the kernel's reason; one
// the build refuses is a failure. Threads: the test thread starts and stops
// the engine; the service's counters (NetServiceStats) are atomic.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>

#include "bench/net/net_services.hpp"
#include "core/config.hpp"
#include "core/engine.hpp"
#include "io/net.hpp"
#include "sched/select.hpp"

namespace actorlab::bench {

class ServiceTest : public ::testing::TestWithParam<std::string> {
 protected:
  explicit ServiceTest(int stat_slots) : stats_(stat_slots) {}

  // Builds the engine from `config`, attaches the net, spawns the service and
  // waits for it to listen. False on a refusal (skip_reason_ set) or failure.
  bool start_service(const core::Config& config, const NetServiceOptions& options) {
    engine_ = sched::make_engine(config);
    try {
      io::attach_net(*engine_, config);
    } catch (const core::ConfigError& e) {  // the build refuses the backend: a failure
      ADD_FAILURE() << e.what();
      return false;
    } catch (const std::runtime_error& e) {  // the kernel refuses it (io_uring disabled)
      skip_reason_ = e.what();
      return false;
    }
    auto listening = spawn_net_service(*engine_, options, stats_);
    engine_->start();
    EXPECT_EQ(listening.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    const ListenResult r = listening.get();
    EXPECT_TRUE(r.socket.valid()) << std::strerror(r.error);
    port_ = r.port;
    return r.socket.valid();
  }
  void TearDown() override {
    if (engine_) engine_->stop();
  }

  NetServiceStats stats_;
  std::unique_ptr<core::Engine> engine_;
  uint16_t port_ = 0;
  std::string skip_reason_;
};

// In a test of a ServiceTest fixture: start(...) or skip/fail the test.
#define START_OR_SKIP(...)                                     \
  do {                                                         \
    if (!start(__VA_ARGS__)) {                                 \
      if (!skip_reason_.empty()) GTEST_SKIP() << skip_reason_; \
      FAIL() << "the service did not start";                   \
    }                                                          \
  } while (0)

}  // namespace actorlab::bench
