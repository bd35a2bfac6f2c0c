// Engine infrastructure (open, recovery, commit, event helpers, run creation and closing)
// and the client-facing calls: start, signal, cancel, terminate, describe, history, list.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <random>
#include <thread>

#include "engine/engine_impl.h"
#include "store/keys.h"

namespace durable {

// ---------------------------------------------------------------------------------------
// Small helpers

std::string EncodeToken(const v1::TaskToken& t) { return t.SerializeAsString(); }

Status DecodeToken(const std::string& bytes, v1::TaskToken* t) {
  if (bytes.empty() || !t->ParseFromString(bytes) || t->workflow_execution().workflow_id().empty()) {
    return Status::InvalidArgument("malformed task token (" + std::to_string(bytes.size()) +
                                   " bytes)");
  }
  return Status::OK();
}

std::string ExecName(const std::string& wf, const std::string& run) {
  if (run.empty()) return "workflow '" + wf + "'";
  return "workflow '" + wf + "' (run '" + run + "')";
}

bool IsOpen(const v1::ExecutionState& ms) {
  return ms.status() == v1::WORKFLOW_EXECUTION_STATUS_RUNNING;
}

const char* StatusName(v1::WorkflowExecutionStatus s) {
  switch (s) {
    case v1::WORKFLOW_EXECUTION_STATUS_RUNNING: return "Running";
    case v1::WORKFLOW_EXECUTION_STATUS_COMPLETED: return "Completed";
    case v1::WORKFLOW_EXECUTION_STATUS_FAILED: return "Failed";
    case v1::WORKFLOW_EXECUTION_STATUS_CANCELED: return "Canceled";
    case v1::WORKFLOW_EXECUTION_STATUS_TERMINATED: return "Terminated";
    case v1::WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW: return "ContinuedAsNew";
    case v1::WORKFLOW_EXECUTION_STATUS_TIMED_OUT: return "TimedOut";
    default: return "Unspecified";
  }
}

v1::RetryPolicy WithRetryDefaults(const v1::RetryPolicy& p) {
  v1::RetryPolicy r = p;
  if (r.initial_interval_us() <= 0) r.set_initial_interval_us(1'000'000);
  if (r.backoff_coefficient() < 1.0) r.set_backoff_coefficient(2.0);
  if (r.maximum_interval_us() <= 0) r.set_maximum_interval_us(100 * r.initial_interval_us());
  if (r.maximum_attempts() < 0) r.set_maximum_attempts(0);
  return r;
}

RetryDecision DecideRetry(const v1::RetryPolicy& policy, int32_t attempt,
                          const v1::Failure* failure, bool is_timeout, int64_t now_us,
                          int64_t expiration_us) {
  RetryDecision d;
  if (failure != nullptr) {
    if (failure->has_application_failure_info()) {
      const auto& info = failure->application_failure_info();
      if (info.non_retryable()) {
        d.state = v1::RETRY_STATE_NON_RETRYABLE_FAILURE;
        return d;
      }
      for (const auto& t : policy.non_retryable_error_types()) {
        if (t == info.type()) {
          d.state = v1::RETRY_STATE_NON_RETRYABLE_FAILURE;
          return d;
        }
      }
    }
    if (failure->has_server_failure_info() && failure->server_failure_info().non_retryable()) {
      d.state = v1::RETRY_STATE_NON_RETRYABLE_FAILURE;
      return d;
    }
  }
  if (policy.maximum_attempts() > 0 && attempt >= policy.maximum_attempts()) {
    d.state = v1::RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED;
    return d;
  }
  int64_t delay = 0;
  if (failure != nullptr && failure->has_application_failure_info() &&
      failure->application_failure_info().next_retry_delay_us() > 0) {
    delay = failure->application_failure_info().next_retry_delay_us();
  } else {
    double f = static_cast<double>(policy.initial_interval_us()) *
               std::pow(policy.backoff_coefficient(), std::max(0, attempt - 1));
    double cap = static_cast<double>(policy.maximum_interval_us());
    delay = static_cast<int64_t>(std::min(f, cap));
  }
  if (expiration_us > 0 && now_us + delay >= expiration_us) {
    d.state = v1::RETRY_STATE_TIMEOUT;
    return d;
  }
  (void)is_timeout;
  d.retry = true;
  d.delay_us = delay;
  d.state = v1::RETRY_STATE_IN_PROGRESS;
  return d;
}

// ---------------------------------------------------------------------------------------
// Open / recovery / close

Result<std::unique_ptr<Engine>> OpenEngineOnStore(std::unique_ptr<Store> store,
                                                  const EngineOptions& options) {
  if (!store) return Status::InvalidArgument("OpenEngineOnStore: null store");
  auto engine = std::make_unique<EngineImpl>(std::move(store), options);
  DURABLE_RETURN_IF_ERROR(engine->Recover());
  return std::unique_ptr<Engine>(std::move(engine));
}

Result<std::unique_ptr<Engine>> OpenEngine(const std::string& directory,
                                           const EngineOptions& options) {
  DURABLE_ASSIGN_OR_RETURN(auto store, OpenRocksDbStore(directory));
  return OpenEngineOnStore(std::move(store), options);
}

EngineImpl::EngineImpl(std::unique_ptr<Store> store, const EngineOptions& options)
    : store_(std::move(store)), options_(options) {
  clock_ = options_.clock ? options_.clock : SystemClock();
  std::random_device rd;
  rng_state_[0] = (static_cast<uint64_t>(rd()) << 32) ^ rd() ^
                  static_cast<uint64_t>(SystemClock()->NowMicros());
  rng_state_[1] = (static_cast<uint64_t>(rd()) << 32) ^ rd() ^ 0x9e3779b97f4a7c15ULL;
  // Dispatch ids must never repeat across restarts (a token from before a crash is stale).
  next_dispatch_id_ = SystemClock()->NowMicros() << 8;
  timers_ = std::make_unique<TimerService>(
      clock_, [this](const v1::TimerRow& row, const std::string& key) { FireTimer(row, key); },
      [this] { return CanSkipTime(); });
}

EngineImpl::~EngineImpl() {
  closing_ = true;
  matching_.Close();
  timers_->Stop();
  {
    std::lock_guard<std::mutex> l(mem_mu_);
    for (auto& [k, w] : watches_) w->cv.notify_all();
    update_cv_.notify_all();
    query_cv_.notify_all();
  }
  // Parked calls see closing_ and return; wait for them before tearing down.
  while (active_calls_.load() > 0) {
    {
      std::lock_guard<std::mutex> l(mem_mu_);
      for (auto& [k, w] : watches_) w->cv.notify_all();
      update_cv_.notify_all();
      query_cv_.notify_all();
    }
    matching_.Close();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

Status EngineImpl::Recover() {
  int64_t max_seq = 0;
  std::vector<v1::TaskRow> activity_rows;  // checked after the scan (started or not)
  std::vector<std::string> activity_keys;
  Status st = store_->Iterate(ColumnFamily::kTasks, "", "", [&](std::string_view k,
                                                               std::string_view v) {
    v1::TaskRow row;
    if (!row.ParseFromArray(v.data(), static_cast<int>(v.size()))) return true;
    max_seq = std::max(max_seq, keys::TaskSeq(k));
    if (row.kind() == v1::TASK_KIND_ACTIVITY) {
      activity_rows.push_back(row);
      activity_keys.emplace_back(k);
      return true;
    }
    QueuedTask t;
    t.row = row;
    t.store_key = std::string(k);
    matching_.Push(Matching::Kind::kWorkflow, row.task_queue(), std::move(t));
    return true;
  });
  DURABLE_RETURN_IF_ERROR(st);
  // An activity attempt started before the engine closed (its worker died with it) is not
  // dispatched again: its start-to-close / heartbeat timeouts are armed from its persisted
  // start and last heartbeat, and when one fires the retry policy decides (attempt + 1).
  for (size_t i = 0; i < activity_rows.size(); ++i) {
    const v1::TaskRow& row = activity_rows[i];
    v1::ExecutionState ms;
    Status ls = LoadState(row.workflow_id(), row.run_id(), &ms);
    if (!ls.ok() && ls.code() != StatusCode::kNotFound) return ls;
    if (ls.ok() && IsOpen(ms)) {
      auto it = ms.activities().find(row.scheduled_event_id());
      if (it != ms.activities().end() && it->second.started_dispatch_id() != 0 &&
          it->second.task_seq() == keys::TaskSeq(activity_keys[i])) {
        AddAttemptTimers(row.workflow_id(), row.run_id(), it->second);
        continue;
      }
    }
    QueuedTask t;
    t.row = row;
    t.store_key = std::move(activity_keys[i]);
    matching_.Push(Matching::Kind::kActivity, row.task_queue(), std::move(t));
  }
  next_task_seq_ = max_seq + 1;
  st = store_->Iterate(ColumnFamily::kTimers, "", "", [&](std::string_view k, std::string_view v) {
    v1::TimerRow row;
    if (row.ParseFromArray(v.data(), static_cast<int>(v.size()))) {
      timers_->Add(std::move(row), std::string(k));
    }
    return true;
  });
  DURABLE_RETURN_IF_ERROR(st);
  timers_->Start();
  return Status::OK();
}

std::mutex& EngineImpl::Stripe(const std::string& workflow_id) {
  return stripes_[std::hash<std::string>()(workflow_id) % kStripes];
}

std::string EngineImpl::NewRunId() {
  uint64_t a, b;
  {
    std::lock_guard<std::mutex> l(rng_mu_);
    // xorshift128+
    auto next = [this] {
      uint64_t s1 = rng_state_[0];
      const uint64_t s0 = rng_state_[1];
      rng_state_[0] = s0;
      s1 ^= s1 << 23;
      rng_state_[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
      return rng_state_[1] + s0;
    };
    a = next();
    b = next();
  }
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant
  char buf[40];
  snprintf(buf, sizeof(buf), "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
           static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xffff),
           static_cast<unsigned>(b >> 48),
           static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

// ---------------------------------------------------------------------------------------
// Loading

Status EngineImpl::LoadCurrent(const std::string& wf, v1::CurrentRun* cur) {
  std::string v;
  Status st = store_->Get(ColumnFamily::kCurrent, keys::Current(kNamespace, wf), &v);
  if (st.code() == StatusCode::kNotFound) {
    return Status::NotFound("workflow '" + wf + "' not found");
  }
  DURABLE_RETURN_IF_ERROR(st);
  if (!cur->ParseFromString(v)) return Status::Internal("corrupt current row of workflow '" + wf + "'");
  return Status::OK();
}

Status EngineImpl::ResolveRun(const std::string& wf, const std::string& run, std::string* out) {
  if (wf.empty()) return Status::InvalidArgument("workflow_id is empty");
  if (!run.empty()) {
    *out = run;
    return Status::OK();
  }
  v1::CurrentRun cur;
  DURABLE_RETURN_IF_ERROR(LoadCurrent(wf, &cur));
  *out = cur.run_id();
  return Status::OK();
}

Status EngineImpl::LoadState(const std::string& wf, const std::string& run,
                             v1::ExecutionState* ms) {
  std::string v;
  Status st = store_->Get(ColumnFamily::kExecutions, keys::Execution(kNamespace, wf, run), &v);
  if (st.code() == StatusCode::kNotFound) {
    return Status::NotFound(ExecName(wf, run) + " not found");
  }
  DURABLE_RETURN_IF_ERROR(st);
  if (!ms->ParseFromString(v)) return Status::Internal("corrupt mutable state of " + ExecName(wf, run));
  return Status::OK();
}

Status EngineImpl::ReadHistory(const v1::ExecutionState& ms, int64_t from, int64_t to_exclusive,
                               v1::History* out) {
  if (from < 1) from = 1;
  if (to_exclusive <= from) return Status::OK();
  std::string start = keys::History(kNamespace, ms.workflow_id(), ms.run_id(), from);
  std::string end = keys::History(kNamespace, ms.workflow_id(), ms.run_id(), to_exclusive);
  bool corrupt = false;
  Status st = store_->Iterate(ColumnFamily::kHistory, start, end, [&](std::string_view,
                                                                     std::string_view v) {
    if (!out->add_events()->ParseFromArray(v.data(), static_cast<int>(v.size()))) corrupt = true;
    return !corrupt;
  });
  DURABLE_RETURN_IF_ERROR(st);
  if (corrupt) return Status::Internal("corrupt history event in " + ExecName(ms.workflow_id(), ms.run_id()));
  return Status::OK();
}

// ---------------------------------------------------------------------------------------
// Commit

void EngineImpl::SaveState(Txn& txn, const v1::ExecutionState& ms) {
  txn.batch.Put(ColumnFamily::kExecutions,
                keys::Execution(kNamespace, ms.workflow_id(), ms.run_id()),
                ms.SerializeAsString());
}

Status EngineImpl::Commit(Txn& txn, std::initializer_list<v1::ExecutionState*> states) {
  for (auto* ms : states) {
    if (ms != nullptr) SaveState(txn, *ms);
  }
  Status st = store_->Write(txn.batch, options_.sync_writes);
  if (!st.ok()) {
    std::string who;
    for (auto* ms : states) {
      if (ms != nullptr) who += (who.empty() ? "" : ", ") + ExecName(ms->workflow_id(), ms->run_id());
    }
    return Status(st.code() == StatusCode::kOk ? StatusCode::kInternal : st.code(),
                  "transition of " + who + " not written: " + st.message());
  }
  for (auto& fn : txn.after) fn();
  for (auto* ms : states) {
    if (ms != nullptr) NotifyWatchers(RunKey(ms->workflow_id(), ms->run_id()));
  }
  timers_->Poke();
  return Status::OK();
}

void EngineImpl::NotifyWatchers(const std::string& run_key) {
  std::lock_guard<std::mutex> l(mem_mu_);
  auto it = watches_.find(run_key);
  if (it != watches_.end()) {
    it->second->version++;
    it->second->cv.notify_all();
  }
}

// ---------------------------------------------------------------------------------------
// Event helpers

bool EngineImpl::WftInFlight(const Txn& txn, const v1::ExecutionState& ms) {
  std::string rk = RunKey(ms.workflow_id(), ms.run_id());
  if (rk == txn.wft_released) return false;
  std::lock_guard<std::mutex> l(mem_mu_);
  auto it = runtime_.find(rk);
  return it != runtime_.end() && it->second.wft.has_value();
}

int64_t EngineImpl::AppendEvent(Txn& txn, v1::ExecutionState& ms, v1::HistoryEvent ev) {
  int64_t id = ms.next_event_id();
  if (id == 0) id = 1;
  ev.set_event_id(id);
  if (ev.event_time_us() == 0) ev.set_event_time_us(txn.now_us);
  if (ev.has_child_workflow_execution_started()) {
    auto it = ms.mutable_children()->find(ev.child_workflow_execution_started().initiated_event_id());
    if (it != ms.mutable_children()->end()) it->second.set_started_event_id(id);
  }
  std::string bytes = ev.SerializeAsString();
  ms.set_history_size_bytes(ms.history_size_bytes() + static_cast<int64_t>(bytes.size()));
  txn.batch.Put(ColumnFamily::kHistory,
                keys::History(kNamespace, ms.workflow_id(), ms.run_id(), id), std::move(bytes));
  ms.set_next_event_id(id + 1);
  return id;
}

void EngineImpl::AddOrBufferEvent(Txn& txn, v1::ExecutionState& ms, v1::HistoryEvent ev) {
  std::vector<v1::HistoryEvent> evs;
  evs.push_back(std::move(ev));
  AddOrBufferEvents(txn, ms, std::move(evs));
}

void EngineImpl::AddOrBufferEvents(Txn& txn, v1::ExecutionState& ms,
                                   std::vector<v1::HistoryEvent> evs) {
  if (WftInFlight(txn, ms)) {
    for (auto& ev : evs) {
      ev.set_event_time_us(txn.now_us);
      *ms.add_buffered_events() = std::move(ev);
    }
    return;
  }
  // Activity Started + close pairs: the close event refers to the started event's id.
  int64_t last_started = 0;
  for (auto& ev : evs) {
    if (ev.has_activity_task_completed() && ev.activity_task_completed().started_event_id() < 0) {
      ev.mutable_activity_task_completed()->set_started_event_id(last_started);
    } else if (ev.has_activity_task_failed() && ev.activity_task_failed().started_event_id() < 0) {
      ev.mutable_activity_task_failed()->set_started_event_id(last_started);
    } else if (ev.has_activity_task_timed_out() &&
               ev.activity_task_timed_out().started_event_id() < 0) {
      ev.mutable_activity_task_timed_out()->set_started_event_id(last_started);
    } else if (ev.has_activity_task_canceled() &&
               ev.activity_task_canceled().started_event_id() < 0) {
      ev.mutable_activity_task_canceled()->set_started_event_id(last_started);
    }
    bool is_started = ev.has_activity_task_started();
    int64_t id = AppendEvent(txn, ms, std::move(ev));
    if (is_started) last_started = id;
  }
  ScheduleWorkflowTask(txn, ms);
}

bool EngineImpl::FlushBuffered(Txn& txn, v1::ExecutionState& ms) {
  if (ms.buffered_events_size() == 0) return false;
  std::map<int64_t, int64_t> activity_started;  // scheduled id -> started event id
  std::map<int64_t, int64_t> child_started;     // initiated id -> started event id
  auto buffered = std::move(*ms.mutable_buffered_events());
  ms.clear_buffered_events();
  for (auto& ev : buffered) {
    if (ev.has_activity_task_completed() && ev.activity_task_completed().started_event_id() < 0) {
      auto* a = ev.mutable_activity_task_completed();
      a->set_started_event_id(activity_started[a->scheduled_event_id()]);
    } else if (ev.has_activity_task_failed() && ev.activity_task_failed().started_event_id() < 0) {
      auto* a = ev.mutable_activity_task_failed();
      a->set_started_event_id(activity_started[a->scheduled_event_id()]);
    } else if (ev.has_activity_task_timed_out() &&
               ev.activity_task_timed_out().started_event_id() < 0) {
      auto* a = ev.mutable_activity_task_timed_out();
      a->set_started_event_id(activity_started[a->scheduled_event_id()]);
    } else if (ev.has_activity_task_canceled() &&
               ev.activity_task_canceled().started_event_id() < 0) {
      auto* a = ev.mutable_activity_task_canceled();
      a->set_started_event_id(activity_started[a->scheduled_event_id()]);
    }
    // Child close events whose started event was buffered too.
    auto fix_child = [&](auto* a) {
      if (a->started_event_id() < 0) a->set_started_event_id(child_started[a->initiated_event_id()]);
    };
    if (ev.has_child_workflow_execution_completed()) fix_child(ev.mutable_child_workflow_execution_completed());
    if (ev.has_child_workflow_execution_failed()) fix_child(ev.mutable_child_workflow_execution_failed());
    if (ev.has_child_workflow_execution_canceled()) fix_child(ev.mutable_child_workflow_execution_canceled());
    if (ev.has_child_workflow_execution_timed_out()) fix_child(ev.mutable_child_workflow_execution_timed_out());
    if (ev.has_child_workflow_execution_terminated()) fix_child(ev.mutable_child_workflow_execution_terminated());

    bool act_started = ev.has_activity_task_started();
    int64_t sched = act_started ? ev.activity_task_started().scheduled_event_id() : 0;
    bool ch_started = ev.has_child_workflow_execution_started();
    int64_t init = ch_started ? ev.child_workflow_execution_started().initiated_event_id() : 0;
    int64_t id = AppendEvent(txn, ms, std::move(ev));
    if (act_started) activity_started[sched] = id;
    if (ch_started) {
      child_started[init] = id;
      auto it = ms.mutable_children()->find(init);
      if (it != ms.mutable_children()->end()) it->second.set_started_event_id(id);
    }
  }
  return true;
}

void EngineImpl::ScheduleWorkflowTask(Txn& txn, v1::ExecutionState& ms) {
  if (!IsOpen(ms) || ms.workflow_task().pending()) return;
  if (WftInFlight(txn, ms)) return;  // a speculative task in flight: its completion schedules
  auto* wt = ms.mutable_workflow_task();
  wt->set_pending(true);
  wt->set_attempt(1);
  wt->set_scheduled_time_us(txn.now_us);
  wt->set_task_queue(ms.started().task_queue());
  v1::HistoryEvent ev;
  auto* a = ev.mutable_workflow_task_scheduled();
  a->set_task_queue(ms.started().task_queue());
  a->set_start_to_close_timeout_us(ms.started().task_timeout_us());
  a->set_attempt(1);
  wt->set_scheduled_event_id(AppendEvent(txn, ms, std::move(ev)));
  PutWorkflowTaskRow(txn, ms);
}

void EngineImpl::PutWorkflowTaskRow(Txn& txn, v1::ExecutionState& ms) {
  auto* wt = ms.mutable_workflow_task();
  int64_t seq = next_task_seq_.fetch_add(1);
  QueuedTask t;
  t.row.set_kind(v1::TASK_KIND_WORKFLOW);
  t.row.set_namespace_(kNamespace);
  t.row.set_workflow_id(ms.workflow_id());
  t.row.set_run_id(ms.run_id());
  t.row.set_scheduled_event_id(wt->scheduled_event_id());
  t.row.set_attempt(wt->attempt());
  t.row.set_task_queue(wt->task_queue());
  t.store_key = keys::Task(kNamespace, wt->task_queue(), v1::TASK_KIND_WORKFLOW, seq);
  txn.batch.Put(ColumnFamily::kTasks, t.store_key, t.row.SerializeAsString());
  wt->set_task_seq(seq);
  std::string queue = wt->task_queue();
  txn.after.push_back([this, queue, t = std::move(t)]() mutable {
    matching_.Push(Matching::Kind::kWorkflow, queue, std::move(t));
  });
}

void EngineImpl::PutActivityTaskRow(Txn& txn, v1::ExecutionState& ms, v1::ActivityInfo& ai) {
  int64_t seq = next_task_seq_.fetch_add(1);
  QueuedTask t;
  t.row.set_kind(v1::TASK_KIND_ACTIVITY);
  t.row.set_namespace_(kNamespace);
  t.row.set_workflow_id(ms.workflow_id());
  t.row.set_run_id(ms.run_id());
  t.row.set_scheduled_event_id(ai.scheduled_event_id());
  t.row.set_attempt(ai.attempt());
  const std::string& queue = ai.scheduled().task_queue();
  t.row.set_task_queue(queue);
  t.store_key = keys::Task(kNamespace, queue, v1::TASK_KIND_ACTIVITY, seq);
  txn.batch.Put(ColumnFamily::kTasks, t.store_key, t.row.SerializeAsString());
  ai.set_task_seq(seq);
  txn.after.push_back([this, queue, t = std::move(t)]() mutable {
    matching_.Push(Matching::Kind::kActivity, queue, std::move(t));
  });
}

void EngineImpl::DeleteTaskRow(Txn& txn, const std::string& queue, int kind, int64_t seq) {
  if (seq <= 0) return;
  txn.batch.Delete(ColumnFamily::kTasks, keys::Task(kNamespace, queue, kind, seq));
}

std::string EngineImpl::TimerKey(const v1::TimerRow& row) {
  return keys::Timer(row.fire_time_us(), kNamespace, row.workflow_id(), row.run_id(), row.key());
}

void EngineImpl::AddDurableTimer(Txn& txn, v1::TimerRow row) {
  row.set_namespace_(kNamespace);
  std::string key = TimerKey(row);
  txn.batch.Put(ColumnFamily::kTimers, key, row.SerializeAsString());
  txn.after.push_back([this, row = std::move(row), key = std::move(key)]() mutable {
    timers_->Add(std::move(row), std::move(key));
  });
}

void EngineImpl::DeleteDurableTimer(Txn& txn, const v1::TimerRow& row) {
  txn.batch.Delete(ColumnFamily::kTimers, TimerKey(row));
}

void EngineImpl::AddOutbox(Txn& txn, const v1::ExecutionState& ms, v1::OutboxItem item,
                           int64_t delay_us) {
  v1::TimerRow row;
  row.set_kind(v1::TIMER_KIND_OUTBOX);
  row.set_workflow_id(ms.workflow_id());
  row.set_run_id(ms.run_id());
  row.set_fire_time_us(txn.now_us + delay_us);
  row.set_key("outbox/" + std::to_string(next_task_seq_.fetch_add(1)));
  *row.mutable_outbox() = std::move(item);
  AddDurableTimer(txn, std::move(row));
}

Status EngineImpl::ValidatePayload(const v1::Payload& p, const std::string& what,
                                   const std::string& wf) {
  int64_t size = static_cast<int64_t>(p.ByteSizeLong());
  if (size > options_.max_payload_bytes) {
    return Status::InvalidArgument(what + " of workflow '" + wf + "' is " + std::to_string(size) +
                                   " bytes, more than the limit of " +
                                   std::to_string(options_.max_payload_bytes) + " bytes");
  }
  return Status::OK();
}

Status EngineImpl::ValidatePayloads(const v1::Payloads& ps, const std::string& what,
                                    const std::string& wf) {
  for (int i = 0; i < ps.payloads_size(); ++i) {
    DURABLE_RETURN_IF_ERROR(ValidatePayload(ps.payloads(i), what, wf));
  }
  return Status::OK();
}

// ---------------------------------------------------------------------------------------
// Creating and closing runs

Status EngineImpl::CreateRun(Txn& txn, NewRunParams p, v1::ExecutionState* out) {
  v1::ExecutionState ms;
  ms.set_namespace_(kNamespace);
  ms.set_workflow_id(p.workflow_id);
  ms.set_run_id(p.run_id.empty() ? NewRunId() : p.run_id);
  auto& st = *ms.mutable_started();
  st = std::move(p.started);
  st.set_workflow_id(p.workflow_id);
  if (st.first_execution_run_id().empty()) st.set_first_execution_run_id(ms.run_id());
  if (st.attempt() <= 0) st.set_attempt(1);
  if (st.task_timeout_us() <= 0) st.set_task_timeout_us(options_.default_task_timeout_us);
  if (st.execution_timeout_us() > 0 && st.execution_expiration_time_us() == 0) {
    st.set_execution_expiration_time_us(txn.now_us + st.execution_timeout_us());
  }
  ms.set_status(v1::WORKFLOW_EXECUTION_STATUS_RUNNING);
  ms.set_start_time_us(txn.now_us);
  ms.set_execution_time_us(txn.now_us + std::max<int64_t>(0, p.first_task_delay_us));
  ms.set_next_event_id(1);
  ms.set_request_id(p.request_id);

  v1::HistoryEvent started;
  *started.mutable_workflow_execution_started() = st;
  AppendEvent(txn, ms, std::move(started));
  if (p.with_signal) {
    v1::HistoryEvent sig;
    *sig.mutable_workflow_execution_signaled() = p.signal;
    AppendEvent(txn, ms, std::move(sig));
  }
  if (p.first_task_delay_us > 0) {
    v1::TimerRow row;
    row.set_kind(v1::TIMER_KIND_WORKFLOW_START_DELAY);
    row.set_workflow_id(ms.workflow_id());
    row.set_run_id(ms.run_id());
    row.set_fire_time_us(txn.now_us + p.first_task_delay_us);
    row.set_key("startdelay");
    AddDurableTimer(txn, std::move(row));
  } else {
    ScheduleWorkflowTask(txn, ms);
  }
  if (st.run_timeout_us() > 0) {
    v1::TimerRow row;
    row.set_kind(v1::TIMER_KIND_WORKFLOW_RUN_TIMEOUT);
    row.set_workflow_id(ms.workflow_id());
    row.set_run_id(ms.run_id());
    row.set_fire_time_us(txn.now_us + std::max<int64_t>(0, p.first_task_delay_us) +
                         st.run_timeout_us());
    row.set_key("runtimeout");
    AddDurableTimer(txn, std::move(row));
  }
  if (st.execution_expiration_time_us() > 0) {
    v1::TimerRow row;
    row.set_kind(v1::TIMER_KIND_WORKFLOW_EXECUTION_TIMEOUT);
    row.set_workflow_id(ms.workflow_id());
    row.set_run_id(ms.run_id());
    row.set_fire_time_us(st.execution_expiration_time_us());
    row.set_key("exectimeout");
    AddDurableTimer(txn, std::move(row));
  }
  v1::CurrentRun cur;
  cur.set_run_id(ms.run_id());
  cur.set_status(v1::WORKFLOW_EXECUTION_STATUS_RUNNING);
  cur.set_request_id(p.request_id);
  cur.set_start_time_us(txn.now_us);
  txn.batch.Put(ColumnFamily::kCurrent, keys::Current(kNamespace, ms.workflow_id()),
                cur.SerializeAsString());
  v1::VisibilityRecord vis;
  vis.set_workflow_id(ms.workflow_id());
  vis.set_run_id(ms.run_id());
  vis.set_workflow_type(st.workflow_type());
  vis.set_task_queue(st.task_queue());
  vis.set_status(ms.status());
  vis.set_start_time_us(ms.start_time_us());
  txn.batch.Put(ColumnFamily::kVisibility,
                keys::Visibility(kNamespace, ms.workflow_id(), ms.run_id()),
                vis.SerializeAsString());
  *out = std::move(ms);
  return Status::OK();
}

void EngineImpl::CloseRun(Txn& txn, v1::ExecutionState& ms, v1::WorkflowExecutionStatus status,
                          v1::HistoryEvent close_event) {
  int64_t close_id = AppendEvent(txn, ms, close_event);
  close_event.set_event_id(close_id);
  close_event.set_event_time_us(txn.now_us);
  ms.set_status(status);
  ms.set_close_time_us(txn.now_us);
  ms.set_close_event_id(close_id);
  // Drop pending work: tasks, timers.
  auto* wt = ms.mutable_workflow_task();
  if (wt->pending()) DeleteTaskRow(txn, wt->task_queue(), v1::TASK_KIND_WORKFLOW, wt->task_seq());
  wt->Clear();
  for (auto& [id, ai] : *ms.mutable_activities()) {
    DeleteTaskRow(txn, ai.scheduled().task_queue(), v1::TASK_KIND_ACTIVITY, ai.task_seq());
  }
  ms.clear_activities();
  for (auto& [id, ti] : *ms.mutable_timers()) {
    v1::TimerRow row;
    row.set_workflow_id(ms.workflow_id());
    row.set_run_id(ms.run_id());
    row.set_fire_time_us(ti.fire_time_us());
    row.set_key("user/" + ti.timer_id());
    DeleteDurableTimer(txn, row);
  }
  ms.clear_timers();
  ms.clear_buffered_events();
  // Parent close policy on open children.
  for (auto& [init, ch] : ms.children()) {
    if (ch.parent_close_policy() == v1::PARENT_CLOSE_POLICY_ABANDON) continue;
    v1::OutboxItem item;
    item.set_kind(v1::OUTBOX_KIND_PARENT_CLOSE_POLICY);
    item.set_initiated_event_id(init);
    item.mutable_target()->set_workflow_id(ch.workflow_id());
    item.mutable_target()->set_run_id(ch.run_id());
    item.set_parent_close_policy(ch.parent_close_policy() == v1::PARENT_CLOSE_POLICY_UNSPECIFIED
                                     ? v1::PARENT_CLOSE_POLICY_TERMINATE
                                     : ch.parent_close_policy());
    AddOutbox(txn, ms, std::move(item));
  }
  ms.clear_children();
  // Tell the parent, unless this chain goes on in a new run.
  bool continues = status == v1::WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW ||
                   (close_event.has_workflow_execution_failed() &&
                    !close_event.workflow_execution_failed().new_execution_run_id().empty()) ||
                   (close_event.has_workflow_execution_timed_out() &&
                    !close_event.workflow_execution_timed_out().new_execution_run_id().empty());
  if (ms.started().has_parent() && !ms.started().parent().workflow_id().empty() && !continues) {
    v1::OutboxItem item;
    item.set_kind(v1::OUTBOX_KIND_CHILD_CLOSED);
    item.set_initiated_event_id(ms.started().parent().initiated_event_id());
    item.mutable_target()->set_workflow_id(ms.started().parent().workflow_id());
    item.mutable_target()->set_run_id(ms.started().parent().run_id());
    *item.mutable_child_close_event() = close_event;
    AddOutbox(txn, ms, std::move(item));
  }
  // Current pointer and visibility.
  v1::CurrentRun cur;
  cur.set_run_id(ms.run_id());
  cur.set_status(status);
  cur.set_request_id(ms.request_id());
  cur.set_start_time_us(ms.start_time_us());
  txn.batch.Put(ColumnFamily::kCurrent, keys::Current(kNamespace, ms.workflow_id()),
                cur.SerializeAsString());
  v1::VisibilityRecord vis;
  vis.set_workflow_id(ms.workflow_id());
  vis.set_run_id(ms.run_id());
  vis.set_workflow_type(ms.started().workflow_type());
  vis.set_task_queue(ms.started().task_queue());
  vis.set_status(status);
  vis.set_start_time_us(ms.start_time_us());
  vis.set_close_time_us(txn.now_us);
  vis.set_history_length(close_id);
  txn.batch.Put(ColumnFamily::kVisibility,
                keys::Visibility(kNamespace, ms.workflow_id(), ms.run_id()),
                vis.SerializeAsString());
  // In memory, after the write: in-flight tokens become stale, update waiters fail.
  std::string rk = RunKey(ms.workflow_id(), ms.run_id());
  std::string name = ExecName(ms.workflow_id(), ms.run_id());
  std::string sname = StatusName(status);
  txn.after.push_back([this, rk, name, sname] {
    std::lock_guard<std::mutex> l(mem_mu_);
    auto it = runtime_.find(rk);
    if (it == runtime_.end()) return;
    for (auto& [id, w] : it->second.updates) {
      if (w->stage < 2) {
        w->error = Status::FailedPrecondition("update '" + id + "' of " + name +
                                              " did not complete: the run closed (" + sname + ")");
      }
    }
    runtime_.erase(it);
    update_cv_.notify_all();
  });
}

void EngineImpl::TerminateLocked(Txn& txn, v1::ExecutionState& ms, const std::string& reason,
                                 const v1::Payloads* details, const std::string& identity) {
  FlushBuffered(txn, ms);
  v1::HistoryEvent ev;
  auto* a = ev.mutable_workflow_execution_terminated();
  a->set_reason(reason);
  if (details != nullptr) *a->mutable_details() = *details;
  a->set_identity(identity);
  CloseRun(txn, ms, v1::WORKFLOW_EXECUTION_STATUS_TERMINATED, std::move(ev));
}

Status EngineImpl::FailOrRetryRun(Txn& txn, v1::ExecutionState& ms, const v1::Failure& failure,
                                  bool timed_out, int64_t wft_completed_id,
                                  std::optional<v1::ExecutionState>* new_run) {
  RetryDecision d;
  d.state = v1::RETRY_STATE_RETRY_POLICY_NOT_SET;
  if (ms.started().has_retry_policy()) {
    d = DecideRetry(WithRetryDefaults(ms.started().retry_policy()), ms.started().attempt(),
                    timed_out ? nullptr : &failure, timed_out, txn.now_us,
                    ms.started().execution_expiration_time_us());
  }
  std::string new_run_id;
  if (d.retry) new_run_id = NewRunId();
  v1::HistoryEvent ev;
  if (timed_out) {
    auto* a = ev.mutable_workflow_execution_timed_out();
    a->set_retry_state(d.state);
    a->set_new_execution_run_id(new_run_id);
  } else {
    auto* a = ev.mutable_workflow_execution_failed();
    *a->mutable_failure() = failure;
    a->set_retry_state(d.state);
    a->set_workflow_task_completed_event_id(wft_completed_id);
    a->set_new_execution_run_id(new_run_id);
  }
  CloseRun(txn, ms,
           timed_out ? v1::WORKFLOW_EXECUTION_STATUS_TIMED_OUT : v1::WORKFLOW_EXECUTION_STATUS_FAILED,
           std::move(ev));
  if (!d.retry) return Status::OK();
  NewRunParams p;
  p.workflow_id = ms.workflow_id();
  p.run_id = new_run_id;
  p.started = ms.started();
  p.started.set_attempt(ms.started().attempt() + 1);
  p.started.set_continued_execution_run_id(ms.run_id());
  p.started.set_identity("");
  if (!timed_out) *p.started.mutable_continued_failure() = failure;
  p.request_id = ms.request_id();
  p.first_task_delay_us = d.delay_us;
  new_run->emplace();
  return CreateRun(txn, std::move(p), &new_run->value());
}

// ---------------------------------------------------------------------------------------
// Client calls

namespace {
Status ValidateId(const std::string& v, const char* what, int64_t max_len,
                  const std::string& wf) {
  std::string ctx = wf.empty() ? std::string("") : " (workflow '" + wf + "')";
  if (v.empty()) return Status::InvalidArgument(std::string(what) + " is empty" + ctx);
  if (static_cast<int64_t>(v.size()) > max_len) {
    return Status::InvalidArgument(std::string(what) + " is " + std::to_string(v.size()) +
                                   " bytes long, more than the limit of " +
                                   std::to_string(max_len) + ctx);
  }
  if (v.find('\0') != std::string::npos) {
    return Status::InvalidArgument(std::string(what) + " contains a NUL byte" + ctx);
  }
  return Status::OK();
}
}  // namespace

Status EngineImpl::StartWorkflowExecution(const v1::StartWorkflowExecutionRequest& req,
                                          v1::StartWorkflowExecutionResponse* resp) {
  DURABLE_ENTER();
  const std::string& wf = req.workflow_id();
  DURABLE_RETURN_IF_ERROR(ValidateId(wf, "workflow_id", options_.max_id_length, ""));
  DURABLE_RETURN_IF_ERROR(ValidateId(req.workflow_type(), "workflow_type", options_.max_id_length, wf));
  DURABLE_RETURN_IF_ERROR(ValidateId(req.task_queue(), "task_queue", options_.max_id_length, wf));
  DURABLE_RETURN_IF_ERROR(ValidatePayloads(req.input(), "input", wf));
  DURABLE_RETURN_IF_ERROR(ValidatePayloads(req.signal_input(), "signal input", wf));
  for (const auto& [k, v] : req.memo()) DURABLE_RETURN_IF_ERROR(ValidatePayload(v, "memo '" + k + "'", wf));
  for (const auto& [k, v] : req.header()) DURABLE_RETURN_IF_ERROR(ValidatePayload(v, "header '" + k + "'", wf));
  if (!req.signal_name().empty()) {
    DURABLE_RETURN_IF_ERROR(ValidateId(req.signal_name(), "signal_name", options_.max_id_length, wf));
  }
  if (req.execution_timeout_us() < 0 || req.run_timeout_us() < 0 || req.task_timeout_us() < 0 ||
      req.start_delay_us() < 0) {
    return Status::InvalidArgument("negative timeout or start delay for workflow '" + wf + "'");
  }

  TransitionScope ts(active_transitions_);
  std::lock_guard<std::mutex> lock(Stripe(wf));
  Txn txn(Now());
  v1::ExecutionState existing;
  bool have_existing = false, terminated = false;
  v1::CurrentRun cur;
  Status st = LoadCurrent(wf, &cur);
  if (st.ok()) {
    DURABLE_RETURN_IF_ERROR(LoadState(wf, cur.run_id(), &existing));
    have_existing = true;
  } else if (st.code() != StatusCode::kNotFound) {
    return st;
  }
  v1::WorkflowExecutionSignaledEventAttributes signal;
  signal.set_signal_name(req.signal_name());
  *signal.mutable_input() = req.signal_input();
  signal.set_identity(req.identity());
  *signal.mutable_header() = req.header();

  if (have_existing) {
    const bool same_request = !req.request_id().empty() && req.request_id() == existing.request_id();
    if (IsOpen(existing)) {
      if (same_request) {
        resp->set_run_id(existing.run_id());
        resp->set_started(true);
        return Status::OK();
      }
      auto conflict = req.id_conflict_policy();
      bool terminate = conflict == v1::WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING ||
                       req.id_reuse_policy() == v1::WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING;
      if (!terminate && (conflict == v1::WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING ||
                         !req.signal_name().empty())) {
        if (!req.signal_name().empty()) {
          v1::HistoryEvent ev;
          *ev.mutable_workflow_execution_signaled() = signal;
          AddOrBufferEvent(txn, existing, std::move(ev));
          DURABLE_RETURN_IF_ERROR(Commit(txn, {&existing}));
        }
        resp->set_run_id(existing.run_id());
        resp->set_started(false);
        return Status::OK();
      }
      if (!terminate) {
        return Status::AlreadyExists("workflow '" + wf + "' is already running (run id " +
                                     existing.run_id() + ")");
      }
      TerminateLocked(txn, existing, "terminated by a new start of the same workflow id", nullptr,
                      req.identity());
      terminated = true;
    } else {
      if (same_request) {
        resp->set_run_id(existing.run_id());
        resp->set_started(true);
        return Status::OK();
      }
      auto reuse = req.id_reuse_policy();
      if (reuse == v1::WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE) {
        return Status::AlreadyExists("workflow '" + wf + "' already ran (run id " +
                                     existing.run_id() + ", " + StatusName(existing.status()) +
                                     ") and the id reuse policy REJECT_DUPLICATE refuses a new run");
      }
      if (reuse == v1::WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY &&
          (existing.status() == v1::WORKFLOW_EXECUTION_STATUS_COMPLETED ||
           existing.status() == v1::WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW)) {
        return Status::AlreadyExists(
            "workflow '" + wf + "' already completed (run id " + existing.run_id() +
            ") and the id reuse policy ALLOW_DUPLICATE_FAILED_ONLY refuses a new run");
      }
    }
  }

  NewRunParams p;
  p.workflow_id = wf;
  auto& s = p.started;
  s.set_workflow_type(req.workflow_type());
  s.set_task_queue(req.task_queue());
  *s.mutable_input() = req.input();
  s.set_execution_timeout_us(req.execution_timeout_us());
  s.set_run_timeout_us(req.run_timeout_us());
  s.set_task_timeout_us(req.task_timeout_us());
  if (req.has_retry_policy()) *s.mutable_retry_policy() = req.retry_policy();
  s.set_attempt(1);
  s.set_identity(req.identity());
  *s.mutable_header() = req.header();
  *s.mutable_memo() = req.memo();
  p.request_id = req.request_id();
  p.first_task_delay_us = req.start_delay_us();
  if (!req.signal_name().empty()) {
    p.with_signal = true;
    p.signal = signal;
  }
  v1::ExecutionState ms;
  DURABLE_RETURN_IF_ERROR(CreateRun(txn, std::move(p), &ms));
  DURABLE_RETURN_IF_ERROR(Commit(txn, {terminated ? &existing : nullptr, &ms}));
  resp->set_run_id(ms.run_id());
  resp->set_started(true);
  return Status::OK();
}

Status EngineImpl::SignalWorkflowExecution(const v1::SignalWorkflowExecutionRequest& req,
                                           v1::SignalWorkflowExecutionResponse* resp) {
  DURABLE_ENTER();
  const std::string& wf = req.workflow_execution().workflow_id();
  if (wf.empty()) return Status::InvalidArgument("signal: workflow_id is empty");
  DURABLE_RETURN_IF_ERROR(ValidateId(req.signal_name(), "signal_name", options_.max_id_length, wf));
  DURABLE_RETURN_IF_ERROR(ValidatePayloads(req.input(), "signal '" + req.signal_name() + "' input", wf));
  TransitionScope ts(active_transitions_);
  std::lock_guard<std::mutex> lock(Stripe(wf));
  std::string run;
  DURABLE_RETURN_IF_ERROR(ResolveRun(wf, req.workflow_execution().run_id(), &run));
  v1::ExecutionState ms;
  DURABLE_RETURN_IF_ERROR(LoadState(wf, run, &ms));
  if (!IsOpen(ms)) {
    return Status::FailedPrecondition("cannot signal " + ExecName(wf, run) + ": it is closed (" +
                                      StatusName(ms.status()) + ")");
  }
  Txn txn(Now());
  v1::HistoryEvent ev;
  auto* a = ev.mutable_workflow_execution_signaled();
  a->set_signal_name(req.signal_name());
  *a->mutable_input() = req.input();
  a->set_identity(req.identity());
  *a->mutable_header() = req.header();
  AddOrBufferEvent(txn, ms, std::move(ev));
  return Commit(txn, {&ms});
}

Status EngineImpl::RequestCancelWorkflowExecution(
    const v1::RequestCancelWorkflowExecutionRequest& req,
    v1::RequestCancelWorkflowExecutionResponse* resp) {
  DURABLE_ENTER();
  const std::string& wf = req.workflow_execution().workflow_id();
  if (wf.empty()) return Status::InvalidArgument("cancel: workflow_id is empty");
  TransitionScope ts(active_transitions_);
  std::lock_guard<std::mutex> lock(Stripe(wf));
  std::string run;
  DURABLE_RETURN_IF_ERROR(ResolveRun(wf, req.workflow_execution().run_id(), &run));
  v1::ExecutionState ms;
  DURABLE_RETURN_IF_ERROR(LoadState(wf, run, &ms));
  if (!IsOpen(ms)) {
    return Status::FailedPrecondition("cannot cancel " + ExecName(wf, run) + ": it is closed (" +
                                      StatusName(ms.status()) + ")");
  }
  if (ms.cancel_requested()) return Status::OK();
  ms.set_cancel_requested(true);
  Txn txn(Now());
  v1::HistoryEvent ev;
  auto* a = ev.mutable_workflow_execution_cancel_requested();
  a->set_cause(req.reason());
  a->set_identity(req.identity());
  AddOrBufferEvent(txn, ms, std::move(ev));
  return Commit(txn, {&ms});
}

Status EngineImpl::TerminateWorkflowExecution(const v1::TerminateWorkflowExecutionRequest& req,
                                              v1::TerminateWorkflowExecutionResponse* resp) {
  DURABLE_ENTER();
  const std::string& wf = req.workflow_execution().workflow_id();
  if (wf.empty()) return Status::InvalidArgument("terminate: workflow_id is empty");
  TransitionScope ts(active_transitions_);
  std::lock_guard<std::mutex> lock(Stripe(wf));
  std::string run;
  DURABLE_RETURN_IF_ERROR(ResolveRun(wf, req.workflow_execution().run_id(), &run));
  v1::ExecutionState ms;
  DURABLE_RETURN_IF_ERROR(LoadState(wf, run, &ms));
  if (!IsOpen(ms)) {
    return Status::FailedPrecondition("cannot terminate " + ExecName(wf, run) +
                                      ": it is closed (" + StatusName(ms.status()) + ")");
  }
  Txn txn(Now());
  TerminateLocked(txn, ms, req.reason(), req.has_details() ? &req.details() : nullptr,
                  req.identity());
  return Commit(txn, {&ms});
}

Status EngineImpl::DescribeWorkflowExecution(const v1::DescribeWorkflowExecutionRequest& req,
                                             v1::DescribeWorkflowExecutionResponse* resp) {
  DURABLE_ENTER();
  const std::string& wf = req.execution().workflow_id();
  std::string run;
  DURABLE_RETURN_IF_ERROR(ResolveRun(wf, req.execution().run_id(), &run));
  v1::ExecutionState ms;
  DURABLE_RETURN_IF_ERROR(LoadState(wf, run, &ms));
  auto* info = resp->mutable_info();
  info->mutable_execution()->set_workflow_id(wf);
  info->mutable_execution()->set_run_id(run);
  info->set_workflow_type(ms.started().workflow_type());
  info->set_task_queue(ms.started().task_queue());
  info->set_status(ms.status());
  info->set_start_time_us(ms.start_time_us());
  info->set_close_time_us(ms.close_time_us());
  info->set_history_length(ms.next_event_id() - 1);
  if (ms.started().has_parent()) *info->mutable_parent() = ms.started().parent();
  *info->mutable_memo() = ms.started().memo();
  info->set_execution_time_us(ms.execution_time_us());
  for (const auto& [id, ai] : ms.activities()) {
    auto* pa = resp->add_pending_activities();
    pa->set_activity_id(ai.scheduled().activity_id());
    pa->set_activity_type(ai.scheduled().activity_type());
    pa->set_state(ai.cancel_requested()           ? "cancel_requested"
                  : ai.started_dispatch_id() != 0 ? "started"
                                                  : "scheduled");
    *pa->mutable_heartbeat_details() = ai.heartbeat_details();
    pa->set_last_heartbeat_time_us(ai.last_heartbeat_time_us());
    pa->set_last_started_time_us(ai.last_started_time_us());
    pa->set_attempt(ai.attempt());
    pa->set_maximum_attempts(ai.scheduled().retry_policy().maximum_attempts());
    pa->set_scheduled_time_us(ai.scheduled_time_us());
    pa->set_expiration_time_us(ai.expiration_time_us());
    if (ai.has_last_failure()) *pa->mutable_last_failure() = ai.last_failure();
    pa->set_last_worker_identity(ai.last_worker_identity());
  }
  for (const auto& [id, ch] : ms.children()) {
    auto* pc = resp->add_pending_children();
    pc->set_workflow_id(ch.workflow_id());
    pc->set_run_id(ch.run_id());
    pc->set_workflow_type(ch.workflow_type());
    pc->set_initiated_event_id(ch.initiated_event_id());
    pc->set_parent_close_policy(ch.parent_close_policy());
  }
  return Status::OK();
}

Status EngineImpl::GetWorkflowExecutionHistory(const v1::GetWorkflowExecutionHistoryRequest& req,
                                               v1::GetWorkflowExecutionHistoryResponse* resp) {
  DURABLE_ENTER();
  const std::string& wf = req.execution().workflow_id();
  std::string run;
  DURABLE_RETURN_IF_ERROR(ResolveRun(wf, req.execution().run_id(), &run));
  resp->set_run_id(run);
  const int64_t from = std::max<int64_t>(1, req.from_event_id());
  v1::ExecutionState ms;
  if (!req.wait_new_event()) {
    DURABLE_RETURN_IF_ERROR(LoadState(wf, run, &ms));
    return ReadHistory(ms, from, ms.next_event_id(), resp->mutable_history());
  }
  const int64_t timeout_us = req.timeout_us() > 0 ? req.timeout_us() : options_.default_poll_timeout_us;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(timeout_us);
  const std::string rk = RunKey(wf, run);
  std::shared_ptr<RunWatch> watch;
  {
    std::lock_guard<std::mutex> l(mem_mu_);
    auto& w = watches_[rk];
    if (!w) w = std::make_shared<RunWatch>();
    w->waiters++;
    watch = w;
  }
  auto unregister = [&] {
    std::lock_guard<std::mutex> l(mem_mu_);
    if (--watch->waiters == 0) watches_.erase(rk);
  };
  Status result;
  while (true) {
    uint64_t version;
    {
      std::lock_guard<std::mutex> l(mem_mu_);
      version = watch->version;
    }
    Status st = LoadState(wf, run, &ms);
    if (!st.ok()) {
      result = st;
      break;
    }
    if (req.close_event_only()) {
      if (!IsOpen(ms)) {
        result = ReadHistory(ms, ms.close_event_id(), ms.close_event_id() + 1,
                             resp->mutable_history());
        break;
      }
    } else if (ms.next_event_id() - 1 >= from) {
      result = ReadHistory(ms, from, ms.next_event_id(), resp->mutable_history());
      break;
    }
    std::unique_lock<std::mutex> l(mem_mu_);
    bool timed_out = !watch->cv.wait_until(l, deadline, [&] {
      return watch->version != version || closing_.load();
    });
    if (closing_) {
      result = Status::Unavailable("the engine is closing");
      break;
    }
    if (timed_out) {
      result = Status::DeadlineExceeded(
          std::string("timed out after ") + std::to_string(timeout_us / 1000) + " ms waiting for " +
          ExecName(wf, run) + (req.close_event_only() ? " to close" : " to have new events"));
      break;
    }
  }
  unregister();
  return result;
}

Status EngineImpl::ListWorkflowExecutions(const v1::ListWorkflowExecutionsRequest& req,
                                          v1::ListWorkflowExecutionsResponse* resp) {
  DURABLE_ENTER();
  // Filters: WorkflowType='X', ExecutionStatus='Running', WorkflowId='x', TaskQueue='q'
  // joined by AND. Anything else is refused.
  std::map<std::string, std::string> filters;
  std::string q = req.query();
  size_t pos = 0;
  auto skip_ws = [&] { while (pos < q.size() && isspace(static_cast<unsigned char>(q[pos]))) ++pos; };
  while (true) {
    skip_ws();
    if (pos >= q.size()) break;
    size_t eq = q.find('=', pos);
    if (eq == std::string::npos) return Status::InvalidArgument("list query not understood: '" + q + "'");
    std::string field = q.substr(pos, eq - pos);
    while (!field.empty() && isspace(static_cast<unsigned char>(field.back()))) field.pop_back();
    pos = eq + 1;
    skip_ws();
    if (pos >= q.size() || (q[pos] != '\'' && q[pos] != '"')) {
      return Status::InvalidArgument("list query: value of " + field + " must be quoted: '" + q + "'");
    }
    char quote = q[pos++];
    size_t end = q.find(quote, pos);
    if (end == std::string::npos) return Status::InvalidArgument("list query: unterminated string: '" + q + "'");
    std::string value = q.substr(pos, end - pos);
    pos = end + 1;
    if (field != "WorkflowType" && field != "ExecutionStatus" && field != "WorkflowId" &&
        field != "TaskQueue") {
      return Status::InvalidArgument("list query: unknown field '" + field +
                                     "' (known: WorkflowType, ExecutionStatus, WorkflowId, TaskQueue)");
    }
    filters[field] = value;
    skip_ws();
    if (pos < q.size()) {
      if (q.compare(pos, 3, "AND") != 0 && q.compare(pos, 3, "and") != 0) {
        return Status::InvalidArgument("list query: expected AND at offset " + std::to_string(pos) + ": '" + q + "'");
      }
      pos += 3;
    }
  }
  std::vector<v1::VisibilityRecord> recs;
  DURABLE_RETURN_IF_ERROR(store_->Iterate(ColumnFamily::kVisibility, "", "",
                                          [&](std::string_view, std::string_view v) {
    v1::VisibilityRecord r;
    if (!r.ParseFromArray(v.data(), static_cast<int>(v.size()))) return true;
    auto f = filters.find("WorkflowType");
    if (f != filters.end() && f->second != r.workflow_type()) return true;
    f = filters.find("WorkflowId");
    if (f != filters.end() && f->second != r.workflow_id()) return true;
    f = filters.find("TaskQueue");
    if (f != filters.end() && f->second != r.task_queue()) return true;
    f = filters.find("ExecutionStatus");
    if (f != filters.end() && f->second != StatusName(r.status())) return true;
    recs.push_back(std::move(r));
    return true;
  }));
  std::sort(recs.begin(), recs.end(), [](const auto& a, const auto& b) {
    if (a.start_time_us() != b.start_time_us()) return a.start_time_us() > b.start_time_us();
    return a.run_id() < b.run_id();
  });
  size_t offset = 0;
  if (!req.next_page_token().empty()) offset = std::strtoull(req.next_page_token().c_str(), nullptr, 10);
  size_t page = req.page_size() > 0 ? static_cast<size_t>(req.page_size()) : 1000;
  for (size_t i = offset; i < recs.size() && i < offset + page; ++i) {
    const auto& r = recs[i];
    auto* e = resp->add_executions();
    e->mutable_execution()->set_workflow_id(r.workflow_id());
    e->mutable_execution()->set_run_id(r.run_id());
    e->set_workflow_type(r.workflow_type());
    e->set_task_queue(r.task_queue());
    e->set_status(r.status());
    e->set_start_time_us(r.start_time_us());
    e->set_close_time_us(r.close_time_us());
    e->set_history_length(r.history_length());
  }
  if (offset + page < recs.size()) resp->set_next_page_token(std::to_string(offset + page));
  return Status::OK();
}

Status EngineImpl::ShutdownWorker(const v1::ShutdownWorkerRequest& req,
                                  v1::ShutdownWorkerResponse* resp) {
  DURABLE_ENTER();
  matching_.ShutdownWorker(req.task_queue(), req.identity());
  return Status::OK();
}

Status EngineImpl::SetTimeSkipping(bool enabled) { return timers_->SetTimeSkipping(enabled); }

Status EngineImpl::SkipTime(int64_t duration_us) { return timers_->SkipTime(duration_us); }

Status EngineImpl::SkipTimeWhenIdle(int64_t duration_us) {
  return timers_->SkipTime(duration_us, /*wait_idle=*/true);
}

}  // namespace durable
