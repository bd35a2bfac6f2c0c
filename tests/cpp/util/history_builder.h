// Test helpers for the replay core: HistoryBuilder writes a run's history the way the engine
// does, one line per event (or per pair of events written together); command builders; and
// one-line descriptions of activations for golden comparisons.
//
//   HistoryBuilder h;                       // 1 WorkflowExecutionStarted
//   h.Task().Completed()                    // 2 Scheduled, 3 Started, 4 Completed
//    .ActivityScheduled(1, "greet")         // 5
//    .ActivityCompleted(1, "hi")            // 6 ActivityTaskStarted, 7 ActivityTaskCompleted
//    .Task().Completed().WorkflowCompleted("done");
//
// Event times: event_time_us = event_id * 1000 (so a task's timestamp is predictable).
// Not thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "durable/v1/activation.pb.h"
#include "durable/v1/commands.pb.h"
#include "durable/v1/history.pb.h"

namespace durable::testing {

namespace v1 = ::durable::v1;

v1::Payloads Str(const std::string& text);   // one Payload whose data is `text`
std::string Text(const v1::Payloads& p);     // the payloads' data joined with ","
v1::Failure AppFailure(const std::string& message, const std::string& type = "Error");

class HistoryBuilder {
 public:
  explicit HistoryBuilder(const std::string& workflow_type = "wf",
                          const std::string& input = "in");

  // Workflow task events.
  HistoryBuilder& Task();           // WorkflowTaskScheduled + WorkflowTaskStarted
  HistoryBuilder& Completed();      // WorkflowTaskCompleted
  HistoryBuilder& TaskFailed();     // WorkflowTaskFailed (of the last Started)
  HistoryBuilder& TaskTimedOut();   // WorkflowTaskTimedOut (of the last Started)

  // Command events.
  HistoryBuilder& ActivityScheduled(int seq, const std::string& type);
  HistoryBuilder& ActivityCancelRequested(int seq);
  HistoryBuilder& TimerStarted(int seq, int64_t timeout_us = 1'000'000);
  HistoryBuilder& TimerCanceled(int seq);
  HistoryBuilder& WorkflowCompleted(const std::string& result);
  HistoryBuilder& WorkflowFailed(const std::string& message);
  HistoryBuilder& WorkflowCanceled();
  HistoryBuilder& ContinuedAsNew(const std::string& new_run_id);
  HistoryBuilder& Marker(const std::string& name);
  HistoryBuilder& PatchMarker(const std::string& patch_id);
  // A "core_local_activity" marker as the replay core writes it (activity_id = seq, attempt 1,
  // elapsed 0): completed with `result`, or failed with an AppFailure `message` wrapped in an
  // ActivityFailure.
  HistoryBuilder& LocalActivityMarker(int seq, const std::string& type, const std::string& result);
  HistoryBuilder& LocalActivityFailedMarker(int seq, const std::string& type,
                                            const std::string& message);
  HistoryBuilder& UpdateAccepted(const std::string& update_id, const std::string& name,
                                 const std::string& input);
  HistoryBuilder& UpdateCompleted(const std::string& update_id, const std::string& result);
  HistoryBuilder& ChildInitiated(int seq, const std::string& type, const std::string& workflow_id);
  HistoryBuilder& SignalExternalInitiated(int seq, const std::string& workflow_id,
                                          const std::string& signal);
  HistoryBuilder& CancelExternalInitiated(int seq, const std::string& workflow_id);

  // Other events.
  HistoryBuilder& ActivityCompleted(int seq, const std::string& result);  // Started + Completed
  HistoryBuilder& ActivityFailed(int seq, const std::string& message);    // Started + Failed
  HistoryBuilder& ActivityTimedOut(int seq, v1::TimeoutType type);       // Started + TimedOut
  HistoryBuilder& ActivityCanceled(int seq);
  HistoryBuilder& TimerFired(int seq);
  HistoryBuilder& Signaled(const std::string& name, const std::string& input);
  HistoryBuilder& CancelRequested(const std::string& reason);
  HistoryBuilder& Terminated(const std::string& reason);
  HistoryBuilder& ChildStarted(int seq, const std::string& run_id);
  HistoryBuilder& ChildStartFailed(int seq);
  HistoryBuilder& ChildCompleted(int seq, const std::string& result);
  HistoryBuilder& ChildFailed(int seq, const std::string& message);
  HistoryBuilder& ChildCanceled(int seq);
  HistoryBuilder& ChildTimedOut(int seq);
  HistoryBuilder& ChildTerminated(int seq);
  HistoryBuilder& ExternalSignaled(int seq);
  HistoryBuilder& SignalExternalFailed(int seq);
  HistoryBuilder& ExternalCancelRequested(int seq);
  HistoryBuilder& CancelExternalFailed(int seq);

  const v1::History& history() const { return history_; }
  int64_t last_id() const { return history_.events_size(); }
  // "1 WorkflowExecutionStarted\n2 WorkflowTaskScheduled\n..." (one line per event).
  std::string ToString() const;

 private:
  v1::HistoryEvent* Add();

  v1::History history_;
  int64_t last_scheduled_ = 0;   // last WorkflowTaskScheduled
  int64_t last_started_ = 0;     // last WorkflowTaskStarted
  int64_t last_completed_ = 0;   // last WorkflowTaskCompleted
  std::map<int, int64_t> activity_scheduled_;   // seq -> event id
  std::map<int, int64_t> timer_started_;
  std::map<int, int64_t> child_initiated_;
  std::map<int, int64_t> child_started_;
  std::map<int, int64_t> signal_initiated_;
  std::map<int, int64_t> cancel_initiated_;
  std::map<std::string, int64_t> update_accepted_;
};

// Commands, as the Python SDK would send them.
v1::Command ScheduleActivity(int seq, const std::string& type);
v1::Command RequestCancelActivity(int seq);
v1::Command StartTimer(int seq, int64_t timeout_us = 1'000'000);
v1::Command CancelTimer(int seq);
v1::Command CompleteWorkflow(const std::string& result);
v1::Command FailWorkflow(const std::string& message);
v1::Command CancelWorkflow();
v1::Command ContinueAsNew(const std::string& workflow_type);
v1::Command RecordMarker(const std::string& name);
v1::Command Patch(const std::string& patch_id);
v1::Command StartChild(int seq, const std::string& type, const std::string& workflow_id);
v1::Command SignalExternal(int seq, const std::string& workflow_id, const std::string& signal);
v1::Command CancelExternal(int seq, const std::string& workflow_id);
v1::Command AcceptUpdate(const std::string& update_id);
v1::Command RejectUpdate(const std::string& update_id);
v1::Command CompleteUpdate(const std::string& update_id, const std::string& result);
v1::Command RespondToQuery(const std::string& query_id, const std::string& answer);
v1::Command ScheduleLocalActivity(int seq, const std::string& type);
v1::Command RequestCancelLocalActivity(int seq);

// Outcomes a worker reports for a local activity.
v1::ActivityResolution Completed(const std::string& result);
v1::ActivityResolution Failed(const std::string& message);  // an AppFailure, not yet wrapped
v1::ActivityResolution Cancelled();                         // a CanceledFailure

v1::WorkflowActivationCompletion Success(const std::string& run_id,
                                         const std::vector<v1::Command>& commands);

// "ResolveActivity(seq=1, completed='hi')" ("ResolveLocalActivity(...)" when is_local) and the like (DoUpdate leaves out run_validator,
// which differs between the live task and its replay).
std::string DescribeJob(const v1::WorkflowActivationJob& job);
// "@3 InitializeWorkflow(type='wf', input='in') | ResolveActivity(seq=1, completed='hi')":
// the task's WorkflowTaskStarted event id, then the jobs. Leaves out is_replaying and time.
std::string DescribeActivation(const v1::WorkflowActivation& activation);

}  // namespace durable::testing
