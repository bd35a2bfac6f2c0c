#include "machines/child_workflow_machine.h"

namespace durable::machines {

using S = ChildWorkflowMachine::State;
using Ev = ChildWorkflowMachine::Event;

const char* ChildWorkflowMachine::StateName(State s) {
  switch (s) {
    case S::kCreated: return "Created";
    case S::kInitiated: return "Initiated";
    case S::kStartFailed: return "StartFailed";
    case S::kStarted: return "Started";
    case S::kClosed: return "Closed";
  }
  return "?";
}

const char* ChildWorkflowMachine::EventName(Event e) {
  switch (e) {
    case Ev::kInitiate: return "Initiate";
    case Ev::kStartFail: return "StartFail";
    case Ev::kStart: return "Start";
    case Ev::kComplete: return "Complete";
    case Ev::kFail: return "Fail";
    case Ev::kCancel: return "Cancel";
    case Ev::kTimeOut: return "TimeOut";
    case Ev::kTerminate: return "Terminate";
  }
  return "?";
}

v1::Failure ChildWorkflowMachine::Wrap(v1::Failure cause, v1::RetryState retry_state) const {
  v1::Failure f;
  f.set_message("child workflow execution error");
  f.set_source("core");
  auto* info = f.mutable_child_workflow_failure_info();
  info->mutable_workflow_execution()->set_workflow_id(workflow_id_);
  info->mutable_workflow_execution()->set_run_id(run_id_);
  info->set_workflow_type(workflow_type_);
  info->set_initiated_event_id(initiated_event_id_);
  info->set_started_event_id(started_event_id_);
  info->set_retry_state(retry_state);
  *f.mutable_cause() = std::move(cause);
  return f;
}

void ChildWorkflowMachine::ResolveWith(v1::ChildWorkflowResult result, Jobs* jobs) const {
  auto* r = jobs->emplace_back().mutable_resolve_child_workflow_execution();
  r->set_seq(seq_);
  *r->mutable_result() = std::move(result);
}

Status ChildWorkflowMachine::Handle(Event event, const v1::HistoryEvent& recorded, Jobs* jobs) {
  const S from = state_;
  if (from == S::kCreated && event == Ev::kInitiate) {
    initiated_event_id_ = recorded.event_id();
    state_ = S::kInitiated;
    return Status::OK();
  }
  if (from == S::kInitiated && event == Ev::kStartFail) {
    state_ = S::kStartFailed;
    auto* r = jobs->emplace_back().mutable_resolve_child_workflow_execution_start();
    r->set_seq(seq_);
    const std::string& cause = recorded.start_child_workflow_execution_failed().cause();
    r->set_failed_cause(cause.empty() ? "workflow_already_exists" : cause);
    return Status::OK();
  }
  if (from == S::kInitiated && event == Ev::kStart) {
    state_ = S::kStarted;
    started_event_id_ = recorded.event_id();
    run_id_ = recorded.child_workflow_execution_started().workflow_execution().run_id();
    auto* r = jobs->emplace_back().mutable_resolve_child_workflow_execution_start();
    r->set_seq(seq_);
    r->set_succeeded_run_id(run_id_);
    return Status::OK();
  }
  if (from == S::kStarted) {
    v1::ChildWorkflowResult result;
    switch (event) {
      case Ev::kComplete:
        *result.mutable_completed() = recorded.child_workflow_execution_completed().result();
        break;
      case Ev::kFail: {
        const auto& a = recorded.child_workflow_execution_failed();
        *result.mutable_failed() = Wrap(a.failure(), a.retry_state());
        break;
      }
      case Ev::kCancel: {
        v1::Failure cause;
        cause.set_message("child workflow execution canceled");
        cause.set_source("core");
        *cause.mutable_canceled_failure_info()->mutable_details() =
            recorded.child_workflow_execution_canceled().details();
        *result.mutable_cancelled() = Wrap(std::move(cause), v1::RETRY_STATE_CANCEL_REQUESTED);
        break;
      }
      case Ev::kTimeOut: {
        v1::Failure cause;
        cause.set_message("child workflow execution timed out");
        cause.set_source("core");
        cause.mutable_timeout_failure_info()->set_timeout_type(v1::TIMEOUT_TYPE_START_TO_CLOSE);
        *result.mutable_failed() =
            Wrap(std::move(cause), recorded.child_workflow_execution_timed_out().retry_state());
        break;
      }
      case Ev::kTerminate: {
        v1::Failure cause;
        cause.set_message("child workflow execution terminated");
        cause.set_source("core");
        cause.mutable_terminated_failure_info();
        *result.mutable_failed() = Wrap(std::move(cause), v1::RETRY_STATE_NON_RETRYABLE_FAILURE);
        break;
      }
      default:
        return InvalidTransition("ChildWorkflowMachine(seq=" + std::to_string(seq_) + ")",
                                 StateName(from), EventName(event), recorded);
    }
    state_ = S::kClosed;
    ResolveWith(std::move(result), jobs);
    return Status::OK();
  }
  return InvalidTransition("ChildWorkflowMachine(seq=" + std::to_string(seq_) + ")",
                           StateName(from), EventName(event), recorded);
}

}  // namespace durable::machines
