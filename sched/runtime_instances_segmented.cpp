// runtime_instances_segmented.cpp: the six core::Runtime instances over the
// `segmented` mailbox (core/mailbox_segmented.hpp); see sched/runtime_instances.hpp.
#include "core/mailbox_segmented.hpp"
#include "sched/runtime_instance_of.hpp"
#include "sched/runtime_instances.hpp"

namespace actorlab::sched {

std::unique_ptr<core::RuntimeBase> make_segmented_mailbox_runtime(const core::Config& config) {
  return runtime_for_mailbox<core::SegmentedMailbox>(config);
}

}  // namespace actorlab::sched
