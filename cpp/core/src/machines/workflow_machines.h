// WorkflowMachines: the state machines of one workflow run, one per command the workflow
// issued, keyed by (kind, seq) — update machines by update id, patch machines by patch id.
//
// The replayer drives it in two ways:
//  * MatchCommands: the commands of one completed workflow task, matched in order against the
//    command events the engine recorded for that task. A matched pair creates or advances the
//    command's machine and indexes it by the recorded event id, so that later events (which
//    name the scheduled / initiated / started event id) find it.
//  * ApplyEvent: any other recorded event concerning a machine (activity outcomes, timer fired,
//    child events, external signal / cancel outcomes) advances it; resolutions become jobs.
//
// A workflow task may span several activations when it runs local activities: its commands
// then arrive in several completions, with the local activities' markers between them. Matching
// is therefore incremental (BeginTask, MatchNext per completion, EndTask); MatchCommands does
// the three at once. Local activities (LocalActivityMachine, their own seq space) are matched
// with their "core_local_activity" markers: live, the replayer drives them through
// ScheduleLocalActivity / RequestCancelLocalActivity / ResolveLocalActivity; replaying,
// MatchNext finds each one's marker in the task and ResolveRecordedLocalActivities resolves it.
// Not thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "durable/status.h"
#include "durable/v1/commands.pb.h"
#include "machines/activity_machine.h"
#include "machines/cancel_external_machine.h"
#include "machines/child_workflow_machine.h"
#include "machines/complete_workflow_machine.h"
#include "machines/local_activity_machine.h"
#include "machines/machine.h"
#include "machines/patch_marker_machine.h"
#include "machines/signal_external_machine.h"
#include "machines/timer_machine.h"
#include "machines/update_machine.h"

namespace durable::machines {

class WorkflowMachines {
 public:
  WorkflowMachines(std::string workflow_id, std::string run_id)
      : workflow_id_(std::move(workflow_id)), run_id_(std::move(run_id)) {}
  WorkflowMachines(const WorkflowMachines&) = delete;
  WorkflowMachines& operator=(const WorkflowMachines&) = delete;

  // Matches `commands` (one task's completion, in order) against `recorded`, the command events
  // recorded after that task's WorkflowTaskCompleted (event `completed_event_id`), and applies
  // each matched pair. RejectUpdate / RespondToQuery match nothing; a recorded "core_patch"
  // marker that no command matches is skipped. On a mismatch, a command without an event, or
  // an event without a command: kNondeterminism when `replaying` (the workflow code changed),
  // kInternal otherwise (the engine recorded something else than this worker sent).
  Status MatchCommands(const std::vector<v1::Command>& commands,
                       const std::vector<const v1::HistoryEvent*>& recorded,
                       int64_t completed_event_id, bool replaying);

  // The same, one completion at a time. BeginTask starts matching one task's commands against
  // `recorded` (pointers must stay valid until EndTask). MatchNext matches the next commands in
  // order (errors as MatchCommands). Replaying, ScheduleLocalActivity requires a
  // "core_local_activity" marker with its seq among the task's recorded events not yet matched
  // (kNondeterminism if none, or if its activity type differs) and
  // RequestCancelLocalActivity a known local activity; live, both were applied when the command
  // was accepted and are skipped. EndTask fails if recorded command events are left over (patch
  // markers excepted), naming a local activity marker no ScheduleLocalActivity asked for.
  void BeginTask(std::vector<const v1::HistoryEvent*> recorded, int64_t completed_event_id,
                 bool replaying);
  Status MatchNext(const std::vector<v1::Command>& commands);
  Status EndTask();

  // Replaying: while the task's next recorded command event is the marker of a local activity
  // scheduled and not yet resolved, resolves it from the marker (ResolveActivity job with the
  // recorded outcome, is_local = true) and matches the marker's RecordMarker command, which the
  // core generates as it did live. Consecutive markers resolve together. Appends to `jobs`.
  Status ResolveRecordedLocalActivities(Jobs* jobs);

  // Live local activities (the live task's commands, once validated):
  // a ScheduleLocalActivity accepted (Created -> Scheduled);
  Status ScheduleLocalActivity(const v1::ScheduleLocalActivityCommand& command);
  // a RequestCancelLocalActivity accepted; *pending tells whether the activity still runs (the
  // worker must then be told);
  Status RequestCancelLocalActivity(int32_t seq, bool* pending);
  // the worker's outcome: the ResolveActivity job is appended to `jobs` and the marker's
  // RecordMarker command returned. kFailedPrecondition when no local activity with that seq is
  // running; kInvalidArgument for an empty resolution or a negative attempt / elapsed time.
  Result<v1::Command> ResolveLocalActivity(int32_t seq, const v1::ActivityResolution& resolution,
                                           int32_t attempt, int64_t elapsed_us, Jobs* jobs);

  // Checks the commands of the live task before they are sent, against the machines of all
  // earlier (matched) commands: kInvalidArgument for an empty command, a seq already used by
  // a command of the same kind, a cancel of an activity / timer never scheduled or started, or
  // CompleteUpdate of an update not accepted. Changes nothing.
  Status ValidateNewCommands(const std::vector<v1::Command>& commands) const;

  // Applies a recorded event that is not a command's record. Resolutions are appended to
  // `jobs`. Events that concern no machine (signals, workflow-task events, ...) are ignored.
  // kNondeterminism if the event names a command no machine knows, or if its machine's table
  // has no transition for it.
  Status ApplyEvent(const v1::HistoryEvent& event, Jobs* jobs);

 private:
  bool Matches(const v1::Command& command, const v1::HistoryEvent& event) const;
  Status Apply(const v1::Command& command, const v1::HistoryEvent& event);
  Status Unknown(const v1::HistoryEvent& event, const char* what, int64_t id) const;
  std::string Who() const;

  // The task being matched (BeginTask .. EndTask).
  struct TaskMatch {
    std::vector<const v1::HistoryEvent*> recorded;
    size_t next = 0;  // first recorded event not matched yet
    int64_t completed_event_id = 0;
    bool replaying = false;
  };
  Status MatchError(const std::string& what) const;

  std::string workflow_id_;
  std::string run_id_;
  TaskMatch task_;
  std::map<int32_t, LocalActivityMachine> local_activities_;  // by seq
  std::map<int32_t, ActivityMachine> activities_;            // by seq
  std::map<int32_t, TimerMachine> timers_;                   // by seq
  std::map<int32_t, ChildWorkflowMachine> children_;         // by seq
  std::map<int32_t, SignalExternalMachine> signals_;         // by seq
  std::map<int32_t, CancelExternalMachine> cancels_;         // by seq
  std::map<std::string, UpdateMachine> updates_;             // by update id
  std::map<std::string, PatchMarkerMachine> patches_;        // by patch id
  std::optional<CompleteWorkflowMachine> close_;             // the run-closing command
  std::map<int64_t, int32_t> activity_by_scheduled_id_;      // event id -> seq
  std::map<std::string, int32_t> timer_by_timer_id_;         // timer_id -> seq
  std::map<int64_t, int32_t> child_by_initiated_id_;         // event id -> seq
  std::map<int64_t, int32_t> signal_by_initiated_id_;        // event id -> seq
  std::map<int64_t, int32_t> cancel_by_initiated_id_;        // event id -> seq
};

}  // namespace durable::machines
