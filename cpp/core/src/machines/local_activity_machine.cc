#include "machines/local_activity_machine.h"

namespace durable::machines {

using S = LocalActivityMachine::State;
using Ev = LocalActivityMachine::Event;

LocalActivityMachine::LocalActivityMachine(const v1::ScheduleLocalActivityCommand& command)
    : command_(command),
      activity_id_(command.activity_id().empty() ? std::to_string(command.seq())
                                                 : command.activity_id()) {}

const char* LocalActivityMachine::StateName(State s) {
  switch (s) {
    case S::kCreated: return "Created";
    case S::kScheduled: return "Scheduled";
    case S::kCancelRequested: return "CancelRequested";
    case S::kResolved: return "Resolved";
    case S::kRecorded: return "Recorded";
  }
  return "?";
}

const char* LocalActivityMachine::EventName(Event e) {
  switch (e) {
    case Ev::kSchedule: return "Schedule";
    case Ev::kRequestCancel: return "RequestCancel";
    case Ev::kResolve: return "Resolve";
    case Ev::kRecord: return "Record";
  }
  return "?";
}

v1::ActivityResolution LocalActivityMachine::WrapResolution(v1::ActivityResolution r) const {
  auto wrap = [&](v1::Failure* f, v1::RetryState retry_state) {
    if (f->has_activity_failure_info()) return;
    v1::Failure outer;
    outer.set_message("activity error");
    outer.set_source("core");
    auto* info = outer.mutable_activity_failure_info();
    info->set_activity_type(command_.activity_type());
    info->set_activity_id(activity_id_);
    info->set_retry_state(retry_state);
    *outer.mutable_cause() = std::move(*f);
    *f = std::move(outer);
  };
  if (r.has_failed()) {
    const v1::Failure& cause = r.failed();
    v1::RetryState rs = v1::RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED;
    if (cause.has_application_failure_info() && cause.application_failure_info().non_retryable()) {
      rs = v1::RETRY_STATE_NON_RETRYABLE_FAILURE;
    } else if (cause.has_timeout_failure_info()) {
      rs = v1::RETRY_STATE_TIMEOUT;
    }
    wrap(r.mutable_failed(), rs);
  } else if (r.has_cancelled()) {
    if (!r.cancelled().has_activity_failure_info() && !r.cancelled().has_canceled_failure_info()) {
      // A bare cancellation: make it a CanceledFailure first.
      v1::Failure c = r.cancelled();
      if (c.message().empty()) c.set_message("activity cancelled");
      c.mutable_canceled_failure_info();
      *r.mutable_cancelled() = std::move(c);
    }
    wrap(r.mutable_cancelled(), v1::RETRY_STATE_CANCEL_REQUESTED);
  }
  return r;
}

Status LocalActivityMachine::Handle(Event event, const v1::ActivityResolution* resolution,
                                    const v1::HistoryEvent* recorded, Jobs* jobs) {
  const S from = state_;
  switch (event) {
    case Ev::kSchedule:
      if (from == S::kCreated) {
        state_ = S::kScheduled;
        return Status::OK();
      }
      break;
    case Ev::kRequestCancel:
      if (from == S::kScheduled) state_ = S::kCancelRequested;
      if (from != S::kCreated) return Status::OK();
      break;
    case Ev::kResolve:
      if ((from == S::kScheduled || from == S::kCancelRequested) && resolution != nullptr) {
        state_ = S::kResolved;
        auto* r = jobs->emplace_back().mutable_resolve_activity();
        r->set_seq(command_.seq());
        *r->mutable_result() = *resolution;
        r->set_is_local(true);
        return Status::OK();
      }
      break;
    case Ev::kRecord:
      if (from == S::kResolved) {
        state_ = S::kRecorded;
        return Status::OK();
      }
      break;
  }
  std::string machine = "LocalActivityMachine(seq=" + std::to_string(command_.seq()) + ")";
  if (recorded != nullptr) return InvalidTransition(machine, StateName(from), EventName(event), *recorded);
  return Status::Nondeterminism("nondeterminism: " + machine + " in state " + StateName(from) +
                                " cannot handle " + EventName(event));
}

}  // namespace durable::machines
