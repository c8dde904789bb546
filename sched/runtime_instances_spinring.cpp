// runtime_instances_spinring.cpp: the six core::Runtime instances over the
// `spinring` mailbox (core/mailbox_spinring.hpp); see sched/runtime_instances.hpp.
#include "core/mailbox_spinring.hpp"
#include "sched/runtime_instance_of.hpp"
#include "sched/runtime_instances.hpp"

namespace actorlab::sched {

std::unique_ptr<core::RuntimeBase> make_spinring_mailbox_runtime(const core::Config& config) {
  return runtime_for_mailbox<core::SpinRingMailbox>(config);
}

}  // namespace actorlab::sched
