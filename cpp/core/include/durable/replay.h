// The replay core (worker side): turns a run's history into activations for workflow code,
// and the code's commands back into what the engine must record. During replay every
// command must match the event recorded at that point; if not, kNondeterminism with a
// message naming the command, the recorded event and its event id.
//
// One WorkflowReplayer per cached workflow run. Not thread-safe: one task at a time.
//
// Use, for each workflow task:
//   AddHistory(task.history)              // events after those already fed
//   while (auto a = NextActivation())     // replayed tasks first, then the live one
//     Complete(code(a))                   // checked against history while replaying
//   TakeCommands()                        // what to send with RespondWorkflowTaskCompleted
//
// Local activities (ScheduleLocalActivity commands) run in the worker, inside the workflow task,
// and never reach the engine. Live, the loop for one task becomes:
//   while (true) {
//     while (auto a = NextActivation()) Complete(code(a))
//     requests = TakeLocalActivityRequests(); cancels = TakeLocalActivityCancels()
//     if (nothing runs any more) break
//     run them (retrying locally); ResolveLocalActivity(seq, outcome, attempt, elapsed) for each
//   }                                     // each resolution adds a marker to the commands and
//   TakeCommands()                        // a ResolveActivity(is_local) job to a new activation
// Replaying, a ScheduleLocalActivity is resolved from the task's recorded "core_local_activity"
// marker (history/events.h) without running it: NextActivation hands out the resolution before
// the next workflow task. A local activity must not outlive its workflow task: resolve them all
// before TakeCommands (a task running local activities longer than its timeout is not supported).
//
// The live task's commands are matched against their record when the next AddHistory brings
// it (the WorkflowTaskCompleted and the command events after it): a difference there is
// kInternal (the engine recorded something else than was sent), not kNondeterminism.
// Evict (drop the replayer, replay the full history into a new one) when a call fails, after
// a failed completion (TakeFailure), or on kFailedPrecondition from NextActivation: history
// shows the live task failed or timed out after this worker completed it (its commands were
// not recorded). After any error the replayer keeps returning it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "durable/status.h"
#include "durable/v1/activation.pb.h"
#include "durable/v1/history.pb.h"
#include "durable/v1/service.pb.h"

namespace durable {

class WorkflowReplayer {
 public:
  WorkflowReplayer(std::string workflow_id, std::string run_id);
  ~WorkflowReplayer();
  WorkflowReplayer(const WorkflowReplayer&) = delete;
  WorkflowReplayer& operator=(const WorkflowReplayer&) = delete;

  // Appends events. The first must follow the last event already added (event ids
  // contiguous from 1); kInvalidArgument otherwise (the caller then fetches full history
  // into a new replayer).
  Status AddHistory(const v1::History& history);

  // Update requests that arrived with the live workflow task (not yet in history): they
  // become DoUpdate jobs (run_validator = true) of the live activation.
  void AddPendingUpdates(const std::vector<v1::UpdateRequest>& updates);

  // The next activation, or nullopt when every event added so far has been delivered.
  // An activation is made for each workflow task (up to its WorkflowTaskStarted event);
  // tasks that failed or timed out are folded into the next one.
  Result<std::optional<v1::WorkflowActivation>> NextActivation();

  // The workflow code's answer to the last activation. While replaying, commands are matched
  // against recorded events (kNondeterminism on a mismatch); for the live task they are
  // kept for TakeCommands(). A failed completion (workflow task failure) is kept for
  // TakeFailure(); NextActivation() then returns nullopt and AddHistory() kFailedPrecondition.
  // Live commands that cannot be right are refused with kInvalidArgument before anything is
  // sent: a seq reused within its kind (over all completions of the task), a cancel of an
  // unknown activity / timer / local activity, CompleteUpdate of an update never accepted, a
  // RecordMarker named "core_local_activity" (reserved), an empty command.
  // Replaying, a ScheduleLocalActivity whose marker the task did not record, or recorded with
  // another activity type, is kNondeterminism, as is a recorded local activity marker that no
  // ScheduleLocalActivity asked for.
  Status Complete(const v1::WorkflowActivationCompletion& completion);

  // Commands of the live task, in the order the workflow issued them, with the markers of its
  // local activities where they were resolved, local activity commands left out. Clears them
  // and closes the live task: local activities still running are abandoned (a later
  // ResolveLocalActivity is kFailedPrecondition, and replay of this task will fail with
  // kNondeterminism since no marker records them); resolutions not yet delivered are dropped.
  std::vector<v1::Command> TakeCommands();

  // Local activities the live task's completions scheduled since the last call, in command
  // order. Clears them. The worker runs each (its retry policy and timeouts are the worker's to
  // apply) and reports the final outcome with ResolveLocalActivity.
  std::vector<v1::ScheduleLocalActivityCommand> TakeLocalActivityRequests();

  // Seqs of running local activities the live task asked to cancel (RequestCancelLocalActivity)
  // since the last call. Clears them. The worker stops each and resolves it, normally as
  // cancelled (ActivityResolution.cancelled); an activity that finished anyway may resolve with
  // its outcome. Cancelling a local activity already resolved is ignored.
  std::vector<int32_t> TakeLocalActivityCancels();

  // The outcome of a live local activity: `result` from its last attempt `attempt` (>= 1; 0
  // counts as 1), `elapsed_us` spent over all attempts. Adds its "core_local_activity" marker
  // (RecordMarker) to the live commands at this point, and a ResolveActivity{seq, result,
  // is_local = true} job to the next activation (same task, same timestamp, not replaying).
  // A failure (or cancellation) without activity_failure_info is wrapped into an
  // ActivityFailure naming the activity, as normal activities' failures are; the marker records
  // the failure as the workflow receives it. Errors, which leave the replayer usable:
  // kFailedPrecondition when no live task is open, an activation is outstanding, or no local
  // activity with that seq is running; kInvalidArgument for an empty result or negative numbers.
  Status ResolveLocalActivity(int32_t seq, const v1::ActivityResolution& result, int32_t attempt,
                              int64_t elapsed_us);

  // A failure from the live task's completion (workflow code raised in a way that fails the
  // task, not the workflow), if any. Clears it.
  std::optional<v1::Failure> TakeFailure();

  // Id of the last event added (0 if none).
  int64_t last_event_id() const;

  // True while an activation handed out still replays recorded history.
  bool is_replaying() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace durable
