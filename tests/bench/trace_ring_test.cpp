// trace_ring_test.cpp: the trace ring and its writer (core/trace.hpp).
// Bugs guarded: a full ring that loses the newest events instead of the
// oldest, or miscounts the dropped ones; a wrapped ring read out of order;
// spans (recorded at their end) written after the instants inside them, so
// a track's timestamps go backwards; a park's waker taken from its own track
// or from a wake sent before it parked; a LIFO or injection mark lost or
// carried past its turn; a file that is not JSON.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <set>
#include <string>

#include "core/trace.hpp"

namespace actorlab::core {
namespace {

TEST(TraceRing, KeepsTheNewestEventsInOrderAndCountsTheDropped) {
  TraceRing ring("worker 0", 16);
  for (uint32_t i = 0; i < 40; ++i) ring.instant(TraceKind::kStealAttempt, i);
  EXPECT_EQ(ring.recorded(), 40u);
  EXPECT_EQ(ring.dropped(), 24u);
  const auto events = ring.events();
  ASSERT_EQ(events.size(), 16u);
  for (uint32_t i = 0; i < 16; ++i) EXPECT_EQ(events[i].a, 24 + i);
}

TEST(TraceRing, NotFullDropsNothing) {
  TraceRing ring("worker 0", 16);
  ring.instant(TraceKind::kWake);
  EXPECT_EQ(ring.dropped(), 0u);
  EXPECT_EQ(ring.events().size(), 1u);
}

TEST(TraceRing, SpansSortByTheirBegin) {
  TraceRing ring("worker 0", 16);
  const uint64_t begin = TraceRing::now();
  ring.instant(TraceKind::kWake);  // inside the turn, recorded before it
  ring.span(TraceKind::kTurn, begin, 7, 3);
  const auto events = ring.events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, TraceKind::kTurn);
  EXPECT_LE(events[0].begin, events[1].begin);
  EXPECT_GE(events[0].end, events[0].begin);
}

TEST(TraceRing, AMarkGoesToTheNextTurnOnly) {
  TraceRing ring("worker 0", 16);
  ring.mark_next_turn(kMarkLifoHit);
  ring.span(TraceKind::kTurn, TraceRing::now(), 1, 1);
  ring.span(TraceKind::kTurn, TraceRing::now(), 1, 1);
  const auto events = ring.events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].marks, kMarkLifoHit);
  EXPECT_EQ(events[1].marks, 0);
}

TEST(TraceFile, WritesChromeJsonWithOneProcessPerRunAndTheWaker) {
  const std::string path = ::testing::TempDir() + "/trace_ring_test.json";
  {
    TraceFile file(path);
    for (int run = 0; run < 2; ++run) {
      TraceSession session(64);
      TraceRing* w0 = session.add_track("worker 0");
      TraceRing* w1 = session.add_track("worker 1");
      w1->instant(TraceKind::kWake);  // before the park: not its waker
      const uint64_t parked = TraceRing::now();
      w1->instant(TraceKind::kWake);  // during the park
      w0->instant(TraceKind::kWake);  // its own track: never its waker
      w0->span(TraceKind::kPark, parked);
      w0->mark_next_turn(kMarkInjectionPop);
      w0->span(TraceKind::kTurn, TraceRing::now(), 5, 2);
      file.add_run(session, "run " + std::to_string(run));
    }
    file.close();
  }
  std::ifstream in(path);
  const auto j = nlohmann::json::parse(in);
  ASSERT_TRUE(j["traceEvents"].is_array());
  int parks = 0, pops = 0;
  std::set<int> pids;
  for (const auto& e : j["traceEvents"]) {
    pids.insert(e["pid"].get<int>());
    if (e["name"] == "injection pop") ++pops;
    if (e["name"] == "park") {
      ++parks;
      EXPECT_EQ(e["ph"], "X");
      EXPECT_EQ(e["args"]["woken_by"], "worker 1");
    }
  }
  EXPECT_EQ(parks, 2);
  EXPECT_EQ(pops, 2);  // one per run, from the marked turn
  EXPECT_EQ(pids, (std::set<int>{1, 2}));
  EXPECT_EQ(j["otherData"]["runs"].size(), 2u);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace actorlab::core
