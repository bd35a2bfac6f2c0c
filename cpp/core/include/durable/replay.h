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
// The live task's commands are matched against their record when the next AddHistory brings
// it (the WorkflowTaskCompleted and the command events after it): a difference there is
// kInternal (the engine recorded something else than was sent), not kNondeterminism.
// Evict (drop the replayer, replay the full history into a new one) when a call fails, after
// a failed completion (TakeFailure), or on kFailedPrecondition from NextActivation: history
// shows the live task failed or timed out after this worker completed it (its commands were
// not recorded). After any error the replayer keeps returning it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "durable/status.h"
#include "durable/v1/activation.pb.h"
#include "durable/v1/history.pb.h"
#include "durable/v1/service.pb.h"

namespace durable {

namespace v1 = ::durable::v1;

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
  // sent: a seq reused within its kind, a cancel of an unknown activity / timer, CompleteUpdate
  // of an update never accepted, an empty command.
  Status Complete(const v1::WorkflowActivationCompletion& completion);

  // Commands of the live task, in the order the workflow issued them. Clears them.
  std::vector<v1::Command> TakeCommands();

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
