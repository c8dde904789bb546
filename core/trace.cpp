// trace.cpp: TraceRing's read-out and the Chrome trace event JSON writer
// (see trace.hpp). Runs on the main thread after the traced threads were
// joined; allocation and exceptions are fine here.
#include "core/trace.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "core/actor_id.hpp"

namespace actorlab::core {
namespace {

const char* kind_name(TraceKind kind) {
  switch (kind) {
    case TraceKind::kTurn: return "turn";
    case TraceKind::kPark: return "park";
    case TraceKind::kStealAttempt: return "steal attempt";
    case TraceKind::kSteal: return "steal";
    case TraceKind::kLifoHit: return "lifo hit";
    case TraceKind::kLifoSteal: return "lifo steal";
    case TraceKind::kInjectionPop: return "injection pop";
    case TraceKind::kWake: return "wake";
    case TraceKind::kTimerBatch: return "timer batch";
    case TraceKind::kNetBatch: return "net batch";
  }
  return "?";
}

bool is_span(const TraceEvent& e) { return e.end != 0; }

std::string json_string(const std::string& s) { return nlohmann::json(s).dump(); }

struct Wake {
  uint64_t at_ns;
  std::size_t track;
};

}  // namespace

std::vector<TraceEvent> TraceRing::events() const {
  std::vector<TraceEvent> out;
  const std::size_t n = std::min<uint64_t>(written_, events_.size());
  out.reserve(n);
  const std::size_t first = written_ > events_.size() ? next_ : 0;
  for (std::size_t i = 0; i < n; ++i) out.push_back(events_[(first + i) % events_.size()]);
  // A span is recorded at its end, after the instants inside it: sort by begin.
  std::stable_sort(out.begin(), out.end(),
                   [](const TraceEvent& x, const TraceEvent& y) { return x.begin < y.begin; });
  return out;
}

uint64_t TraceSession::to_ns(uint64_t ticks) const noexcept {
  if (end_ticks_ == 0) {
    end_ticks_ = TraceRing::now();
    end_ns_ = perf::now_ns();
  }
  if (end_ticks_ <= start_ticks_) return start_ns_ + (ticks - start_ticks_);  // steady-clock ticks, or no time passed
  const double ns_per_tick = static_cast<double>(end_ns_ - start_ns_) / static_cast<double>(end_ticks_ - start_ticks_);
  const double since = static_cast<double>(static_cast<int64_t>(ticks - start_ticks_));
  return start_ns_ + static_cast<uint64_t>(std::max(0.0, since * ns_per_tick));
}

uint64_t TraceSession::dropped() const noexcept {
  uint64_t n = 0;
  for (const auto& t : tracks_) n += t->dropped();
  return n;
}

TraceFile::TraceFile(const std::string& path) : path_(path) {
  file_ = std::fopen(path.c_str(), "w");
  if (file_ == nullptr) throw std::runtime_error(fmt::format("--trace: cannot write '{}'", path));
  std::fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n", file_);
}

TraceFile::~TraceFile() {
  if (file_ != nullptr) std::fclose(file_);
}

void TraceFile::add_run(const TraceSession& session, const std::string& label) {
  const int pid = ++runs_;
  std::vector<std::vector<TraceEvent>> tracks;
  std::vector<Wake> wakes;
  for (std::size_t t = 0; t < session.tracks().size(); ++t) {
    tracks.push_back(session.tracks()[t]->events());
    for (auto& e : tracks.back()) {  // ticks to steady-clock ns from here on
      e.begin = session.to_ns(e.begin);
      if (e.end != 0) e.end = std::max(e.begin, session.to_ns(e.end));
      if (e.kind == TraceKind::kWake) wakes.push_back({e.begin, t});
      if (pid == 1 && (epoch_ns_ == 0 || e.begin < epoch_ns_)) epoch_ns_ = e.begin;  // the file's time 0
    }
  }
  if (epoch_ns_ == 0) epoch_ns_ = perf::now_ns();  // a first run without events
  std::sort(wakes.begin(), wakes.end(), [](const Wake& x, const Wake& y) { return x.at_ns < y.at_ns; });
  auto us = [this](uint64_t ns) { return ns >= epoch_ns_ ? static_cast<double>(ns - epoch_ns_) / 1000.0 : 0.0; };
  auto emit = [this](const std::string& line) {
    std::fputs(first_event_ ? "" : ",\n", file_);
    std::fputs(line.c_str(), file_);
    first_event_ = false;
  };
  emit(fmt::format(R"({{"ph":"M","pid":{},"tid":0,"name":"process_name","args":{{"name":{}}}}})", pid,
                   json_string(fmt::format("run {}: {}", pid, label))));
  emit(fmt::format(R"({{"ph":"M","pid":{},"tid":0,"name":"process_sort_index","args":{{"sort_index":{}}}}})", pid,
                   pid));
  nlohmann::json stats = {{"pid", pid}, {"label", label}, {"tracks", nlohmann::json::array()}};
  for (std::size_t t = 0; t < tracks.size(); ++t) {
    const TraceRing& ring = *session.tracks()[t];
    const std::size_t tid = t + 1;
    emit(fmt::format(R"({{"ph":"M","pid":{},"tid":{},"name":"thread_name","args":{{"name":{}}}}})", pid, tid,
                     json_string(ring.name())));
    emit(fmt::format(R"({{"ph":"M","pid":{},"tid":{},"name":"thread_sort_index","args":{{"sort_index":{}}}}})",
                     pid, tid, tid));
    stats["tracks"].push_back(
        {{"tid", tid}, {"name", ring.name()}, {"recorded", ring.recorded()}, {"dropped", ring.dropped()}});
    for (const auto& e : tracks[t]) {
      const std::string head = fmt::format(R"("pid":{},"tid":{},"ts":{:.3f})", pid, tid, us(e.begin));
      std::string args;
      std::string name = kind_name(e.kind);
      switch (e.kind) {
        case TraceKind::kTurn: {
          const ActorId id = ActorId::from_value(e.a);
          name = fmt::format("actor {}", id.index());  // one colour per actor in the viewers
          args = fmt::format(R"("actor":{},"generation":{},"messages":{})", id.index(), id.generation(), e.b);
          break;
        }
        case TraceKind::kPark: {
          // The last wake-up sent by another thread while this worker was parked.
          auto it = std::upper_bound(wakes.begin(), wakes.end(), e.end,
                                     [](uint64_t at, const Wake& w) { return at < w.at_ns; });
          std::string by;
          while (it != wakes.begin()) {
            --it;
            if (it->at_ns < e.begin) break;
            if (it->track != t) {
              by = session.tracks()[it->track]->name();
              break;
            }
          }
          args = by.empty() ? R"x("woken_by":"unknown (an outside send, or stop)")x"
                            : fmt::format(R"("woken_by":{})", json_string(by));
          break;
        }
        case TraceKind::kStealAttempt: args = fmt::format(R"("victim":{})", e.a); break;
        case TraceKind::kSteal: args = fmt::format(R"("victim":{},"actors":{})", e.a, e.b); break;
        case TraceKind::kLifoSteal: args = fmt::format(R"("victim":{})", e.a); break;
        case TraceKind::kTimerBatch: args = fmt::format(R"("fired":{})", e.b); break;
        case TraceKind::kNetBatch: args = fmt::format(R"("events":{})", e.b); break;
        case TraceKind::kLifoHit:
        case TraceKind::kInjectionPop:
        case TraceKind::kWake: break;
      }
      const char* cat = e.kind == TraceKind::kTurn ? "turn" : kind_name(e.kind);
      for (const auto& [mark, kind] : {std::pair{kMarkLifoHit, TraceKind::kLifoHit},
                                      std::pair{kMarkInjectionPop, TraceKind::kInjectionPop}})
        if (e.kind == TraceKind::kTurn && (e.marks & mark) != 0)  // they produced this turn's actor
          emit(fmt::format(R"({{"ph":"i","s":"t",{},"name":"{}","cat":"{}","args":{{}}}})", head, kind_name(kind),
                           kind_name(kind)));
      if (is_span(e)) {
        const double dur = e.end > e.begin ? static_cast<double>(e.end - e.begin) / 1000.0 : 0.0;
        emit(fmt::format(R"({{"ph":"X",{},"dur":{:.3f},"name":{},"cat":"{}","args":{{{}}}}})", head, dur,
                         json_string(name), cat, args));
      } else {
        emit(fmt::format(R"({{"ph":"i","s":"t",{},"name":{},"cat":"{}","args":{{{}}}}})", head, json_string(name), cat,
                         args));
      }
    }
  }
  stats_ += (stats_.empty() ? "" : ",") + stats.dump();
}

void TraceFile::close() {
  if (file_ == nullptr) return;
  const std::string tail = fmt::format(
      "\n],\"otherData\":{{\"format\":\"actorlab trace 1: one process per run, one thread per worker, timer "
      "and net thread\",\"runs\":[{}]}}}}\n",
      stats_);
  std::fputs(tail.c_str(), file_);
  const bool failed = std::ferror(file_) != 0;
  const bool close_failed = std::fclose(file_) != 0;
  file_ = nullptr;
  if (failed || close_failed) throw std::runtime_error(fmt::format("--trace: writing '{}' failed", path_));
}

}  // namespace actorlab::core
