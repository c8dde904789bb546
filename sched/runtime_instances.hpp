// runtime_instances.hpp: the 18 core::Runtime template instances (mailbox x
// placement x run queue), built in three translation units, one per mailbox
// kind (sched/runtime_instances_{lockfree,spinring,segmented}.cpp), so the
// heaviest part of the library compiles on several cores at once. Only
// sched::make_engine (sched/select.cpp) calls these; the config is already
// resolved and validated there, and each function picks its placement and
// run queue from config.placement and config.runqueue (any other name than
// local/home and spinlist builds global and lockfree).
#pragma once

#include <memory>

#include "core/config.hpp"
#include "core/actor.hpp"  // core::RuntimeBase

namespace actorlab::sched {

std::unique_ptr<core::RuntimeBase> make_lockfree_mailbox_runtime(const core::Config& config);
std::unique_ptr<core::RuntimeBase> make_spinring_mailbox_runtime(const core::Config& config);
std::unique_ptr<core::RuntimeBase> make_segmented_mailbox_runtime(const core::Config& config);

}  // namespace actorlab::sched
