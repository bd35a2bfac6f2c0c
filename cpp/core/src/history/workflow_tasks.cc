#include "history/workflow_tasks.h"

#include <string>

#include "history/events.h"

namespace durable::history {

Result<std::optional<WorkflowTaskSpan>> FindNextWorkflowTask(const Events& events, size_t from) {
  for (size_t i = from; i < events.size(); ++i) {
    if (!events[i].has_workflow_task_started()) continue;
    if (i + 1 == events.size()) return std::optional<WorkflowTaskSpan>(WorkflowTaskSpan{i, false});
    const v1::HistoryEvent& next = events[i + 1];
    if (next.has_workflow_task_completed()) {
      return std::optional<WorkflowTaskSpan>(WorkflowTaskSpan{i, true});
    }
    if (next.has_workflow_task_failed() || next.has_workflow_task_timed_out()) continue;  // folded
    return Status::InvalidArgument("malformed history: WorkflowTaskStarted at event " +
                                   std::to_string(events[i].event_id()) + " is followed by " +
                                   DescribeEvent(next) + " at event " +
                                   std::to_string(next.event_id()) +
                                   ", expected WorkflowTaskCompleted, Failed or TimedOut");
  }
  return std::optional<WorkflowTaskSpan>();
}

std::vector<size_t> CommandEventsAfter(const Events& events, size_t completed) {
  std::vector<size_t> out;
  for (size_t i = completed + 1; i < events.size(); ++i) {
    const v1::HistoryEvent& e = events[i];
    if (IsCommandEvent(e)) {
      out.push_back(i);
    } else if (!e.has_activity_task_canceled()) {
      break;
    }
  }
  return out;
}

}  // namespace durable::history
