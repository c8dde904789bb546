// runtime_instances_lockfree.cpp: the six core::Runtime instances over the
// `lockfree` mailbox (core/mailbox_lockfree.hpp); see sched/runtime_instances.hpp.
#include "core/mailbox_lockfree.hpp"
#include "sched/runtime_instance_of.hpp"
#include "sched/runtime_instances.hpp"

namespace actorlab::sched {

std::unique_ptr<core::RuntimeBase> make_lockfree_mailbox_runtime(const core::Config& config) {
  return runtime_for_mailbox<core::LockfreeMailbox>(config);
}

}  // namespace actorlab::sched
