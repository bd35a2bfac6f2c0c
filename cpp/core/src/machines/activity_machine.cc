#include "machines/activity_machine.h"

namespace durable::machines {

using S = ActivityMachine::State;
using Ev = ActivityMachine::Event;

ActivityMachine::ActivityMachine(const v1::ScheduleActivityCommand& command)
    : seq_(command.seq()),
      activity_type_(command.activity_type()),
      activity_id_(command.activity_id().empty() ? std::to_string(command.seq())
                                                 : command.activity_id()) {}

const char* ActivityMachine::StateName(State s) {
  switch (s) {
    case S::kCreated: return "Created";
    case S::kScheduled: return "Scheduled";
    case S::kStarted: return "Started";
    case S::kCancelRequested: return "CancelRequested";
    case S::kCompleted: return "Completed";
    case S::kFailed: return "Failed";
    case S::kTimedOut: return "TimedOut";
    case S::kCanceled: return "Canceled";
  }
  return "?";
}

const char* ActivityMachine::EventName(Event e) {
  switch (e) {
    case Ev::kSchedule: return "Schedule";
    case Ev::kStart: return "Start";
    case Ev::kComplete: return "Complete";
    case Ev::kFail: return "Fail";
    case Ev::kTimeOut: return "TimeOut";
    case Ev::kRequestCancel: return "RequestCancel";
    case Ev::kCancel: return "Cancel";
  }
  return "?";
}

v1::Failure ActivityMachine::WrapFailure(const v1::HistoryEvent& recorded, v1::Failure cause,
                                         v1::RetryState retry_state) const {
  v1::Failure f;
  f.set_message("activity error");
  f.set_source("core");
  auto* info = f.mutable_activity_failure_info();
  info->set_scheduled_event_id(scheduled_event_id_);
  info->set_started_event_id(started_event_id_);
  info->set_identity(identity_);
  info->set_activity_type(activity_type_);
  info->set_activity_id(activity_id_);
  info->set_retry_state(retry_state);
  *f.mutable_cause() = std::move(cause);
  return f;
}

void ActivityMachine::Resolve(v1::ActivityResolution resolution, Jobs* jobs) const {
  auto* r = jobs->emplace_back().mutable_resolve_activity();
  r->set_seq(seq_);
  *r->mutable_result() = std::move(resolution);
}

Status ActivityMachine::Handle(Event event, const v1::HistoryEvent& recorded, Jobs* jobs) {
  const S from = state_;
  switch (event) {
    case Ev::kSchedule:
      if (from == S::kCreated) {
        scheduled_event_id_ = recorded.event_id();
        state_ = S::kScheduled;
        return Status::OK();
      }
      break;
    case Ev::kStart:
      if (from == S::kScheduled || from == S::kCancelRequested) {
        started_event_id_ = recorded.event_id();
        identity_ = recorded.activity_task_started().identity();
        if (from == S::kScheduled) state_ = S::kStarted;
        return Status::OK();
      }
      break;
    case Ev::kComplete:
      if (from == S::kScheduled || from == S::kStarted || from == S::kCancelRequested) {
        state_ = S::kCompleted;
        v1::ActivityResolution res;
        *res.mutable_completed() = recorded.activity_task_completed().result();
        Resolve(std::move(res), jobs);
        return Status::OK();
      }
      break;
    case Ev::kFail:
      if (from == S::kStarted || from == S::kCancelRequested) {
        state_ = S::kFailed;
        const auto& a = recorded.activity_task_failed();
        if (!a.identity().empty()) identity_ = a.identity();
        v1::ActivityResolution res;
        *res.mutable_failed() = WrapFailure(recorded, a.failure(), a.retry_state());
        Resolve(std::move(res), jobs);
        return Status::OK();
      }
      break;
    case Ev::kTimeOut:
      if (from == S::kScheduled || from == S::kStarted || from == S::kCancelRequested) {
        state_ = S::kTimedOut;
        const auto& a = recorded.activity_task_timed_out();
        v1::Failure cause = a.failure();
        if (!cause.has_timeout_failure_info()) {
          if (cause.message().empty()) cause.set_message("activity timeout");
          cause.mutable_timeout_failure_info();
        }
        v1::ActivityResolution res;
        *res.mutable_failed() = WrapFailure(recorded, std::move(cause), a.retry_state());
        Resolve(std::move(res), jobs);
        return Status::OK();
      }
      break;
    case Ev::kRequestCancel:
      if (from == S::kScheduled || from == S::kStarted) {
        state_ = S::kCancelRequested;
        return Status::OK();
      }
      break;
    case Ev::kCancel:
      if (from == S::kCancelRequested) {
        state_ = S::kCanceled;
        const auto& a = recorded.activity_task_canceled();
        if (!a.identity().empty()) identity_ = a.identity();
        v1::Failure cause;
        cause.set_message("activity cancelled");
        cause.set_source("core");
        *cause.mutable_canceled_failure_info()->mutable_details() = a.details();
        v1::ActivityResolution res;
        *res.mutable_cancelled() =
            WrapFailure(recorded, std::move(cause), v1::RETRY_STATE_CANCEL_REQUESTED);
        Resolve(std::move(res), jobs);
        return Status::OK();
      }
      break;
  }
  return InvalidTransition("ActivityMachine(seq=" + std::to_string(seq_) + ")", StateName(from),
                           EventName(event), recorded);
}

}  // namespace durable::machines
