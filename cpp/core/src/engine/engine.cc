// Engine infrastructure: open, recovery, stripes, loading and saving state, commit, event
// append/buffer/flush, task rows, timer rows, outbox rows (payload and history
// limits: limits.cc).
#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdint>
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

v1::WorkflowExecution RootOf(const v1::ExecutionState& ms) {
  if (ms.started().has_root_workflow_execution() &&
      !ms.started().root_workflow_execution().workflow_id().empty()) {
    return ms.started().root_workflow_execution();
  }
  v1::WorkflowExecution self;
  self.set_workflow_id(ms.workflow_id());
  self.set_run_id(ms.run_id());
  return self;
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
  RocksDbStoreOptions store_options;
  store_options.accept_data_loss = options.accept_data_loss;
  DURABLE_ASSIGN_OR_RETURN(auto store, OpenRocksDbStore(directory, store_options));
  return OpenEngineOnStore(std::move(store), options);
}

EngineImpl::EngineImpl(std::unique_ptr<Store> store, const EngineOptions& options)
    : store_(std::move(store)), options_(options) {
  visibility_ = std::make_unique<visibility::VisibilityStore>(store_.get());
  clock_ = options_.clock ? options_.clock : SystemClock();
  // 0 = no limit (the id checks compare against the value directly).
  if (options_.limits.max_id_length <= 0) options_.limits.max_id_length = INT64_MAX;
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
  // Every transition goes through here: the one place a run's history limits are enforced.
  for (auto* ms : states) {
    if (ms != nullptr) EnforceHistoryLimits(txn, *ms);
  }
  for (auto* ms : states) {
    if (ms == nullptr) continue;
    if (txn.visibility_changed.count(RunKey(ms->workflow_id(), ms->run_id()))) {
      DURABLE_RETURN_IF_ERROR(visibility_->WriteRecord(&txn.batch, VisibilityRecordOf(*ms)));
    }
    SaveState(txn, *ms);
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
  if (auto* m = metrics()) m->TransitionWritten(options_.namespace_name, options_.sync_writes);
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
  if (txn.event_group_markers != nullptr && txn.markers_run == &ms) {
    for (const auto& m : *txn.event_group_markers) {
      if (m.variant_case() != v1::EventGroupMarker::VARIANT_NOT_SET) {
        *ev.add_event_group_markers() = m;
      }
    }
  }
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
  // Sticky execution: the worker that ran the last task has the run cached; it gets the
  // first chance at this one (in memory only: after a restart any worker may take it).
  if (!ms.sticky_identity().empty() && options_.sticky_schedule_to_start_timeout_us > 0) {
    t.preferred = ms.sticky_identity();
    t.sticky_until = std::chrono::steady_clock::now() +
                     std::chrono::microseconds(options_.sticky_schedule_to_start_timeout_us);
  }
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

void EngineImpl::AddDurableTimer(Txn& txn, v1::TimerRow row, TimerPace pace) {
  row.set_namespace_(kNamespace);
  std::string key = TimerKey(row);
  txn.batch.Put(ColumnFamily::kTimers, key, row.SerializeAsString());
  const int64_t real_delay_us = row.fire_time_us() - txn.now_us;
  txn.after.push_back([this, row = std::move(row), key = std::move(key), pace,
                       real_delay_us]() mutable {
    if (pace == TimerPace::kRealTime) {
      timers_->AddAfterRealDelay(std::move(row), std::move(key), real_delay_us);
    } else {
      timers_->Add(std::move(row), std::move(key));
    }
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
  row.set_key(keys::timer::Outbox(next_task_seq_.fetch_add(1)));
  *row.mutable_outbox() = std::move(item);
  AddDurableTimer(txn, std::move(row));
}

}  // namespace durable
