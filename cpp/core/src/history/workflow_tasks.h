// Splitting a run's history into workflow tasks, as the replay core walks it.
//
// A history reads, task after task:
//   [events since the previous task]  WorkflowTaskScheduled  WorkflowTaskStarted
//   WorkflowTaskCompleted  [command events, in command order]  [events that arrived meanwhile]
//   WorkflowTaskScheduled  WorkflowTaskStarted ...
// A task whose Started is followed by WorkflowTaskFailed / WorkflowTaskTimedOut recorded no
// commands: its events are folded into the next task. The last task is "live" when its Started
// is the last event of the history (no Completed yet); every other delivered task is replayed.
// Thread-safe: pure functions over the caller's events.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <vector>

#include "durable/status.h"
#include "durable/v1/history.pb.h"

namespace durable::history {

namespace v1 = ::durable::v1;

using Events = std::deque<v1::HistoryEvent>;

// One workflow task to deliver as an activation; indices into the caller's Events.
struct WorkflowTaskSpan {
  size_t started = 0;     // index of the task's WorkflowTaskStarted
  bool replaying = false;  // a WorkflowTaskCompleted follows it (index started + 1)
};

// The next task whose WorkflowTaskStarted is at index >= `from`, skipping (folding) tasks that
// failed or timed out. nullopt when no such task is in `events` yet (a Started whose outcome
// is not known can only be the last event). kInvalidArgument when a WorkflowTaskStarted is
// followed by anything but WorkflowTask{Completed,Failed,TimedOut}.
Result<std::optional<WorkflowTaskSpan>> FindNextWorkflowTask(const Events& events, size_t from);

// Indices of the command events recorded for the task whose WorkflowTaskCompleted is at
// index `completed`: the command events right after it, in command order. An
// ActivityTaskCanceled written together with its ActivityTaskCancelRequested may sit among
// them; it is a resolution, not a command event, and is not returned.
std::vector<size_t> CommandEventsAfter(const Events& events, size_t completed);

}  // namespace durable::history
