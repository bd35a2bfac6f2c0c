#include "machines/cancel_external_machine.h"

#include <string>

namespace durable::machines {

using S = CancelExternalMachine::State;
using Ev = CancelExternalMachine::Event;

const char* CancelExternalMachine::StateName(State s) {
  switch (s) {
    case S::kCreated: return "Created";
    case S::kInitiated: return "Initiated";
    case S::kCancelRequested: return "CancelRequested";
    case S::kFailed: return "Failed";
  }
  return "?";
}

const char* CancelExternalMachine::EventName(Event e) {
  switch (e) {
    case Ev::kInitiate: return "Initiate";
    case Ev::kDeliver: return "Deliver";
    case Ev::kFail: return "Fail";
  }
  return "?";
}

Status CancelExternalMachine::Handle(Event event, const v1::HistoryEvent& recorded, Jobs* jobs) {
  const S from = state_;
  if (from == S::kCreated && event == Ev::kInitiate) {
    state_ = S::kInitiated;
    return Status::OK();
  }
  if (from == S::kInitiated && (event == Ev::kDeliver || event == Ev::kFail)) {
    auto* r = jobs->emplace_back().mutable_resolve_request_cancel_external_workflow();
    r->set_seq(seq_);
    if (event == Ev::kFail) {
      state_ = S::kFailed;
      const auto& a = recorded.request_cancel_external_workflow_execution_failed();
      v1::Failure* f = r->mutable_failure();
      f->set_message("unable to cancel external workflow '" + a.workflow_execution().workflow_id() +
                     "': " + (a.cause().empty() ? "external_workflow_execution_not_found" : a.cause()));
      f->set_source("core");
      f->mutable_application_failure_info()->set_type("RequestCancelExternalWorkflowExecutionFailed");
      f->mutable_application_failure_info()->set_non_retryable(true);
    } else {
      state_ = S::kCancelRequested;
    }
    return Status::OK();
  }
  return InvalidTransition("CancelExternalMachine(seq=" + std::to_string(seq_) + ")",
                           StateName(from), EventName(event), recorded);
}

}  // namespace durable::machines
