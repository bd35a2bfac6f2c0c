// Schedules: the schedule calls (create, describe, update, patch: trigger / backfill / pause /
// unpause, delete, list) and what a schedule does when its timer fires.
//
// A schedule is a row of the schedules family (ScheduleRecord) driven by durable timer rows
// (TIMER_KIND_SCHEDULE): one wake-up at its next action time, and one written by CloseRun
// when a run it started closes (so buffered actions start and pause_on_failure applies).
// Every step runs under the schedule's own mutex (schedule_mu_, never a workflow stripe;
// lock order: schedule -> workflow stripe): refresh its running workflows, take the actions
// due up to now (catch-up window, overlap policy, limited actions), write the record and its
// next wake-up row in one batch. Workflows are started by StartWorkflowExecution with a
// request id derived from the schedule id and the nominal time, so a crash between a start
// and the record's write repeats the start idempotently when the timer fires again.
#include <algorithm>

#include "engine/engine_impl.h"
#include "schedules/spec.h"
#include "store/keys.h"
#include "visibility/attributes.h"

namespace durable {

namespace {

constexpr int64_t kDefaultCatchupUs = 365LL * 24 * 3600 * 1'000'000;
constexpr int kRecentActions = 10;
constexpr int kFutureActions = 10;

// One engine holds one namespace (Namespaces picked it from the request's namespace): its
// keys always use kNamespace, whatever name the request carries.
std::string Ns(const std::string&) { return kNamespace; }

std::string ScheduleKey(const std::string& ns, const std::string& id) {
  return keys::Join({ns, id});
}

v1::ScheduleOverlapPolicy Overlap(v1::ScheduleOverlapPolicy p) {
  return p == v1::SCHEDULE_OVERLAP_POLICY_UNSPECIFIED ? v1::SCHEDULE_OVERLAP_POLICY_SKIP : p;
}

// Seconds resolution, as Temporal names scheduled runs ("<id>-2026-12-02T09:30:00Z").
std::string RunSuffix(int64_t nominal_us) {
  return visibility::FormatRfc3339(nominal_us - ((nominal_us % 1'000'000) + 1'000'000) % 1'000'000);
}

Status ValidateSchedule(const std::string& id, const v1::Schedule& s, int64_t max_id_length) {
  if (id.empty()) return Status::InvalidArgument("schedule_id is empty");
  if (static_cast<int64_t>(id.size()) > max_id_length || id.find('\0') != std::string::npos) {
    return Status::InvalidArgument("schedule_id '" + id.substr(0, 64) +
                                   "' is too long or contains a NUL byte");
  }
  const auto& a = s.action().start_workflow();
  if (a.workflow_id().empty() || a.workflow_type().empty() || a.task_queue().empty()) {
    return Status::InvalidArgument("schedule '" + id +
                                   "': the action needs a workflow id, a workflow type and a "
                                   "task queue");
  }
  auto spec = schedules::CompiledSpec::Compile(s.spec());
  if (!spec.ok()) {
    return Status::InvalidArgument("schedule '" + id + "': " + spec.status().message());
  }
  if (s.policy().catchup_window_us() < 0) {
    return Status::InvalidArgument("schedule '" + id + "': negative catchup window");
  }
  return Status::OK();
}

}  // namespace

std::mutex& EngineImpl::ScheduleMutex(const std::string& id) {
  return schedule_mu_[std::hash<std::string>{}(id) % kScheduleStripes];
}

Status EngineImpl::LoadSchedule(const std::string& ns, const std::string& id,
                                v1::ScheduleRecord* rec) {
  std::string value;
  Status st = store_->Get(ColumnFamily::kSchedules, ScheduleKey(ns, id), &value);
  if (st.code() == StatusCode::kNotFound) {
    return Status::NotFound("schedule '" + id + "' not found in namespace '" + ns + "'");
  }
  DURABLE_RETURN_IF_ERROR(st);
  if (!rec->ParseFromString(value)) {
    return Status::Internal("schedule '" + id + "' does not parse");
  }
  return Status::OK();
}

void EngineImpl::RefreshScheduleRuns(v1::ScheduleRecord& rec) {
  auto* info = rec.mutable_info();
  google::protobuf::RepeatedPtrField<v1::WorkflowExecution> still;
  for (const auto& ex : info->running_workflows()) {
    v1::ExecutionState ms;
    Status st = LoadState(ex.workflow_id(), ex.run_id(), &ms);
    if (st.ok() && IsOpen(ms)) {
      *still.Add() = ex;
      continue;
    }
    auto status = st.ok() ? ms.status() : v1::WORKFLOW_EXECUTION_STATUS_UNSPECIFIED;
    for (auto& ra : *info->mutable_recent_actions()) {
      if (ra.start_workflow_result().run_id() == ex.run_id()) ra.set_status(status);
    }
    if (rec.schedule().policy().pause_on_failure() &&
        (status == v1::WORKFLOW_EXECUTION_STATUS_FAILED ||
         status == v1::WORKFLOW_EXECUTION_STATUS_TIMED_OUT)) {
      auto* state = rec.mutable_schedule()->mutable_state();
      state->set_paused(true);
      state->set_note("paused: workflow '" + ex.workflow_id() + "' " + StatusName(status));
    }
  }
  *info->mutable_running_workflows() = std::move(still);
}

Status EngineImpl::StartScheduledRun(v1::ScheduleRecord& rec, int64_t nominal_us,
                                     int64_t actual_us) {
  auto& state = *rec.mutable_schedule()->mutable_state();
  if (state.limited_actions() && state.remaining_actions() <= 0) return Status::OK();
  const auto& a = rec.schedule().action().start_workflow();
  v1::StartWorkflowExecutionRequest req;
  req.set_workflow_id(a.workflow_id() + "-" + RunSuffix(nominal_us));
  req.set_workflow_type(a.workflow_type());
  req.set_task_queue(a.task_queue());
  *req.mutable_input() = a.input();
  req.set_execution_timeout_us(a.execution_timeout_us());
  req.set_run_timeout_us(a.run_timeout_us());
  req.set_task_timeout_us(a.task_timeout_us());
  if (a.has_retry_policy()) *req.mutable_retry_policy() = a.retry_policy();
  *req.mutable_memo() = a.memo();
  *req.mutable_header() = a.header();
  *req.mutable_search_attributes() = a.search_attributes();
  auto& sa = *req.mutable_search_attributes()->mutable_indexed_fields();
  sa[visibility::kScheduledById].set_type(v1::INDEXED_VALUE_TYPE_KEYWORD);
  sa[visibility::kScheduledById].set_string_value(rec.schedule_id());
  sa[visibility::kScheduledStartTime].set_type(v1::INDEXED_VALUE_TYPE_DATETIME);
  sa[visibility::kScheduledStartTime].set_int_value(nominal_us);
  req.set_identity("schedule " + rec.schedule_id());
  req.set_request_id("schedule/" + rec.schedule_id() + "/" + std::to_string(nominal_us));
  v1::StartWorkflowExecutionResponse resp;
  Status st = StartWorkflowExecution(req, &resp);
  if (st.code() == StatusCode::kUnavailable || st.code() == StatusCode::kInternal) {
    return st;  // closing, or a storage error: this action is taken again later
  }
  if (!st.ok()) {
    // The id is taken (two manual triggers in one second) or the action is invalid: no run.
    rec.mutable_info()->set_num_actions_skipped_overlap(
        rec.info().num_actions_skipped_overlap() + 1);
    return Status::OK();
  }
  auto* info = rec.mutable_info();
  info->set_num_actions(info->num_actions() + 1);
  if (state.limited_actions()) state.set_remaining_actions(state.remaining_actions() - 1);
  v1::WorkflowExecution ex;
  ex.set_workflow_id(req.workflow_id());
  ex.set_run_id(resp.run_id());
  *info->add_running_workflows() = ex;
  auto* ra = info->add_recent_actions();
  ra->set_schedule_time_us(nominal_us);
  ra->set_actual_time_us(actual_us);
  *ra->mutable_start_workflow_result() = ex;
  ra->set_status(v1::WORKFLOW_EXECUTION_STATUS_RUNNING);
  while (info->recent_actions_size() > kRecentActions) {
    info->mutable_recent_actions()->DeleteSubrange(0, 1);
  }
  return Status::OK();
}

Status EngineImpl::TakeScheduleAction(v1::ScheduleRecord& rec, int64_t nominal_us,
                                      int64_t actual_us, v1::ScheduleOverlapPolicy overlap) {
  overlap = Overlap(overlap);
  auto* info = rec.mutable_info();
  if (info->running_workflows().empty() || overlap == v1::SCHEDULE_OVERLAP_POLICY_ALLOW_ALL) {
    return StartScheduledRun(rec, nominal_us, actual_us);
  }
  auto buffer = [&] {
    auto* b = rec.add_buffered();
    b->set_nominal_time_us(nominal_us);
    b->set_actual_time_us(actual_us);
    b->set_overlap(overlap);
  };
  auto skip = [&] { info->set_num_actions_skipped_overlap(info->num_actions_skipped_overlap() + 1); };
  switch (overlap) {
    case v1::SCHEDULE_OVERLAP_POLICY_BUFFER_ONE:
      if (rec.buffered().empty()) {
        buffer();
      } else {
        skip();
      }
      return Status::OK();
    case v1::SCHEDULE_OVERLAP_POLICY_BUFFER_ALL: buffer(); return Status::OK();
    case v1::SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER:
      for (const auto& ex : info->running_workflows()) {
        v1::RequestCancelWorkflowExecutionRequest c;
        *c.mutable_workflow_execution() = ex;
        c.set_identity("schedule " + rec.schedule_id());
        c.set_reason("canceled by schedule '" + rec.schedule_id() + "' (overlap policy CANCEL_OTHER)");
        v1::RequestCancelWorkflowExecutionResponse cr;
        (void)RequestCancelWorkflowExecution(c, &cr);
      }
      rec.clear_buffered();  // only the newest waits for the canceled ones to close
      buffer();
      return Status::OK();
    case v1::SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER:
      for (const auto& ex : info->running_workflows()) {
        v1::TerminateWorkflowExecutionRequest t;
        *t.mutable_workflow_execution() = ex;
        t.set_identity("schedule " + rec.schedule_id());
        t.set_reason("terminated by schedule '" + rec.schedule_id() +
                     "' (overlap policy TERMINATE_OTHER)");
        v1::TerminateWorkflowExecutionResponse tr;
        (void)TerminateWorkflowExecution(t, &tr);
      }
      RefreshScheduleRuns(rec);
      return StartScheduledRun(rec, nominal_us, actual_us);
    default: skip(); return Status::OK();
  }
}

Status EngineImpl::AdvanceSchedule(v1::ScheduleRecord& rec, int64_t now) {
  RefreshScheduleRuns(rec);
  // Buffered actions start one at a time, once nothing the schedule started is running.
  while (!rec.buffered().empty() && rec.info().running_workflows().empty()) {
    v1::ScheduleBufferedAction b = rec.buffered(0);
    rec.mutable_buffered()->DeleteSubrange(0, 1);
    DURABLE_RETURN_IF_ERROR(StartScheduledRun(rec, b.nominal_time_us(), b.actual_time_us()));
  }
  auto spec = schedules::CompiledSpec::Compile(rec.schedule().spec());
  if (!spec.ok()) return spec.status();  // validated on create and update
  const auto& policy = rec.schedule().policy();
  const int64_t window =
      policy.catchup_window_us() > 0 ? policy.catchup_window_us() : kDefaultCatchupUs;
  int64_t t = rec.last_processed_time_us();
  while (true) {
    auto next = spec.value().NextNominal(t);
    if (!next) break;
    int64_t actual = spec.value().ActualTime(*next, rec.schedule_id());
    if (actual > now) break;
    const auto& state = rec.schedule().state();
    if (state.paused() || (state.limited_actions() && state.remaining_actions() <= 0)) {
      t = *next;
      continue;
    }
    if (now - actual > window) {
      rec.mutable_info()->set_num_actions_missed_catchup_window(
          rec.info().num_actions_missed_catchup_window() + 1);
      t = *next;
      continue;
    }
    Status st = TakeScheduleAction(rec, *next, actual, policy.overlap());
    if (!st.ok()) {  // keep what was done; this time is taken again on the next fire
      rec.set_last_processed_time_us(std::max(t, rec.last_processed_time_us()));
      return st;
    }
    t = *next;
  }
  rec.set_last_processed_time_us(std::max(t, rec.last_processed_time_us()));
  rec.mutable_info()->set_num_buffered_actions(rec.buffered_size());
  return Status::OK();
}

Status EngineImpl::SaveSchedule(v1::ScheduleRecord& rec, const std::string& fired_key) {
  Txn txn(Now());
  if (!fired_key.empty()) txn.batch.Delete(ColumnFamily::kTimers, fired_key);
  // The next wake-up: the next action time (paused schedules wake too, to skip it).
  std::string wake;
  v1::TimerRow row;
  auto spec = schedules::CompiledSpec::Compile(rec.schedule().spec());
  if (spec.ok()) {
    auto next = spec.value().NextNominal(rec.last_processed_time_us());
    if (next) {
      row.set_kind(v1::TIMER_KIND_SCHEDULE);
      row.set_timer_id(rec.schedule_id());
      row.set_fire_time_us(spec.value().ActualTime(*next, rec.schedule_id()));
      row.set_key(keys::timer::ScheduleWake(rec.schedule_id()));
      row.set_namespace_(kNamespace);
      wake = TimerKey(row);
    }
  }
  if (rec.wake_timer_key() != wake) {
    if (!rec.wake_timer_key().empty() && rec.wake_timer_key() != fired_key) {
      txn.batch.Delete(ColumnFamily::kTimers, rec.wake_timer_key());
    }
    if (!wake.empty()) AddDurableTimer(txn, row);
    rec.set_wake_timer_key(wake);
  } else if (!wake.empty() && wake == fired_key) {
    AddDurableTimer(txn, row);  // same time again (nothing was due): keep it armed
  }
  txn.batch.Put(ColumnFamily::kSchedules, ScheduleKey(rec.namespace_(), rec.schedule_id()),
                rec.SerializeAsString());
  return Commit(txn, {});
}

void EngineImpl::NotifyScheduleOfClose(Txn& txn, const v1::ExecutionState& ms) {
  auto it = ms.search_attributes().indexed_fields().find(visibility::kScheduledById);
  if (it == ms.search_attributes().indexed_fields().end()) return;
  v1::TimerRow row;
  row.set_kind(v1::TIMER_KIND_SCHEDULE);
  row.set_timer_id(it->second.string_value());
  row.set_fire_time_us(txn.now_us);
  row.set_key(keys::timer::ScheduleRunClosed(it->second.string_value(), ms.workflow_id(),
                                             ms.run_id()));
  AddDurableTimer(txn, std::move(row));
}

void EngineImpl::OnScheduleTimer(const v1::TimerRow& row, const std::string& key) {
  TransitionScope ts(active_transitions_);
  std::lock_guard<std::mutex> lock(ScheduleMutex(row.timer_id()));
  v1::ScheduleRecord rec;
  Status st = LoadSchedule(Ns(row.namespace_()), row.timer_id(), &rec);
  if (st.code() == StatusCode::kNotFound) {  // deleted: drop the row
    Txn txn(Now());
    txn.batch.Delete(ColumnFamily::kTimers, key);
    (void)Commit(txn, {});
    return;
  }
  if (!st.ok()) return RetryTimerLater(row, key);
  Status adv = AdvanceSchedule(rec, Now());
  if (closing_) return;  // the row stays; the next open takes the actions
  if (!SaveSchedule(rec, key).ok() || !adv.ok()) RetryTimerLater(row, key);
}

// ---- legacy cron ------------------------------------------------------------------------

Result<int64_t> CronDelay(const std::string& cron, int64_t now_us) {
  v1::ScheduleSpec spec;
  spec.add_cron_expressions(cron);
  auto compiled = schedules::CompiledSpec::Compile(spec);
  if (!compiled.ok()) return compiled.status();
  auto next = compiled.value().NextNominal(now_us);
  if (!next) return Status::InvalidArgument("cron '" + cron + "' never fires");
  return *next - now_us;
}

Status EngineImpl::ContinueCron(Txn& txn, const v1::ExecutionState& ms,
                                std::optional<v1::ExecutionState>* new_run,
                                const v1::Payloads* result, const v1::Failure* failure) {
  const std::string& cron = ms.started().cron_schedule();
  if (cron.empty()) return Status::OK();
  auto delay = CronDelay(cron, txn.now_us);
  if (!delay.ok()) return delay.status();
  NewRunParams p;
  p.workflow_id = ms.workflow_id();
  p.started = ms.started();
  p.started.set_attempt(1);
  p.started.set_continued_execution_run_id(ms.run_id());
  p.started.clear_continued_failure();
  if (result != nullptr) *p.started.mutable_last_completion_result() = *result;
  if (failure != nullptr) *p.started.mutable_continued_failure() = *failure;
  p.started.set_identity("");
  *p.started.mutable_search_attributes() = ms.search_attributes();
  *p.started.mutable_memo() = ms.memo();
  if (p.started.execution_timeout_us() > 0) p.started.set_execution_expiration_time_us(0);
  p.request_id = ms.request_id();
  p.first_task_delay_us = delay.value();
  new_run->emplace();
  return CreateRun(txn, std::move(p), &new_run->value());
}

// ---- calls ------------------------------------------------------------------------------

Status EngineImpl::CreateSchedule(const v1::CreateScheduleRequest& req,
                                  v1::CreateScheduleResponse* resp) {
  DURABLE_ENTER();
  DURABLE_RETURN_IF_ERROR(ValidateSchedule(req.schedule_id(), req.schedule(), options_.limits.max_id_length));
  const std::string ns = Ns(req.namespace_());
  DURABLE_RETURN_IF_ERROR(ValidateSearchAttributes(
      ns, req.schedule().action().start_workflow().search_attributes(), false,
      req.schedule().action().start_workflow().workflow_id()));
  TransitionScope ts(active_transitions_);
  std::lock_guard<std::mutex> lock(ScheduleMutex(req.schedule_id()));
  v1::ScheduleRecord rec;
  Status st = LoadSchedule(ns, req.schedule_id(), &rec);
  if (st.ok()) {
    return Status::AlreadyExists("schedule '" + req.schedule_id() + "' already exists");
  }
  if (st.code() != StatusCode::kNotFound) return st;
  const int64_t now = Now();
  rec.Clear();
  rec.set_namespace_(ns);
  rec.set_schedule_id(req.schedule_id());
  *rec.mutable_schedule() = req.schedule();
  *rec.mutable_memo() = req.memo();
  rec.mutable_info()->set_create_time_us(now);
  rec.set_last_processed_time_us(now);
  for (const auto& b : req.backfill()) {
    auto spec = schedules::CompiledSpec::Compile(rec.schedule().spec());
    for (auto t = spec.value().NextNominal(b.start_time_us() - 1);
         t && *t < b.end_time_us(); t = spec.value().NextNominal(*t)) {
      DURABLE_RETURN_IF_ERROR(TakeScheduleAction(
          rec, *t, now, b.overlap() ? b.overlap() : rec.schedule().policy().overlap()));
    }
  }
  if (req.trigger_immediately()) {
    DURABLE_RETURN_IF_ERROR(TakeScheduleAction(rec, now, now, rec.schedule().policy().overlap()));
  }
  return SaveSchedule(rec, "");
}

Status EngineImpl::DescribeSchedule(const v1::DescribeScheduleRequest& req,
                                    v1::DescribeScheduleResponse* resp) {
  DURABLE_ENTER();
  std::lock_guard<std::mutex> lock(ScheduleMutex(req.schedule_id()));
  v1::ScheduleRecord rec;
  DURABLE_RETURN_IF_ERROR(LoadSchedule(Ns(req.namespace_()), req.schedule_id(), &rec));
  RefreshScheduleRuns(rec);  // statuses as of now (not written)
  *resp->mutable_schedule() = rec.schedule();
  *resp->mutable_info() = rec.info();
  *resp->mutable_memo() = rec.memo();
  auto spec = schedules::CompiledSpec::Compile(rec.schedule().spec());
  if (spec.ok()) {
    int64_t t = std::max(rec.last_processed_time_us(), Now());
    for (int i = 0; i < kFutureActions; ++i) {
      auto next = spec.value().NextNominal(t);
      if (!next) break;
      resp->mutable_info()->add_future_action_times_us(
          spec.value().ActualTime(*next, rec.schedule_id()));
      t = *next;
    }
  }
  return Status::OK();
}

Status EngineImpl::UpdateSchedule(const v1::UpdateScheduleRequest& req,
                                  v1::UpdateScheduleResponse* resp) {
  DURABLE_ENTER();
  DURABLE_RETURN_IF_ERROR(ValidateSchedule(req.schedule_id(), req.schedule(), options_.limits.max_id_length));
  const std::string ns = Ns(req.namespace_());
  DURABLE_RETURN_IF_ERROR(ValidateSearchAttributes(
      ns, req.schedule().action().start_workflow().search_attributes(), false,
      req.schedule().action().start_workflow().workflow_id()));
  TransitionScope ts(active_transitions_);
  std::lock_guard<std::mutex> lock(ScheduleMutex(req.schedule_id()));
  v1::ScheduleRecord rec;
  DURABLE_RETURN_IF_ERROR(LoadSchedule(ns, req.schedule_id(), &rec));
  *rec.mutable_schedule() = req.schedule();
  const int64_t now = Now();
  rec.mutable_info()->set_update_time_us(now);
  // The new spec applies from now on (times before the update are not caught up).
  rec.set_last_processed_time_us(std::max(rec.last_processed_time_us(), now));
  return SaveSchedule(rec, "");
}

Status EngineImpl::PatchSchedule(const v1::PatchScheduleRequest& req,
                                 v1::PatchScheduleResponse* resp) {
  DURABLE_ENTER();
  if (req.pause() && req.unpause()) {
    return Status::InvalidArgument("schedule '" + req.schedule_id() + "': pause and unpause at once");
  }
  TransitionScope ts(active_transitions_);
  std::lock_guard<std::mutex> lock(ScheduleMutex(req.schedule_id()));
  v1::ScheduleRecord rec;
  DURABLE_RETURN_IF_ERROR(LoadSchedule(Ns(req.namespace_()), req.schedule_id(), &rec));
  const int64_t now = Now();
  // Catch up first, so that a pause or trigger applies after what was already due.
  DURABLE_RETURN_IF_ERROR(AdvanceSchedule(rec, now));
  auto* state = rec.mutable_schedule()->mutable_state();
  if (req.pause() || req.unpause()) {
    state->set_paused(req.pause());
    state->set_note(!req.note().empty() ? req.note()
                                        : (req.pause() ? "paused" : "unpaused"));
  }
  if (!req.backfill().empty()) {
    auto spec = schedules::CompiledSpec::Compile(rec.schedule().spec());
    if (!spec.ok()) return spec.status();
    for (const auto& b : req.backfill()) {
      if (b.end_time_us() < b.start_time_us()) {
        return Status::InvalidArgument("schedule '" + req.schedule_id() +
                                       "': backfill ends before it starts");
      }
      for (auto t = spec.value().NextNominal(b.start_time_us() - 1);
           t && *t < b.end_time_us(); t = spec.value().NextNominal(*t)) {
        DURABLE_RETURN_IF_ERROR(TakeScheduleAction(
            rec, *t, now, b.overlap() ? b.overlap() : rec.schedule().policy().overlap()));
      }
    }
  }
  if (req.trigger_immediately()) {
    DURABLE_RETURN_IF_ERROR(TakeScheduleAction(
        rec, now, now,
        req.trigger_overlap() ? req.trigger_overlap() : rec.schedule().policy().overlap()));
  }
  rec.mutable_info()->set_num_buffered_actions(rec.buffered_size());
  return SaveSchedule(rec, "");
}

Status EngineImpl::DeleteSchedule(const v1::DeleteScheduleRequest& req,
                                  v1::DeleteScheduleResponse* resp) {
  DURABLE_ENTER();
  TransitionScope ts(active_transitions_);
  std::lock_guard<std::mutex> lock(ScheduleMutex(req.schedule_id()));
  const std::string ns = Ns(req.namespace_());
  v1::ScheduleRecord rec;
  DURABLE_RETURN_IF_ERROR(LoadSchedule(ns, req.schedule_id(), &rec));
  Txn txn(Now());
  txn.batch.Delete(ColumnFamily::kSchedules, ScheduleKey(ns, req.schedule_id()));
  if (!rec.wake_timer_key().empty()) txn.batch.Delete(ColumnFamily::kTimers, rec.wake_timer_key());
  return Commit(txn, {});
}

Status EngineImpl::ListSchedules(const v1::ListSchedulesRequest& req,
                                 v1::ListSchedulesResponse* resp) {
  DURABLE_ENTER();
  if (req.page_size() < 0) return Status::InvalidArgument("page_size is negative");
  const size_t page = req.page_size() == 0 ? 1000 : static_cast<size_t>(req.page_size());
  const std::string prefix = keys::Join({Ns(req.namespace_()), ""});
  std::string start = prefix;
  if (!req.next_page_token().empty()) start = prefix + req.next_page_token() + std::string(1, '\0');
  std::string last;
  bool more = false;
  Status inner;
  DURABLE_RETURN_IF_ERROR(store_->Iterate(ColumnFamily::kSchedules, start, PrefixSuccessor(prefix),
                                          [&](std::string_view, std::string_view v) {
    if (static_cast<size_t>(resp->schedules_size()) == page) {
      more = true;
      return false;
    }
    v1::ScheduleRecord rec;
    if (!rec.ParseFromArray(v.data(), static_cast<int>(v.size()))) {
      inner = Status::Internal("a schedule record does not parse");
      return false;
    }
    auto* e = resp->add_schedules();
    e->set_schedule_id(rec.schedule_id());
    *e->mutable_schedule() = rec.schedule();
    *e->mutable_info() = rec.info();
    *e->mutable_memo() = rec.memo();
    last = rec.schedule_id();
    return true;
  }));
  DURABLE_RETURN_IF_ERROR(inner);
  if (more) resp->set_next_page_token(last);
  return Status::OK();
}

}  // namespace durable
