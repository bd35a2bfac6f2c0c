// LocalActivityMachine: one local activity scheduled by the workflow (ScheduleLocalActivity, by
// seq, in a seq space of its own). The worker runs it inside the workflow task; its outcome is
// recorded as a "core_local_activity" marker (history/events.h), never as activity events.
//
// Transition table (event: what the replayer observed):
//
//   state            | event                                         | next             | job
//   -----------------+-----------------------------------------------+------------------+-----------------
//   Created          | Schedule (ScheduleLocalActivity issued)       | Scheduled        |
//   Scheduled        | RequestCancel (RequestCancelLocalActivity)    | CancelRequested  |
//   Scheduled        | Resolve (worker's outcome / recorded marker)  | Resolved         | ResolveActivity(is_local)
//   CancelRequested  | RequestCancel                                 | CancelRequested  |
//   CancelRequested  | Resolve                                       | Resolved         | ResolveActivity(is_local)
//   Resolved         | RequestCancel                                 | Resolved         | (too late: ignored)
//   Resolved         | Record (marker command + MarkerRecorded)      | Recorded         |
//   Recorded         | RequestCancel                                 | Recorded         | (too late: ignored)
//
// Live, Schedule and RequestCancel happen when the completion carrying the command is accepted,
// Resolve when the worker reports the outcome (WorkflowReplayer::ResolveLocalActivity), and
// Record when the engine's record of the task arrives. Replaying, Schedule requires the task to
// have recorded the activity's marker, and Resolve comes from that marker.
#pragma once

#include <string>

#include "durable/v1/commands.pb.h"
#include "machines/machine.h"

namespace durable::machines {

class LocalActivityMachine {
 public:
  enum class State { kCreated, kScheduled, kCancelRequested, kResolved, kRecorded };
  enum class Event { kSchedule, kRequestCancel, kResolve, kRecord };

  explicit LocalActivityMachine(const v1::ScheduleLocalActivityCommand& command);

  // Applies `event`. `resolution` is the outcome for kResolve (as WrapResolution returned it);
  // `recorded` the MarkerRecorded event for kRecord (else null: used in error messages only).
  // kResolve appends ResolveActivity(seq, resolution, is_local = true) to `jobs`.
  Status Handle(Event event, const v1::ActivityResolution* resolution,
                const v1::HistoryEvent* recorded, Jobs* jobs);

  // The outcome as the workflow receives it: a failure or cancellation without
  // activity_failure_info is wrapped into an ActivityFailure (activity type and id, retry state
  // from the cause) whose cause is the given failure, as for normal activities.
  v1::ActivityResolution WrapResolution(v1::ActivityResolution resolution) const;

  State state() const { return state_; }
  bool pending() const { return state_ == State::kScheduled || state_ == State::kCancelRequested; }
  const v1::ScheduleLocalActivityCommand& command() const { return command_; }
  const std::string& activity_id() const { return activity_id_; }
  static const char* StateName(State s);
  static const char* EventName(Event e);

 private:
  v1::ScheduleLocalActivityCommand command_;
  std::string activity_id_;
  State state_ = State::kCreated;
};

}  // namespace durable::machines
