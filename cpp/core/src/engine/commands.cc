// Workflow commands: what each command of a completed workflow task writes. One command,
// one event (appended in command order after WorkflowTaskCompleted, all in the completion's
// batch), plus the mutable-state, task, timer and outbox changes that go with it:
//
//   ScheduleActivity            -> ActivityTaskScheduled; activity info, activity task row,
//                                  schedule-to-start / schedule-to-close timers
//   RequestCancelActivity       -> ActivityTaskCancelRequested; if the attempt has not started
//                                  also ActivityTaskCanceled (task row and info dropped), else
//                                  the info is marked cancel-requested
//   StartTimer                  -> TimerStarted; timer info, user timer
//   CancelTimer                 -> TimerCanceled; timer info and user timer dropped
//   CompleteWorkflowExecution   -> WorkflowExecutionCompleted (closes the run)
//   FailWorkflowExecution       -> WorkflowExecutionFailed, or a retry by the workflow retry
//                                  policy (closes the run; FailOrRetryRun)
//   CancelWorkflowExecution     -> WorkflowExecutionCanceled (closes the run)
//   ContinueAsNewWorkflowExecution -> WorkflowExecutionContinuedAsNew (closes the run); new run
//   RecordMarker                -> MarkerRecorded
//   UpsertWorkflowSearchAttributes -> UpsertWorkflowSearchAttributes; current search
//                                  attributes and visibility record
//   ModifyWorkflowProperties    -> WorkflowPropertiesModified; current memo and visibility record
//   StartChildWorkflowExecution -> StartChildWorkflowExecutionInitiated; child info, outbox row
//   SignalExternalWorkflowExecution -> SignalExternalWorkflowExecutionInitiated; outbox row
//   RequestCancelExternalWorkflowExecution -> RequestCancelExternalWorkflowExecutionInitiated;
//                                  outbox row
//   AcceptUpdate                -> WorkflowExecutionUpdateAccepted; update record (waiter: accepted)
//   CompleteUpdate              -> WorkflowExecutionUpdateCompleted (waiter: completed)
//   RejectUpdate                -> no event (waiter: rejected)
//   RespondToQuery              -> nothing (legacy queries use RespondQueryTaskCompleted)
//
// Event group markers a command carries (Command.event_group_markers) are copied onto every
// event the command appends to its run (ApplyCommand; AppendEvent does the copy). They are
// observability only: the replay core does not compare them.
//
// A payload over the limit (CommandPayloads) sets CommandContext::oversized; the caller then
// fails the workflow instead (limits.cc).
//
// A command whose attributes are invalid (BadCommand) sets CommandContext::bad_cause; the
// caller then fails the workflow task with that cause instead of completing it, and the task
// is retried after backoff (docs/workflows.md, "Commands the engine rejects"). The causes are
// Temporal's WorkflowTaskFailedCause names, lower case, without the prefix:
//   ScheduleActivity            bad_schedule_activity_attributes (empty or too long type /
//                               id / task queue, negative timeouts, neither start-to-close
//                               nor schedule-to-close, seq in use),
//                               schedule_activity_duplicate_id (activity id in use)
//   RequestCancelActivity       bad_request_cancel_activity_attributes (no such activity)
//   StartTimer                  bad_start_timer_attributes (negative duration),
//                               start_timer_duplicate_id (seq running)
//   CancelTimer                 bad_cancel_timer_attributes (no such timer)
//   RecordMarker                bad_record_marker_attributes (empty or too long name)
//   ContinueAsNew               bad_continue_as_new_attributes (too long type / task queue,
//                               negative timeouts)
//   StartChildWorkflowExecution bad_start_child_execution_attributes (empty or too long id /
//                               type / task queue, negative timeouts)
//   SignalExternal...           bad_signal_workflow_execution_attributes (no or too long
//                               workflow id or signal name)
//   RequestCancelExternal...    bad_request_cancel_external_workflow_execution_attributes
//   search attributes (upsert, child, continue-as-new)   bad_search_attributes
//   AcceptUpdate, CompleteUpdate (and RejectUpdate, checked by the caller)
//                               bad_update_workflow_execution_message (no such update)
//   ScheduleLocalActivity, RequestCancelLocalActivity, empty or unknown command
//                               unsupported_command (durable's own: not Temporal's)
//
// A command that closes the run sets CommandContext::closed; the caller applies no further
// commands. In-memory update effects are collected in CommandContext::notes and applied by the
// caller after the batch is written.
#include "engine/engine_impl.h"
#include "store/keys.h"

namespace durable {

namespace {
// Rejects a command whose attributes are invalid: sets cc.bad_cause for the caller, which
// fails the workflow task with it; the message names the field and the command.
Status BadCommand(CommandContext& cc, const char* cause, const std::string& message) {
  cc.bad_cause = cause;
  return Status::InvalidArgument(message + cc.cmd_ctx);
}

// An identifier of a command: not empty, within the length limit, no NUL (ValidateId).
Status CommandId(CommandContext& cc, const char* cause, const char* command,
                 const std::string& value, const char* field, int64_t max_len) {
  Status st = ValidateId(value, field, max_len, "");
  if (st.ok()) return st;
  return BadCommand(cc, cause, std::string(command) + ": " + st.message());
}

bool AnyNegative(std::initializer_list<int64_t> values) {
  for (int64_t v : values) {
    if (v < 0) return true;
  }
  return false;
}
}  // namespace

Status EngineImpl::ApplyCommand(Txn& txn, v1::ExecutionState& ms, const v1::Command& c,
                                CommandContext& cc) {
  if (c.event_group_markers().empty()) return ApplyCommandKind(txn, ms, c, cc);
  txn.markers_run = &ms;
  txn.event_group_markers = &c.event_group_markers();
  Status st = ApplyCommandKind(txn, ms, c, cc);
  txn.markers_run = nullptr;
  txn.event_group_markers = nullptr;
  return st;
}

Status EngineImpl::ApplyCommandKind(Txn& txn, v1::ExecutionState& ms, const v1::Command& c,
                                    CommandContext& cc) {
  switch (c.variant_case()) {
    case v1::Command::kScheduleActivity: {
      const auto& s = c.schedule_activity();
      constexpr const char* kBad = "bad_schedule_activity_attributes";
      const int64_t max_len = options_.limits.max_id_length;
      DURABLE_RETURN_IF_ERROR(CommandId(cc, kBad, "ScheduleActivity", s.activity_type(), "activity_type", max_len));
      if (cc.activity_by_seq.count(s.seq())) {
        return BadCommand(cc, kBad, "ScheduleActivity: seq " + std::to_string(s.seq()) +
                                        " is already used by a pending activity");
      }
      v1::HistoryEvent ev;
      auto* a = ev.mutable_activity_task_scheduled();
      a->set_seq(s.seq());
      a->set_activity_id(s.activity_id().empty() ? std::to_string(s.seq()) : s.activity_id());
      a->set_activity_type(s.activity_type());
      a->set_task_queue(s.task_queue().empty() ? ms.started().task_queue() : s.task_queue());
      DURABLE_RETURN_IF_ERROR(CommandId(cc, kBad, "ScheduleActivity", a->activity_id(), "activity_id", max_len));
      DURABLE_RETURN_IF_ERROR(CommandId(cc, kBad, "ScheduleActivity", a->task_queue(), "task_queue", max_len));
      if (cc.activity_ids.count(a->activity_id())) {
        return BadCommand(cc, "schedule_activity_duplicate_id",
                          "ScheduleActivity: activity id '" + a->activity_id() +
                              "' is already used by a pending activity");
      }
      if (AnyNegative({s.schedule_to_close_timeout_us(), s.schedule_to_start_timeout_us(),
                       s.start_to_close_timeout_us(), s.heartbeat_timeout_us()})) {
        return BadCommand(cc, kBad, "ScheduleActivity: activity '" + a->activity_id() +
                                        "' has a negative timeout");
      }
      if (s.start_to_close_timeout_us() == 0 && s.schedule_to_close_timeout_us() == 0) {
        return BadCommand(cc, kBad, "ScheduleActivity: activity '" + a->activity_id() +
                                        "' sets neither start_to_close_timeout nor "
                                        "schedule_to_close_timeout");
      }
      DURABLE_RETURN_IF_ERROR(CommandPayloads(s.input(), "activity '" + a->activity_id() + "' input", cc));
      *a->mutable_input() = s.input();
      *a->mutable_header() = s.header();
      a->set_schedule_to_close_timeout_us(s.schedule_to_close_timeout_us());
      a->set_schedule_to_start_timeout_us(s.schedule_to_start_timeout_us());
      a->set_start_to_close_timeout_us(s.start_to_close_timeout_us() > 0
                                           ? s.start_to_close_timeout_us()
                                           : s.schedule_to_close_timeout_us());
      a->set_heartbeat_timeout_us(s.heartbeat_timeout_us());
      *a->mutable_retry_policy() = WithRetryDefaults(s.retry_policy());
      a->set_workflow_task_completed_event_id(cc.completed_id);
      v1::ActivityInfo ai;
      ai.mutable_scheduled()->CopyFrom(*a);
      const int64_t id = AppendEvent(txn, ms, std::move(ev));
      ai.set_scheduled_event_id(id);
      ArmFirstActivityAttempt(txn, ms, ai);
      cc.activity_by_seq[s.seq()] = id;
      (*ms.mutable_activities())[id] = std::move(ai);
      cc.activity_ids[(*ms.mutable_activities())[id].scheduled().activity_id()] = &(*ms.mutable_activities())[id];
      return Status::OK();
    }
    case v1::Command::kRequestCancelActivity: {
      auto f = cc.activity_by_seq.find(c.request_cancel_activity().seq());
      if (f == cc.activity_by_seq.end() || !ms.activities().count(f->second)) {
        return BadCommand(cc, "bad_request_cancel_activity_attributes",
                          "RequestCancelActivity: no pending activity with seq " +
                              std::to_string(c.request_cancel_activity().seq()));
      }
      const int64_t sched = f->second;
      auto& ai = (*ms.mutable_activities())[sched];
      v1::HistoryEvent ev;
      ev.mutable_activity_task_cancel_requested()->set_scheduled_event_id(sched);
      ev.mutable_activity_task_cancel_requested()->set_workflow_task_completed_event_id(cc.completed_id);
      const int64_t cr = AppendEvent(txn, ms, std::move(ev));
      const bool running = ai.started_dispatch_id() != 0;
      if (!running) {
        v1::HistoryEvent cev;
        auto* a = cev.mutable_activity_task_canceled();
        a->set_scheduled_event_id(sched);
        a->set_latest_cancel_requested_event_id(cr);
        AppendEvent(txn, ms, std::move(cev));
        DeleteTaskRow(txn, ai.scheduled().task_queue(), v1::TASK_KIND_ACTIVITY, ai.task_seq());
        cc.activity_ids.erase(ai.scheduled().activity_id());
        ms.mutable_activities()->erase(sched);
        cc.activity_by_seq.erase(f);
      } else {
        ai.set_cancel_requested(true);
        ai.set_cancel_requested_event_id(cr);
      }
      return Status::OK();
    }
    case v1::Command::kStartTimer: {
      const auto& s = c.start_timer();
      std::string timer_id = std::to_string(s.seq());
      if (ms.timers().count(timer_id)) {
        return BadCommand(cc, "start_timer_duplicate_id",
                          "StartTimer: timer seq " + timer_id + " is already running");
      }
      if (s.start_to_fire_timeout_us() < 0) {
        return BadCommand(cc, "bad_start_timer_attributes",
                          "StartTimer: timer seq " + timer_id + " has a negative duration (" +
                              std::to_string(s.start_to_fire_timeout_us()) + " us)");
      }
      v1::HistoryEvent ev;
      auto* a = ev.mutable_timer_started();
      a->set_seq(s.seq());
      a->set_timer_id(timer_id);
      a->set_start_to_fire_timeout_us(s.start_to_fire_timeout_us());
      a->set_workflow_task_completed_event_id(cc.completed_id);
      const int64_t id = AppendEvent(txn, ms, std::move(ev));
      v1::TimerInfo ti;
      ti.set_timer_id(timer_id);
      ti.set_seq(s.seq());
      ti.set_started_event_id(id);
      ti.set_fire_time_us(txn.now_us + s.start_to_fire_timeout_us());
      v1::TimerRow row;
      row.set_kind(v1::TIMER_KIND_USER);
      row.set_workflow_id(cc.wf);
      row.set_run_id(cc.run);
      row.set_fire_time_us(ti.fire_time_us());
      row.set_timer_id(timer_id);
      row.set_key(keys::timer::User(timer_id));
      AddDurableTimer(txn, std::move(row));
      (*ms.mutable_timers())[timer_id] = std::move(ti);
      return Status::OK();
    }
    case v1::Command::kCancelTimer: {
      std::string timer_id = std::to_string(c.cancel_timer().seq());
      auto it = ms.timers().find(timer_id);
      if (it == ms.timers().end()) {
        return BadCommand(cc, "bad_cancel_timer_attributes",
                          "CancelTimer: no running timer with seq " + timer_id);
      }
      v1::HistoryEvent ev;
      auto* a = ev.mutable_timer_canceled();
      a->set_timer_id(timer_id);
      a->set_started_event_id(it->second.started_event_id());
      a->set_workflow_task_completed_event_id(cc.completed_id);
      AppendEvent(txn, ms, std::move(ev));
      v1::TimerRow row;
      row.set_workflow_id(cc.wf);
      row.set_run_id(cc.run);
      row.set_fire_time_us(it->second.fire_time_us());
      row.set_key(keys::timer::User(timer_id));
      DeleteDurableTimer(txn, row);
      ms.mutable_timers()->erase(timer_id);
      return Status::OK();
    }
    case v1::Command::kCompleteWorkflowExecution: {
      DURABLE_RETURN_IF_ERROR(CommandPayloads(c.complete_workflow_execution().result(), "workflow result", cc));
      v1::HistoryEvent ev;
      auto* a = ev.mutable_workflow_execution_completed();
      *a->mutable_result() = c.complete_workflow_execution().result();
      a->set_workflow_task_completed_event_id(cc.completed_id);
      CloseRun(txn, ms, v1::WORKFLOW_EXECUTION_STATUS_COMPLETED, std::move(ev));
      cc.closed = true;
      // Legacy cron: the next run, which gets this result as its last completion result.
      return ContinueCron(txn, ms, &cc.new_run, &c.complete_workflow_execution().result());
    }
    case v1::Command::kFailWorkflowExecution: {
      DURABLE_RETURN_IF_ERROR(FailOrRetryRun(txn, ms, c.fail_workflow_execution().failure(),
                                             false, cc.completed_id, &cc.new_run));
      cc.closed = true;
      return Status::OK();
    }
    case v1::Command::kCancelWorkflowExecution: {
      DURABLE_RETURN_IF_ERROR(CommandPayloads(c.cancel_workflow_execution().details(), "cancel details", cc));
      v1::HistoryEvent ev;
      auto* a = ev.mutable_workflow_execution_canceled();
      *a->mutable_details() = c.cancel_workflow_execution().details();
      a->set_workflow_task_completed_event_id(cc.completed_id);
      CloseRun(txn, ms, v1::WORKFLOW_EXECUTION_STATUS_CANCELED, std::move(ev));
      cc.closed = true;
      return Status::OK();
    }
    case v1::Command::kContinueAsNewWorkflowExecution: {
      const auto& s = c.continue_as_new_workflow_execution();
      constexpr const char* kBad = "bad_continue_as_new_attributes";
      const int64_t max_len = options_.limits.max_id_length;
      if (!s.workflow_type().empty()) {
        DURABLE_RETURN_IF_ERROR(CommandId(cc, kBad, "ContinueAsNewWorkflowExecution", s.workflow_type(), "workflow_type", max_len));
      }
      if (!s.task_queue().empty()) {
        DURABLE_RETURN_IF_ERROR(CommandId(cc, kBad, "ContinueAsNewWorkflowExecution", s.task_queue(), "task_queue", max_len));
      }
      if (AnyNegative({s.run_timeout_us(), s.task_timeout_us()})) {
        return BadCommand(cc, kBad, "ContinueAsNewWorkflowExecution: negative run or task timeout");
      }
      DURABLE_RETURN_IF_ERROR(CommandPayloads(s.input(), "continue-as-new input", cc));
      NewRunParams p;
      p.workflow_id = cc.wf;
      p.run_id = NewRunId();
      p.started = ms.started();
      auto& st = p.started;
      if (!s.workflow_type().empty()) st.set_workflow_type(s.workflow_type());
      if (!s.task_queue().empty()) st.set_task_queue(s.task_queue());
      *st.mutable_input() = s.input();
      if (s.run_timeout_us() > 0) st.set_run_timeout_us(s.run_timeout_us());
      if (s.task_timeout_us() > 0) st.set_task_timeout_us(s.task_timeout_us());
      if (s.header_size() > 0) *st.mutable_header() = s.header();
      // The new run starts with this run's current memo and search attributes unless the
      // command gives its own (as in Temporal).
      *st.mutable_memo() = s.memo_size() > 0 ? s.memo() : ms.memo();
      if (s.has_search_attributes()) {
        Status sa = ValidateSearchAttributes(ms.namespace_(), s.search_attributes(),
                                             /*allow_remove=*/false, cc.wf);
        if (!sa.ok()) {
          return BadCommand(cc, "bad_search_attributes", "ContinueAsNewWorkflowExecution: " + sa.message());
        }
        *st.mutable_search_attributes() = s.search_attributes();
      } else {
        *st.mutable_search_attributes() = ms.search_attributes();
      }
      if (s.has_retry_policy()) *st.mutable_retry_policy() = s.retry_policy();
      st.set_attempt(1);
      st.set_continued_execution_run_id(cc.run);
      st.clear_continued_failure();
      st.clear_last_completion_result();
      st.set_identity(cc.identity);
      p.request_id = ms.request_id();
      p.signal_request_ids = ms.signal_request_ids();
      v1::HistoryEvent ev;
      auto* a = ev.mutable_workflow_execution_continued_as_new();
      a->set_new_execution_run_id(p.run_id);
      a->set_workflow_type(st.workflow_type());
      a->set_task_queue(st.task_queue());
      *a->mutable_input() = s.input();
      a->set_run_timeout_us(st.run_timeout_us());
      a->set_task_timeout_us(st.task_timeout_us());
      a->set_workflow_task_completed_event_id(cc.completed_id);
      CloseRun(txn, ms, v1::WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW, std::move(ev));
      cc.new_run.emplace();
      DURABLE_RETURN_IF_ERROR(CreateRun(txn, std::move(p), &cc.new_run.value()));
      cc.closed = true;
      return Status::OK();
    }
    case v1::Command::kUpsertWorkflowSearchAttributes: {
      const auto& s = c.upsert_workflow_search_attributes().search_attributes();
      Status st = ValidateSearchAttributes(ms.namespace_(), s, /*allow_remove=*/true, cc.wf);
      if (!st.ok()) return BadCommand(cc, "bad_search_attributes", "UpsertWorkflowSearchAttributes: " + st.message());
      v1::HistoryEvent ev;
      auto* a = ev.mutable_upsert_workflow_search_attributes();
      *a->mutable_search_attributes() = s;
      a->set_workflow_task_completed_event_id(cc.completed_id);
      AppendEvent(txn, ms, std::move(ev));
      MergeSearchAttributes(s, ms.mutable_search_attributes());
      MarkVisibilityChanged(txn, ms);
      return Status::OK();
    }
    case v1::Command::kModifyWorkflowProperties: {
      const auto& s = c.modify_workflow_properties();
      for (const auto& [k, v] : s.upserted_memo()) {
        DURABLE_RETURN_IF_ERROR(CommandPayload(v, "memo '" + k + "'", cc));
      }
      v1::HistoryEvent ev;
      auto* a = ev.mutable_workflow_properties_modified();
      *a->mutable_upserted_memo() = s.upserted_memo();
      a->set_workflow_task_completed_event_id(cc.completed_id);
      AppendEvent(txn, ms, std::move(ev));
      auto* memo = ms.mutable_memo();
      for (const auto& [k, v] : s.upserted_memo()) {
        if (v.data().empty() && v.metadata().empty()) {
          memo->erase(k);
        } else {
          (*memo)[k] = v;
        }
      }
      MarkVisibilityChanged(txn, ms);
      return Status::OK();
    }
    case v1::Command::kRecordMarker: {
      const auto& s = c.record_marker();
      DURABLE_RETURN_IF_ERROR(CommandId(cc, "bad_record_marker_attributes", "RecordMarker", s.marker_name(),
                                        "marker_name", options_.limits.max_id_length));
      for (const auto& [k, v] : s.details()) {
        DURABLE_RETURN_IF_ERROR(CommandPayloads(v, "marker '" + s.marker_name() + "' detail '" + k + "'", cc));
      }
      v1::HistoryEvent ev;
      auto* a = ev.mutable_marker_recorded();
      a->set_marker_name(s.marker_name());
      *a->mutable_details() = s.details();
      if (s.has_failure()) *a->mutable_failure() = s.failure();
      a->set_workflow_task_completed_event_id(cc.completed_id);
      AppendEvent(txn, ms, std::move(ev));
      return Status::OK();
    }
    case v1::Command::kStartChildWorkflowExecution: {
      const auto& s = c.start_child_workflow_execution();
      constexpr const char* kBad = "bad_start_child_execution_attributes";
      constexpr const char* kCmd = "StartChildWorkflowExecution";
      const int64_t max_len = options_.limits.max_id_length;
      DURABLE_RETURN_IF_ERROR(CommandId(cc, kBad, kCmd, s.workflow_id(), "workflow_id", max_len));
      DURABLE_RETURN_IF_ERROR(CommandId(cc, kBad, kCmd, s.workflow_type(), "workflow_type", max_len));
      if (!s.task_queue().empty()) {
        DURABLE_RETURN_IF_ERROR(CommandId(cc, kBad, kCmd, s.task_queue(), "task_queue", max_len));
      }
      if (AnyNegative({s.execution_timeout_us(), s.run_timeout_us(), s.task_timeout_us()})) {
        return BadCommand(cc, kBad, std::string(kCmd) + ": child '" + s.workflow_id() +
                                        "' has a negative timeout");
      }
      Status sa = ValidateSearchAttributes(ms.namespace_(), s.search_attributes(),
                                           /*allow_remove=*/false, s.workflow_id());
      if (!sa.ok()) return BadCommand(cc, "bad_search_attributes", std::string(kCmd) + ": " + sa.message());
      DURABLE_RETURN_IF_ERROR(CommandPayloads(s.input(), "child '" + s.workflow_id() + "' input", cc));
      v1::HistoryEvent ev;
      auto* a = ev.mutable_start_child_workflow_execution_initiated();
      a->set_seq(s.seq());
      a->set_workflow_id(s.workflow_id());
      a->set_workflow_type(s.workflow_type());
      a->set_task_queue(s.task_queue().empty() ? ms.started().task_queue() : s.task_queue());
      *a->mutable_input() = s.input();
      a->set_execution_timeout_us(s.execution_timeout_us());
      a->set_run_timeout_us(s.run_timeout_us());
      a->set_task_timeout_us(s.task_timeout_us());
      a->set_parent_close_policy(s.parent_close_policy() == v1::PARENT_CLOSE_POLICY_UNSPECIFIED
                                     ? v1::PARENT_CLOSE_POLICY_TERMINATE
                                     : s.parent_close_policy());
      a->set_workflow_id_reuse_policy(s.workflow_id_reuse_policy());
      if (s.has_retry_policy()) *a->mutable_retry_policy() = s.retry_policy();
      *a->mutable_header() = s.header();
      *a->mutable_memo() = s.memo();
      *a->mutable_search_attributes() = s.search_attributes();
      a->set_workflow_task_completed_event_id(cc.completed_id);
      v1::OutboxItem item;
      item.set_kind(v1::OUTBOX_KIND_START_CHILD);
      *item.mutable_start_child() = *a;
      const int64_t id = AppendEvent(txn, ms, std::move(ev));
      item.set_initiated_event_id(id);
      item.mutable_target()->set_workflow_id(s.workflow_id());
      *item.mutable_root() = RootOf(ms);
      v1::ChildInfo ch;
      ch.set_initiated_event_id(id);
      ch.set_seq(s.seq());
      ch.set_workflow_id(s.workflow_id());
      ch.set_workflow_type(s.workflow_type());
      ch.set_parent_close_policy(item.start_child().parent_close_policy());
      (*ms.mutable_children())[id] = std::move(ch);
      AddOutbox(txn, ms, std::move(item));
      return Status::OK();
    }
    case v1::Command::kSignalExternalWorkflowExecution: {
      const auto& s = c.signal_external_workflow_execution();
      constexpr const char* kBad = "bad_signal_workflow_execution_attributes";
      constexpr const char* kCmd = "SignalExternalWorkflowExecution";
      const int64_t max_len = options_.limits.max_id_length;
      DURABLE_RETURN_IF_ERROR(CommandId(cc, kBad, kCmd, s.workflow_execution().workflow_id(), "workflow_id", max_len));
      DURABLE_RETURN_IF_ERROR(CommandId(cc, kBad, kCmd, s.signal_name(), "signal_name", max_len));
      DURABLE_RETURN_IF_ERROR(CommandPayloads(s.input(), "signal '" + s.signal_name() + "' input", cc));
      v1::HistoryEvent ev;
      auto* a = ev.mutable_signal_external_workflow_execution_initiated();
      a->set_seq(s.seq());
      *a->mutable_workflow_execution() = s.workflow_execution();
      a->set_signal_name(s.signal_name());
      *a->mutable_input() = s.input();
      a->set_child_workflow_only(s.child_workflow_only());
      *a->mutable_header() = s.header();
      a->set_workflow_task_completed_event_id(cc.completed_id);
      v1::OutboxItem item;
      item.set_kind(v1::OUTBOX_KIND_SIGNAL_EXTERNAL);
      *item.mutable_signal_external() = *a;
      *item.mutable_target() = s.workflow_execution();
      item.set_initiated_event_id(AppendEvent(txn, ms, std::move(ev)));
      AddOutbox(txn, ms, std::move(item));
      ms.set_pending_signal_externals(ms.pending_signal_externals() + 1);
      return Status::OK();
    }
    case v1::Command::kRequestCancelExternalWorkflowExecution: {
      const auto& s = c.request_cancel_external_workflow_execution();
      DURABLE_RETURN_IF_ERROR(CommandId(cc, "bad_request_cancel_external_workflow_execution_attributes",
                                        "RequestCancelExternalWorkflowExecution",
                                        s.workflow_execution().workflow_id(), "workflow_id",
                                        options_.limits.max_id_length));
      v1::HistoryEvent ev;
      auto* a = ev.mutable_request_cancel_external_workflow_execution_initiated();
      a->set_seq(s.seq());
      *a->mutable_workflow_execution() = s.workflow_execution();
      a->set_child_workflow_only(s.child_workflow_only());
      a->set_reason(s.reason());
      a->set_workflow_task_completed_event_id(cc.completed_id);
      v1::OutboxItem item;
      item.set_kind(v1::OUTBOX_KIND_CANCEL_EXTERNAL);
      *item.mutable_cancel_external() = *a;
      *item.mutable_target() = s.workflow_execution();
      item.set_initiated_event_id(AppendEvent(txn, ms, std::move(ev)));
      AddOutbox(txn, ms, std::move(item));
      ms.set_pending_cancel_externals(ms.pending_cancel_externals() + 1);
      return Status::OK();
    }
    case v1::Command::kAcceptUpdate: {
      const std::string& id = c.accept_update().update_id();
      auto a_it = cc.admitted.find(id);
      if (a_it == cc.admitted.end()) {
        return BadCommand(cc, "bad_update_workflow_execution_message",
                          "AcceptUpdate: update '" + id + "' is not waiting");
      }
      v1::HistoryEvent ev;
      auto* a = ev.mutable_workflow_execution_update_accepted();
      a->set_update_id(id);
      *a->mutable_request() = a_it->second;
      a->set_workflow_task_completed_event_id(cc.completed_id);
      const int64_t eid = AppendEvent(txn, ms, std::move(ev));
      auto& rec = (*ms.mutable_updates())[id];
      rec.set_update_id(id);
      rec.set_accepted_event_id(eid);
      cc.admitted.erase(a_it);
      cc.notes.push_back({1, id, {}});
      return Status::OK();
    }
    case v1::Command::kCompleteUpdate: {
      const std::string& id = c.complete_update().update_id();
      auto u = ms.mutable_updates()->find(id);
      if (u == ms.mutable_updates()->end() || u->second.completed()) {
        return BadCommand(cc, "bad_update_workflow_execution_message",
                          "CompleteUpdate: update '" + id + "' was not accepted (or is completed already)");
      }
      if (c.complete_update().outcome().has_success()) {
        DURABLE_RETURN_IF_ERROR(CommandPayloads(c.complete_update().outcome().success(), "update '" + id + "' result", cc));
      }
      v1::HistoryEvent ev;
      auto* a = ev.mutable_workflow_execution_update_completed();
      a->set_update_id(id);
      a->set_accepted_event_id(u->second.accepted_event_id());
      *a->mutable_outcome() = c.complete_update().outcome();
      a->set_workflow_task_completed_event_id(cc.completed_id);
      AppendEvent(txn, ms, std::move(ev));
      u->second.set_completed(true);
      *u->second.mutable_outcome() = c.complete_update().outcome();
      cc.notes.push_back({2, id, c.complete_update().outcome()});
      return Status::OK();
    }
    case v1::Command::kRejectUpdate: {
      UpdateNote n{3, c.reject_update().update_id(), {}};
      *n.outcome.mutable_failure() = c.reject_update().failure();
      cc.admitted.erase(n.id);
      cc.notes.push_back(std::move(n));
      return Status::OK();
    }
    case v1::Command::kRespondToQuery:
      return Status::OK();  // legacy queries are answered with RespondQueryTaskCompleted
    case v1::Command::kScheduleLocalActivity:
    case v1::Command::kRequestCancelLocalActivity:
      return BadCommand(cc, "unsupported_command",
                        "local activity commands are consumed by the worker's replay core, "
                        "never sent to the engine");
    case v1::Command::VARIANT_NOT_SET:
      // Also a command of a kind this engine does not know (an unknown oneof field).
      return BadCommand(cc, "unsupported_command", "empty or unknown command");
  }
  return BadCommand(cc, "unsupported_command", "unknown command");
}

}  // namespace durable
