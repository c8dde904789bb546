// tsan_suppressions.cpp: ThreadSanitizer's default suppressions for the test
// binaries (linked only into -Db_sanitize=thread builds; TSan calls this hook
// at start-up, so the list applies to direct runs and `meson test` alike).
//
// moodycamel::ConcurrentQueue (the lockfree run queue, the registry's free
// list, the injection and inbox queues) reuses a block's element slots after
// a consumer has read them, ordered by std::atomic_thread_fence, which TSan
// does not model (GCC warns: -Wtsan). Its reports are all of the form
// "write in ...Producer::enqueue vs earlier read in ...::dequeue" on a slot of
// a recycled block: TSan misses the fence-based happens-before, so these are
// false positives. A report is suppressed only when a moodycamel frame is on
// one of its stacks, and actorlab's own fields are never accessed inside
// moodycamel, so no race in actorlab code is hidden.
extern "C" const char* __tsan_default_suppressions() {
  return "race:moodycamel::ConcurrentQueue\n";
}
