// runtime_instance_of.hpp: the template behind sched/runtime_instances.hpp.
// runtime_for_mailbox<MB>(config) builds core::Runtime<MB, Placement<RunQueue>>
// for the config's placement (local, home, else global) and run queue
// (spinlist, else lockfree): six instances per mailbox kind. Included only
// by the three sched/runtime_instances_*.cpp files, one mailbox each.
#pragma once

#include <memory>

#include "core/config.hpp"
#include "core/runtime.hpp"
#include "sched/placement_global.hpp"
#include "sched/placement_home.hpp"
#include "sched/placement_local.hpp"
#include "sched/run_queue_lockfree.hpp"
#include "sched/run_queue_spinlist.hpp"

namespace actorlab::sched {

template <core::Mailbox MB, template <class> class RunQueueT>
std::unique_ptr<core::RuntimeBase> runtime_for_queue(const core::Config& config) {
  if (config.placement == "local") return std::make_unique<core::Runtime<MB, LocalPlacement<RunQueueT>>>(config);
  if (config.placement == "home") return std::make_unique<core::Runtime<MB, HomePlacement<RunQueueT>>>(config);
  return std::make_unique<core::Runtime<MB, GlobalPlacement<RunQueueT>>>(config);
}

template <core::Mailbox MB>
std::unique_ptr<core::RuntimeBase> runtime_for_mailbox(const core::Config& config) {
  if (config.runqueue == "spinlist") return runtime_for_queue<MB, SpinListRunQueue>(config);
  return runtime_for_queue<MB, LockfreeRunQueue>(config);
}

}  // namespace actorlab::sched
