// actor.cpp: names for SendStatus (used in errors and test output).
#include "core/actor.hpp"

namespace actorlab::core {

const char* to_string(SendStatus s) noexcept {
  switch (s) {
    case SendStatus::kOk: return "ok";
    case SendStatus::kDeadTarget: return "dead-target";
    case SendStatus::kStopped: return "stopped";
    case SendStatus::kFull: return "full";
  }
  return "?";
}

}  // namespace actorlab::core
