// ActivityMachine: one activity scheduled by the workflow (ScheduleActivity, by seq).
//
// Transition table (event: command matched with its recorded event, or recorded event):
//
//   state            | event                                  | next             | job
//   -----------------+----------------------------------------+------------------+-----------------
//   Created          | Schedule (ActivityTaskScheduled)       | Scheduled        |
//   Scheduled        | Start (ActivityTaskStarted)            | Started          |
//   Scheduled        | Complete (ActivityTaskCompleted)       | Completed        | ResolveActivity completed
//   Scheduled        | TimeOut (ActivityTaskTimedOut)         | TimedOut         | ResolveActivity failed
//   Scheduled        | RequestCancel (ActivityTaskCancelRequested) | CancelRequested |
//   Started          | Complete                               | Completed        | ResolveActivity completed
//   Started          | Fail (ActivityTaskFailed)              | Failed           | ResolveActivity failed
//   Started          | TimeOut                                | TimedOut         | ResolveActivity failed
//   Started          | RequestCancel                          | CancelRequested  |
//   CancelRequested  | Start                                  | CancelRequested  |
//   CancelRequested  | Complete                               | Completed        | ResolveActivity completed
//   CancelRequested  | Fail                                   | Failed           | ResolveActivity failed
//   CancelRequested  | TimeOut                                | TimedOut         | ResolveActivity failed
//   CancelRequested  | Cancel (ActivityTaskCanceled)          | Canceled         | ResolveActivity cancelled
//
// The activity resolves as cancelled only once the engine records ActivityTaskCanceled (at once
// for an activity not yet started, or when the activity acknowledges the cancellation).
// Failures reach the workflow as an activity failure (activity_failure_info) whose cause is the
// recorded failure, as in Temporal.
#pragma once

#include <string>

#include "durable/v1/commands.pb.h"
#include "machines/machine.h"

namespace durable::machines {

class ActivityMachine {
 public:
  enum class State { kCreated, kScheduled, kStarted, kCancelRequested, kCompleted, kFailed, kTimedOut, kCanceled };
  enum class Event { kSchedule, kStart, kComplete, kFail, kTimeOut, kRequestCancel, kCancel };

  explicit ActivityMachine(const v1::ScheduleActivityCommand& command);

  // Applies `event`, carried by the history event `recorded`; appends the resolution to `jobs`.
  Status Handle(Event event, const v1::HistoryEvent& recorded, Jobs* jobs);

  State state() const { return state_; }
  int64_t scheduled_event_id() const { return scheduled_event_id_; }
  static const char* StateName(State s);
  static const char* EventName(Event e);

 private:
  v1::Failure WrapFailure(const v1::HistoryEvent& recorded, v1::Failure cause,
                          v1::RetryState retry_state) const;
  void Resolve(v1::ActivityResolution resolution, Jobs* jobs) const;

  int32_t seq_;
  std::string activity_type_;
  std::string activity_id_;
  State state_ = State::kCreated;
  int64_t scheduled_event_id_ = 0;
  int64_t started_event_id_ = 0;
  std::string identity_;  // of the worker that ran the last attempt
};

}  // namespace durable::machines
