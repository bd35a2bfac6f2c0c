#include "util/history_builder.h"

#include <sstream>

#include "history/events.h"

namespace durable::testing {

v1::Payloads Str(const std::string& text) {
  v1::Payloads p;
  p.add_payloads()->set_data(text);
  return p;
}

std::string Text(const v1::Payloads& p) {
  std::string out;
  for (int i = 0; i < p.payloads_size(); ++i) {
    if (i) out += ",";
    out += p.payloads(i).data();
  }
  return out;
}

v1::Failure AppFailure(const std::string& message, const std::string& type) {
  v1::Failure f;
  f.set_message(message);
  f.set_source("python");
  f.mutable_application_failure_info()->set_type(type);
  return f;
}

HistoryBuilder::HistoryBuilder(const std::string& workflow_type, const std::string& input) {
  auto* a = Add()->mutable_workflow_execution_started();
  a->set_workflow_type(workflow_type);
  a->set_workflow_id("wf-1");
  a->set_task_queue("q");
  *a->mutable_input() = Str(input);
  a->set_attempt(1);
}

v1::HistoryEvent* HistoryBuilder::Add() {
  v1::HistoryEvent* e = history_.add_events();
  e->set_event_id(history_.events_size());
  e->set_event_time_us(e->event_id() * 1000);
  return e;
}

HistoryBuilder& HistoryBuilder::Task() {
  Add()->mutable_workflow_task_scheduled()->set_task_queue("q");
  last_scheduled_ = last_id();
  Add()->mutable_workflow_task_started()->set_scheduled_event_id(last_scheduled_);
  last_started_ = last_id();
  return *this;
}

HistoryBuilder& HistoryBuilder::Completed() {
  auto* a = Add()->mutable_workflow_task_completed();
  a->set_scheduled_event_id(last_scheduled_);
  a->set_started_event_id(last_started_);
  last_completed_ = last_id();
  return *this;
}

HistoryBuilder& HistoryBuilder::TaskFailed() {
  auto* a = Add()->mutable_workflow_task_failed();
  a->set_scheduled_event_id(last_scheduled_);
  a->set_started_event_id(last_started_);
  a->set_cause("workflow_error");
  return *this;
}

HistoryBuilder& HistoryBuilder::TaskTimedOut() {
  auto* a = Add()->mutable_workflow_task_timed_out();
  a->set_scheduled_event_id(last_scheduled_);
  a->set_started_event_id(last_started_);
  return *this;
}

HistoryBuilder& HistoryBuilder::ActivityScheduled(int seq, const std::string& type) {
  auto* a = Add()->mutable_activity_task_scheduled();
  a->set_seq(seq);
  a->set_activity_id(std::to_string(seq));
  a->set_activity_type(type);
  a->set_task_queue("q");
  a->set_workflow_task_completed_event_id(last_completed_);
  activity_scheduled_[seq] = last_id();
  return *this;
}

HistoryBuilder& HistoryBuilder::ActivityCancelRequested(int seq) {
  auto* a = Add()->mutable_activity_task_cancel_requested();
  a->set_scheduled_event_id(activity_scheduled_.at(seq));
  a->set_workflow_task_completed_event_id(last_completed_);
  return *this;
}

HistoryBuilder& HistoryBuilder::TimerStarted(int seq, int64_t timeout_us) {
  auto* a = Add()->mutable_timer_started();
  a->set_seq(seq);
  a->set_timer_id(std::to_string(seq));
  a->set_start_to_fire_timeout_us(timeout_us);
  a->set_workflow_task_completed_event_id(last_completed_);
  timer_started_[seq] = last_id();
  return *this;
}

HistoryBuilder& HistoryBuilder::TimerCanceled(int seq) {
  auto* a = Add()->mutable_timer_canceled();
  a->set_timer_id(std::to_string(seq));
  a->set_started_event_id(timer_started_.at(seq));
  a->set_workflow_task_completed_event_id(last_completed_);
  return *this;
}

HistoryBuilder& HistoryBuilder::WorkflowCompleted(const std::string& result) {
  auto* a = Add()->mutable_workflow_execution_completed();
  *a->mutable_result() = Str(result);
  a->set_workflow_task_completed_event_id(last_completed_);
  return *this;
}

HistoryBuilder& HistoryBuilder::WorkflowFailed(const std::string& message) {
  auto* a = Add()->mutable_workflow_execution_failed();
  *a->mutable_failure() = AppFailure(message);
  a->set_workflow_task_completed_event_id(last_completed_);
  return *this;
}

HistoryBuilder& HistoryBuilder::WorkflowCanceled() {
  Add()->mutable_workflow_execution_canceled()->set_workflow_task_completed_event_id(last_completed_);
  return *this;
}

HistoryBuilder& HistoryBuilder::ContinuedAsNew(const std::string& new_run_id) {
  auto* a = Add()->mutable_workflow_execution_continued_as_new();
  a->set_new_execution_run_id(new_run_id);
  a->set_workflow_type(history_.events(0).workflow_execution_started().workflow_type());
  a->set_workflow_task_completed_event_id(last_completed_);
  return *this;
}

HistoryBuilder& HistoryBuilder::Marker(const std::string& name) {
  auto* a = Add()->mutable_marker_recorded();
  a->set_marker_name(name);
  a->set_workflow_task_completed_event_id(last_completed_);
  return *this;
}

HistoryBuilder& HistoryBuilder::PatchMarker(const std::string& patch_id) {
  auto* a = Add()->mutable_marker_recorded();
  a->set_marker_name(history::kPatchMarkerName);
  (*a->mutable_details())[history::kPatchIdDetailKey] = Str(patch_id);
  a->set_workflow_task_completed_event_id(last_completed_);
  return *this;
}

HistoryBuilder& HistoryBuilder::LocalActivityMarker(int seq, const std::string& type,
                                                    const std::string& result) {
  history::LocalActivityMarker m;
  m.seq = seq;
  m.activity_id = std::to_string(seq);
  m.activity_type = type;
  *m.result.mutable_completed() = Str(result);
  auto* a = Add()->mutable_marker_recorded();
  v1::Command c = history::MakeLocalActivityMarker(m);
  a->set_marker_name(c.record_marker().marker_name());
  *a->mutable_details() = c.record_marker().details();
  a->set_workflow_task_completed_event_id(last_completed_);
  return *this;
}

HistoryBuilder& HistoryBuilder::LocalActivityFailedMarker(int seq, const std::string& type,
                                                          const std::string& message) {
  history::LocalActivityMarker m;
  m.seq = seq;
  m.activity_id = std::to_string(seq);
  m.activity_type = type;
  v1::Failure* f = m.result.mutable_failed();
  f->set_message("activity error");
  f->set_source("core");
  auto* info = f->mutable_activity_failure_info();
  info->set_activity_type(type);
  info->set_activity_id(std::to_string(seq));
  info->set_retry_state(v1::RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED);
  *f->mutable_cause() = AppFailure(message, "ValueError");
  auto* a = Add()->mutable_marker_recorded();
  v1::Command c = history::MakeLocalActivityMarker(m);
  a->set_marker_name(c.record_marker().marker_name());
  *a->mutable_details() = c.record_marker().details();
  *a->mutable_failure() = c.record_marker().failure();
  a->set_workflow_task_completed_event_id(last_completed_);
  return *this;
}

HistoryBuilder& HistoryBuilder::UpdateAccepted(const std::string& update_id, const std::string& name,
                                               const std::string& input) {
  auto* a = Add()->mutable_workflow_execution_update_accepted();
  a->set_update_id(update_id);
  a->mutable_request()->set_update_id(update_id);
  a->mutable_request()->set_name(name);
  *a->mutable_request()->mutable_input() = Str(input);
  a->mutable_request()->set_identity("client");
  a->set_workflow_task_completed_event_id(last_completed_);
  update_accepted_[update_id] = last_id();
  return *this;
}

HistoryBuilder& HistoryBuilder::UpdateCompleted(const std::string& update_id,
                                                const std::string& result) {
  auto* a = Add()->mutable_workflow_execution_update_completed();
  a->set_update_id(update_id);
  a->set_accepted_event_id(update_accepted_.at(update_id));
  *a->mutable_outcome()->mutable_success() = Str(result);
  a->set_workflow_task_completed_event_id(last_completed_);
  return *this;
}

HistoryBuilder& HistoryBuilder::ChildInitiated(int seq, const std::string& type,
                                               const std::string& workflow_id) {
  auto* a = Add()->mutable_start_child_workflow_execution_initiated();
  a->set_seq(seq);
  a->set_workflow_type(type);
  a->set_workflow_id(workflow_id);
  a->set_task_queue("q");
  a->set_workflow_task_completed_event_id(last_completed_);
  child_initiated_[seq] = last_id();
  return *this;
}

HistoryBuilder& HistoryBuilder::SignalExternalInitiated(int seq, const std::string& workflow_id,
                                                        const std::string& signal) {
  auto* a = Add()->mutable_signal_external_workflow_execution_initiated();
  a->set_seq(seq);
  a->mutable_workflow_execution()->set_workflow_id(workflow_id);
  a->set_signal_name(signal);
  a->set_workflow_task_completed_event_id(last_completed_);
  signal_initiated_[seq] = last_id();
  return *this;
}

HistoryBuilder& HistoryBuilder::CancelExternalInitiated(int seq, const std::string& workflow_id) {
  auto* a = Add()->mutable_request_cancel_external_workflow_execution_initiated();
  a->set_seq(seq);
  a->mutable_workflow_execution()->set_workflow_id(workflow_id);
  a->set_workflow_task_completed_event_id(last_completed_);
  cancel_initiated_[seq] = last_id();
  return *this;
}

HistoryBuilder& HistoryBuilder::ActivityCompleted(int seq, const std::string& result) {
  int64_t scheduled = activity_scheduled_.at(seq);
  auto* s = Add()->mutable_activity_task_started();
  s->set_scheduled_event_id(scheduled);
  s->set_identity("worker-1");
  s->set_attempt(1);
  auto* a = Add()->mutable_activity_task_completed();
  a->set_scheduled_event_id(scheduled);
  a->set_started_event_id(last_id() - 1);
  *a->mutable_result() = Str(result);
  a->set_identity("worker-1");
  return *this;
}

HistoryBuilder& HistoryBuilder::ActivityFailed(int seq, const std::string& message) {
  int64_t scheduled = activity_scheduled_.at(seq);
  auto* s = Add()->mutable_activity_task_started();
  s->set_scheduled_event_id(scheduled);
  s->set_identity("worker-1");
  s->set_attempt(3);
  auto* a = Add()->mutable_activity_task_failed();
  a->set_scheduled_event_id(scheduled);
  a->set_started_event_id(last_id() - 1);
  *a->mutable_failure() = AppFailure(message, "ValueError");
  a->set_retry_state(v1::RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED);
  a->set_identity("worker-1");
  return *this;
}

HistoryBuilder& HistoryBuilder::ActivityTimedOut(int seq, v1::TimeoutType type) {
  int64_t scheduled = activity_scheduled_.at(seq);
  auto* s = Add()->mutable_activity_task_started();
  s->set_scheduled_event_id(scheduled);
  s->set_identity("worker-1");
  s->set_attempt(1);
  auto* a = Add()->mutable_activity_task_timed_out();
  a->set_scheduled_event_id(scheduled);
  a->set_started_event_id(last_id() - 1);
  a->mutable_failure()->set_message("activity timeout");
  a->mutable_failure()->set_source("engine");
  a->mutable_failure()->mutable_timeout_failure_info()->set_timeout_type(type);
  a->set_retry_state(v1::RETRY_STATE_TIMEOUT);
  return *this;
}

HistoryBuilder& HistoryBuilder::ActivityCanceled(int seq) {
  auto* a = Add()->mutable_activity_task_canceled();
  a->set_scheduled_event_id(activity_scheduled_.at(seq));
  *a->mutable_details() = Str("bye");
  return *this;
}

HistoryBuilder& HistoryBuilder::TimerFired(int seq) {
  auto* a = Add()->mutable_timer_fired();
  a->set_timer_id(std::to_string(seq));
  a->set_started_event_id(timer_started_.at(seq));
  return *this;
}

HistoryBuilder& HistoryBuilder::Signaled(const std::string& name, const std::string& input) {
  auto* a = Add()->mutable_workflow_execution_signaled();
  a->set_signal_name(name);
  *a->mutable_input() = Str(input);
  a->set_identity("client");
  return *this;
}

HistoryBuilder& HistoryBuilder::CancelRequested(const std::string& reason) {
  auto* a = Add()->mutable_workflow_execution_cancel_requested();
  a->set_cause(reason);
  a->set_identity("client");
  return *this;
}

HistoryBuilder& HistoryBuilder::Terminated(const std::string& reason) {
  Add()->mutable_workflow_execution_terminated()->set_reason(reason);
  return *this;
}

static v1::WorkflowExecution Child(int seq, const std::string& run_id) {
  v1::WorkflowExecution x;
  x.set_workflow_id("child-" + std::to_string(seq));
  x.set_run_id(run_id);
  return x;
}

HistoryBuilder& HistoryBuilder::ChildStarted(int seq, const std::string& run_id) {
  auto* a = Add()->mutable_child_workflow_execution_started();
  a->set_initiated_event_id(child_initiated_.at(seq));
  *a->mutable_workflow_execution() = Child(seq, run_id);
  child_started_[seq] = last_id();
  return *this;
}

HistoryBuilder& HistoryBuilder::ChildStartFailed(int seq) {
  auto* a = Add()->mutable_start_child_workflow_execution_failed();
  a->set_initiated_event_id(child_initiated_.at(seq));
  a->set_cause("workflow_already_exists");
  return *this;
}

HistoryBuilder& HistoryBuilder::ChildCompleted(int seq, const std::string& result) {
  auto* a = Add()->mutable_child_workflow_execution_completed();
  a->set_initiated_event_id(child_initiated_.at(seq));
  a->set_started_event_id(child_started_.at(seq));
  *a->mutable_result() = Str(result);
  return *this;
}

HistoryBuilder& HistoryBuilder::ChildFailed(int seq, const std::string& message) {
  auto* a = Add()->mutable_child_workflow_execution_failed();
  a->set_initiated_event_id(child_initiated_.at(seq));
  a->set_started_event_id(child_started_.at(seq));
  *a->mutable_failure() = AppFailure(message);
  a->set_retry_state(v1::RETRY_STATE_RETRY_POLICY_NOT_SET);
  return *this;
}

HistoryBuilder& HistoryBuilder::ChildCanceled(int seq) {
  auto* a = Add()->mutable_child_workflow_execution_canceled();
  a->set_initiated_event_id(child_initiated_.at(seq));
  a->set_started_event_id(child_started_.at(seq));
  return *this;
}

HistoryBuilder& HistoryBuilder::ChildTimedOut(int seq) {
  auto* a = Add()->mutable_child_workflow_execution_timed_out();
  a->set_initiated_event_id(child_initiated_.at(seq));
  a->set_started_event_id(child_started_.at(seq));
  a->set_retry_state(v1::RETRY_STATE_TIMEOUT);
  return *this;
}

HistoryBuilder& HistoryBuilder::ChildTerminated(int seq) {
  auto* a = Add()->mutable_child_workflow_execution_terminated();
  a->set_initiated_event_id(child_initiated_.at(seq));
  a->set_started_event_id(child_started_.at(seq));
  return *this;
}

HistoryBuilder& HistoryBuilder::ExternalSignaled(int seq) {
  Add()->mutable_external_workflow_execution_signaled()->set_initiated_event_id(
      signal_initiated_.at(seq));
  return *this;
}

HistoryBuilder& HistoryBuilder::SignalExternalFailed(int seq) {
  auto* a = Add()->mutable_signal_external_workflow_execution_failed();
  a->set_initiated_event_id(signal_initiated_.at(seq));
  a->mutable_workflow_execution()->set_workflow_id("other");
  a->set_cause("external_workflow_execution_not_found");
  return *this;
}

HistoryBuilder& HistoryBuilder::ExternalCancelRequested(int seq) {
  Add()->mutable_external_workflow_execution_cancel_requested()->set_initiated_event_id(
      cancel_initiated_.at(seq));
  return *this;
}

HistoryBuilder& HistoryBuilder::CancelExternalFailed(int seq) {
  auto* a = Add()->mutable_request_cancel_external_workflow_execution_failed();
  a->set_initiated_event_id(cancel_initiated_.at(seq));
  a->mutable_workflow_execution()->set_workflow_id("other");
  a->set_cause("external_workflow_execution_not_found");
  return *this;
}

std::string HistoryBuilder::ToString() const {
  std::string out;
  for (const auto& e : history_.events()) {
    out += std::to_string(e.event_id()) + " " + history::EventTypeName(e) + "\n";
  }
  return out;
}

// --- Commands -----------------------------------------------------------------------------

v1::Command ScheduleActivity(int seq, const std::string& type) {
  v1::Command c;
  auto* s = c.mutable_schedule_activity();
  s->set_seq(seq);
  s->set_activity_type(type);
  s->set_start_to_close_timeout_us(10'000'000);
  return c;
}

v1::Command RequestCancelActivity(int seq) {
  v1::Command c;
  c.mutable_request_cancel_activity()->set_seq(seq);
  return c;
}

v1::Command StartTimer(int seq, int64_t timeout_us) {
  v1::Command c;
  c.mutable_start_timer()->set_seq(seq);
  c.mutable_start_timer()->set_start_to_fire_timeout_us(timeout_us);
  return c;
}

v1::Command CancelTimer(int seq) {
  v1::Command c;
  c.mutable_cancel_timer()->set_seq(seq);
  return c;
}

v1::Command CompleteWorkflow(const std::string& result) {
  v1::Command c;
  *c.mutable_complete_workflow_execution()->mutable_result() = Str(result);
  return c;
}

v1::Command FailWorkflow(const std::string& message) {
  v1::Command c;
  *c.mutable_fail_workflow_execution()->mutable_failure() = AppFailure(message);
  return c;
}

v1::Command CancelWorkflow() {
  v1::Command c;
  c.mutable_cancel_workflow_execution();
  return c;
}

v1::Command ContinueAsNew(const std::string& workflow_type) {
  v1::Command c;
  c.mutable_continue_as_new_workflow_execution()->set_workflow_type(workflow_type);
  return c;
}

v1::Command RecordMarker(const std::string& name) {
  v1::Command c;
  c.mutable_record_marker()->set_marker_name(name);
  return c;
}

v1::Command Patch(const std::string& patch_id) {
  v1::Command c;
  c.mutable_record_marker()->set_marker_name(history::kPatchMarkerName);
  (*c.mutable_record_marker()->mutable_details())[history::kPatchIdDetailKey] = Str(patch_id);
  return c;
}

v1::Command StartChild(int seq, const std::string& type, const std::string& workflow_id) {
  v1::Command c;
  auto* s = c.mutable_start_child_workflow_execution();
  s->set_seq(seq);
  s->set_workflow_type(type);
  s->set_workflow_id(workflow_id);
  return c;
}

v1::Command SignalExternal(int seq, const std::string& workflow_id, const std::string& signal) {
  v1::Command c;
  auto* s = c.mutable_signal_external_workflow_execution();
  s->set_seq(seq);
  s->mutable_workflow_execution()->set_workflow_id(workflow_id);
  s->set_signal_name(signal);
  return c;
}

v1::Command CancelExternal(int seq, const std::string& workflow_id) {
  v1::Command c;
  auto* s = c.mutable_request_cancel_external_workflow_execution();
  s->set_seq(seq);
  s->mutable_workflow_execution()->set_workflow_id(workflow_id);
  return c;
}

v1::Command AcceptUpdate(const std::string& update_id) {
  v1::Command c;
  c.mutable_accept_update()->set_update_id(update_id);
  return c;
}

v1::Command RejectUpdate(const std::string& update_id) {
  v1::Command c;
  c.mutable_reject_update()->set_update_id(update_id);
  *c.mutable_reject_update()->mutable_failure() = AppFailure("rejected");
  return c;
}

v1::Command CompleteUpdate(const std::string& update_id, const std::string& result) {
  v1::Command c;
  c.mutable_complete_update()->set_update_id(update_id);
  *c.mutable_complete_update()->mutable_outcome()->mutable_success() = Str(result);
  return c;
}

v1::Command RespondToQuery(const std::string& query_id, const std::string& answer) {
  v1::Command c;
  c.mutable_respond_to_query()->set_query_id(query_id);
  *c.mutable_respond_to_query()->mutable_succeeded() = Str(answer);
  return c;
}

v1::Command ScheduleLocalActivity(int seq, const std::string& type) {
  v1::Command c;
  auto* s = c.mutable_schedule_local_activity();
  s->set_seq(seq);
  s->set_activity_type(type);
  s->set_start_to_close_timeout_us(5'000'000);
  s->set_attempt(1);
  return c;
}

v1::Command RequestCancelLocalActivity(int seq) {
  v1::Command c;
  c.mutable_request_cancel_local_activity()->set_seq(seq);
  return c;
}

v1::ActivityResolution Completed(const std::string& result) {
  v1::ActivityResolution r;
  *r.mutable_completed() = Str(result);
  return r;
}

v1::ActivityResolution Failed(const std::string& message) {
  v1::ActivityResolution r;
  *r.mutable_failed() = AppFailure(message, "ValueError");
  return r;
}

v1::ActivityResolution Cancelled() {
  v1::ActivityResolution r;
  r.mutable_cancelled()->set_message("cancelled");
  r.mutable_cancelled()->mutable_canceled_failure_info();
  return r;
}

v1::WorkflowActivationCompletion Success(const std::string& run_id,
                                         const std::vector<v1::Command>& commands) {
  v1::WorkflowActivationCompletion c;
  c.set_run_id(run_id);
  for (const auto& cmd : commands) *c.mutable_successful()->add_commands() = cmd;
  return c;
}

// --- Descriptions -------------------------------------------------------------------------

static std::string Q(const std::string& s) { return "'" + s + "'"; }

static std::string DescribeFailure(const v1::Failure& f) {
  std::string kind;
  switch (f.info_case()) {
    case v1::Failure::kApplicationFailureInfo: kind = "App:" + f.application_failure_info().type(); break;
    case v1::Failure::kTimeoutFailureInfo:
      kind = "Timeout:" + std::string(v1::TimeoutType_Name(f.timeout_failure_info().timeout_type()))
                              .substr(strlen("TIMEOUT_TYPE_"));
      break;
    case v1::Failure::kCanceledFailureInfo: kind = "Canceled"; break;
    case v1::Failure::kTerminatedFailureInfo: kind = "Terminated"; break;
    case v1::Failure::kServerFailureInfo: kind = "Server"; break;
    case v1::Failure::kActivityFailureInfo:
      kind = "Activity:" + f.activity_failure_info().activity_type();
      break;
    case v1::Failure::kChildWorkflowFailureInfo:
      kind = "Child:" + f.child_workflow_failure_info().workflow_type();
      break;
    case v1::Failure::INFO_NOT_SET: kind = "Failure"; break;
  }
  std::string out = kind + "(" + Q(f.message()) + ")";
  if (f.has_cause()) out += "<-" + DescribeFailure(f.cause());
  return out;
}

std::string DescribeJob(const v1::WorkflowActivationJob& job) {
  using J = v1::WorkflowActivationJob;
  switch (job.variant_case()) {
    case J::kInitializeWorkflow:
      return "InitializeWorkflow(type=" + Q(job.initialize_workflow().workflow_type()) +
             ", input=" + Q(Text(job.initialize_workflow().arguments())) + ")";
    case J::kFireTimer: return "FireTimer(seq=" + std::to_string(job.fire_timer().seq()) + ")";
    case J::kResolveActivity: {
      const auto& r = job.resolve_activity();
      std::string out = std::string(r.is_local() ? "ResolveLocalActivity" : "ResolveActivity") +
                        "(seq=" + std::to_string(r.seq()) + ", ";
      if (r.result().has_completed()) out += "completed=" + Q(Text(r.result().completed()));
      if (r.result().has_failed()) out += "failed=" + DescribeFailure(r.result().failed());
      if (r.result().has_cancelled()) out += "cancelled=" + DescribeFailure(r.result().cancelled());
      return out + ")";
    }
    case J::kSignalWorkflow:
      return "SignalWorkflow(" + Q(job.signal_workflow().signal_name()) + ", " +
             Q(Text(job.signal_workflow().input())) + ")";
    case J::kQueryWorkflow: return "QueryWorkflow(" + Q(job.query_workflow().query_type()) + ")";
    case J::kCancelWorkflow: return "CancelWorkflow(" + Q(job.cancel_workflow().reason()) + ")";
    case J::kDoUpdate:
      return "DoUpdate(id=" + Q(job.do_update().id()) + ", name=" + Q(job.do_update().name()) +
             ", input=" + Q(Text(job.do_update().input())) + ")";
    case J::kNotifyHasPatch: return "NotifyHasPatch(" + Q(job.notify_has_patch().patch_id()) + ")";
    case J::kResolveChildWorkflowExecutionStart: {
      const auto& r = job.resolve_child_workflow_execution_start();
      std::string out = "ResolveChildStart(seq=" + std::to_string(r.seq()) + ", ";
      if (r.has_succeeded_run_id()) out += "run=" + Q(r.succeeded_run_id());
      if (r.has_failed_cause()) out += "failed=" + Q(r.failed_cause());
      if (r.has_cancelled()) out += "cancelled=" + DescribeFailure(r.cancelled());
      return out + ")";
    }
    case J::kResolveChildWorkflowExecution: {
      const auto& r = job.resolve_child_workflow_execution();
      std::string out = "ResolveChild(seq=" + std::to_string(r.seq()) + ", ";
      if (r.result().has_completed()) out += "completed=" + Q(Text(r.result().completed()));
      if (r.result().has_failed()) out += "failed=" + DescribeFailure(r.result().failed());
      if (r.result().has_cancelled()) out += "cancelled=" + DescribeFailure(r.result().cancelled());
      return out + ")";
    }
    case J::kResolveSignalExternalWorkflow: {
      const auto& r = job.resolve_signal_external_workflow();
      return "ResolveSignalExternal(seq=" + std::to_string(r.seq()) +
             (r.has_failure() ? ", failed=" + DescribeFailure(r.failure()) : std::string()) + ")";
    }
    case J::kResolveRequestCancelExternalWorkflow: {
      const auto& r = job.resolve_request_cancel_external_workflow();
      return "ResolveCancelExternal(seq=" + std::to_string(r.seq()) +
             (r.has_failure() ? ", failed=" + DescribeFailure(r.failure()) : std::string()) + ")";
    }
    case J::kRemoveFromCache: return "RemoveFromCache";
    case J::VARIANT_NOT_SET: break;
  }
  return "EmptyJob";
}

std::string DescribeActivation(const v1::WorkflowActivation& a) {
  std::string out = "@" + std::to_string(a.history_length());
  for (int i = 0; i < a.jobs_size(); ++i) out += (i ? " | " : " ") + DescribeJob(a.jobs(i));
  return out;
}

}  // namespace durable::testing
