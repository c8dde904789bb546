// invariant_1_common.hpp: what the two invariant-1 test files share: the
// message types, and a Prober actor that sends to a list of ids and records
// the kTypeError answers, with check_errors() to verify them (one error per
// probe, same session, code kDeadTarget, the failed target named).
// Threads: Prober runs on the engine's workers; ErrorLog is read by the test
// after stop() (its mutex orders the rest).
#pragma once

#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <utility>
#include <vector>

#include "tests/test_support.hpp"

namespace invariant_1 {

using actorlab::core::ActorId;
using actorlab::core::Context;
using actorlab::core::ErrorCode;
using actorlab::core::ErrorInfo;
using actorlab::core::kTypeError;
using actorlab::core::Message;
using actorlab::core::SendStatus;

constexpr uint32_t kData = actorlab::core::kFirstUserType;
constexpr uint32_t kMore = kData + 1;
constexpr uint32_t kExit = kData + 2;
constexpr uint32_t kRequest = kData + 3;
constexpr uint32_t kGo = kData + 4;
constexpr uint32_t kProbe = kData + 5;

struct ErrorLog {
  std::mutex mu;
  std::vector<std::pair<Message, SendStatus>> errors;  // kTypeError messages received
  std::vector<SendStatus> statuses;                    // what ctx.send returned
  std::vector<Message> other;                          // anything unexpected
};

// On kGo: sends one kProbe (type kProbe + i, session 100 + i) to each target.
class Prober final : public actorlab::core::Actor {
 public:
  Prober(ErrorLog& log, std::vector<ActorId> targets, size_t expect) : log_(log), targets_(std::move(targets)), expect_(expect) {}
  void on_message(Context& ctx, Message& msg) override {
    std::lock_guard lock(log_.mu);
    if (msg.type == kGo) {
      for (size_t i = 0; i < targets_.size(); ++i)
        log_.statuses.push_back(ctx.send(targets_[i], Message::of(kProbe + uint32_t(i), uint64_t(i), 100 + uint32_t(i))));
      return;
    }
    if (msg.type == kTypeError) {
      log_.errors.emplace_back(std::move(msg), SendStatus::kOk);
      if (log_.errors.size() == expect_) ctx.signal_done(0);
      return;
    }
    log_.other.push_back(std::move(msg));
  }

 private:
  ErrorLog& log_;
  std::vector<ActorId> targets_;
  size_t expect_;
};

inline void check_errors(ErrorLog& log, const std::vector<ActorId>& targets) {
  std::lock_guard lock(log.mu);
  ASSERT_EQ(log.statuses.size(), targets.size());
  for (auto s : log.statuses) EXPECT_EQ(s, SendStatus::kDeadTarget) << actorlab::core::to_string(s);
  ASSERT_EQ(log.errors.size(), targets.size());
  std::set<uint32_t> sessions;
  for (auto& [err, unused] : log.errors) {
    const auto info = err.as<ErrorInfo>();
    const uint32_t i = err.session - 100;
    ASSERT_LT(i, targets.size()) << "error with unexpected session " << err.session;
    EXPECT_TRUE(sessions.insert(err.session).second) << "two errors for session " << err.session;
    EXPECT_EQ(info.code, ErrorCode::kDeadTarget);
    EXPECT_EQ(info.original_type, kProbe + i);
    EXPECT_EQ(info.target, targets[i]);
    EXPECT_EQ(err.source, targets[i]) << "an error names the failed target as its source";
  }
  EXPECT_TRUE(log.other.empty()) << log.other.size() << " unexpected messages";
}

}  // namespace invariant_1
