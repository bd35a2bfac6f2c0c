// Batch operations: terminate, cancel or signal every execution matching a visibility query
// (StartBatchOperation, DescribeBatchOperation, ListBatchOperations, StopBatchOperation) and
// what a batch does when its timer fires.
//
// A batch is a row of the batches family (BatchRecord) driven by one durable timer row at a
// time (TIMER_KIND_BATCH, timer_id = job id). A step, under the batch's own mutex (batch_mu_;
// lock order: batch -> workflow stripe), acts on up to OpsPerStep executions and writes the
// next step's row one StepInterval later, so the rate never exceeds max_operations_per_second.
// The record holds the page of matches being worked on and the index of the next one: each
// action commits in ONE batch with the record that counts it, so a crash never acts twice on
// an execution nor skips one. Pages come from ListWorkflowExecutions; its page token resumes
// after the last row's sort key, so executions started later (which sort first by start time)
// are not part of the batch. After a restart the step row is reloaded with the other timers.
#include <algorithm>
#include <cmath>

#include "engine/engine_impl.h"
#include "store/keys.h"
#include "visibility/query.h"

namespace durable {

namespace {

constexpr double kDefaultOpsPerSecond = 50;  // Temporal's default
constexpr int kPageSize = 100;
constexpr int kMaxOpsPerStep = 20;  // a step holds the timer thread: keep it short
constexpr int64_t kRetryUs = 1'000'000;

std::string BatchKey(const std::string& job_id) { return keys::Join({kNamespace, job_id}); }

double Rate(const v1::BatchRecord& rec) {
  double r = rec.request().max_operations_per_second();
  return r > 0 ? r : kDefaultOpsPerSecond;
}

// Actions per step: a step every ~50 ms at high rates, one action per step at low ones.
int OpsPerStep(double rate) {
  return std::clamp(static_cast<int>(rate / 20), 1, kMaxOpsPerStep);
}

int64_t StepIntervalUs(double rate) {
  return static_cast<int64_t>(std::ceil(OpsPerStep(rate) * 1e6 / rate));
}

v1::BatchOperationType TypeOf(const v1::StartBatchOperationRequest& req) {
  switch (req.operation_case()) {
    case v1::StartBatchOperationRequest::kTerminationOperation:
      return v1::BATCH_OPERATION_TYPE_TERMINATE;
    case v1::StartBatchOperationRequest::kCancellationOperation:
      return v1::BATCH_OPERATION_TYPE_CANCEL;
    case v1::StartBatchOperationRequest::kSignalOperation: return v1::BATCH_OPERATION_TYPE_SIGNAL;
    default: return v1::BATCH_OPERATION_TYPE_UNSPECIFIED;
  }
}

std::string Identity(const v1::BatchRecord& rec) {
  const auto& req = rec.request();
  std::string id;
  switch (req.operation_case()) {
    case v1::StartBatchOperationRequest::kTerminationOperation:
      id = req.termination_operation().identity();
      break;
    case v1::StartBatchOperationRequest::kCancellationOperation:
      id = req.cancellation_operation().identity();
      break;
    case v1::StartBatchOperationRequest::kSignalOperation:
      id = req.signal_operation().identity();
      break;
    default: break;
  }
  return id.empty() ? "batch " + rec.job_id() : id;
}

v1::TimerRow StepRow(const std::string& job_id, int64_t fire_time_us) {
  v1::TimerRow row;
  row.set_kind(v1::TIMER_KIND_BATCH);
  row.set_namespace_(kNamespace);
  row.set_timer_id(job_id);
  row.set_fire_time_us(fire_time_us);
  row.set_key("batch/" + job_id + "/step");
  return row;
}

}  // namespace

std::mutex& EngineImpl::BatchMutex(const std::string& job_id) {
  return batch_mu_[std::hash<std::string>{}(job_id) % kBatchStripes];
}

Status EngineImpl::LoadBatch(const std::string& job_id, v1::BatchRecord* rec) {
  std::string value;
  Status st = store_->Get(ColumnFamily::kBatches, BatchKey(job_id), &value);
  if (st.code() == StatusCode::kNotFound) {
    return Status::NotFound("batch operation '" + job_id + "' not found");
  }
  DURABLE_RETURN_IF_ERROR(st);
  if (!rec->ParseFromString(value)) {
    return Status::Internal("batch operation '" + job_id + "' does not parse");
  }
  return Status::OK();
}

Status EngineImpl::BatchActOnNext(v1::BatchRecord& rec) {
  const v1::WorkflowExecution ex = rec.page(rec.next_index());
  const std::string& wf = ex.workflow_id();
  const auto& req = rec.request();
  TransitionScope ts(active_transitions_);
  std::lock_guard<std::mutex> lock(Stripe(wf));
  Txn txn(Now());
  v1::ExecutionState ms;
  Status ls = LoadState(wf, ex.run_id(), &ms);
  if (!ls.ok() && ls.code() != StatusCode::kNotFound) return ls;
  // A run that closed (or was deleted) before its turn counts as done: nothing is left to do
  // there (Temporal's batcher ignores NotFound likewise).
  const bool open = ls.ok() && IsOpen(ms);
  if (open) {
    const std::string identity = Identity(rec);
    switch (req.operation_case()) {
      case v1::StartBatchOperationRequest::kTerminationOperation:
        TerminateLocked(txn, ms, req.reason(),
                        req.termination_operation().has_details()
                            ? &req.termination_operation().details()
                            : nullptr,
                        identity);
        break;
      case v1::StartBatchOperationRequest::kCancellationOperation:
        RequestCancelLocked(txn, ms, req.reason(), identity);
        break;
      case v1::StartBatchOperationRequest::kSignalOperation: {
        const auto& s = req.signal_operation();
        // The request id makes a repeated delivery a no-op even outside this transaction.
        SignalLocked(txn, ms, s.signal(), s.input(), s.header(), identity,
                     "batch/" + rec.job_id() + "/" + wf + "/" + ex.run_id());
        break;
      }
      default: break;
    }
  }
  v1::BatchRecord next = rec;
  next.set_next_index(rec.next_index() + 1);
  next.set_complete_operation_count(rec.complete_operation_count() + 1);
  txn.batch.Put(ColumnFamily::kBatches, BatchKey(rec.job_id()), next.SerializeAsString());
  DURABLE_RETURN_IF_ERROR(Commit(txn, {open ? &ms : nullptr}));
  rec = std::move(next);
  return Status::OK();
}

void EngineImpl::OnBatchTimer(const v1::TimerRow& row, const std::string& key) {
  TransitionScope ts(active_transitions_);
  std::lock_guard<std::mutex> lock(BatchMutex(row.timer_id()));
  v1::BatchRecord rec;
  Status st = LoadBatch(row.timer_id(), &rec);
  if (!st.ok() && st.code() != StatusCode::kNotFound) return RetryTimerLater(row, key);
  if (!st.ok() || rec.state() != v1::BATCH_OPERATION_STATE_RUNNING || rec.timer_key() != key) {
    // Stopped, or a row the record no longer points to: drop it.
    Txn txn(Now());
    if (!key.empty()) txn.batch.Delete(ColumnFamily::kTimers, key);
    (void)Commit(txn, {});
    return;
  }
  const int64_t step_start = Now();
  const double rate = Rate(rec);
  int budget = OpsPerStep(rate);
  int64_t next_fire = step_start + StepIntervalUs(rate);
  while (budget > 0 && !closing_) {
    if (rec.next_index() >= rec.page_size()) {
      if (rec.listed_all()) break;
      v1::ListWorkflowExecutionsRequest lreq;
      lreq.set_query(rec.request().visibility_query());
      lreq.set_page_size(kPageSize);
      lreq.set_next_page_token(rec.next_page_token());
      v1::ListWorkflowExecutionsResponse lresp;
      Status ls = visibility_->List(lreq, &lresp);
      if (ls.code() == StatusCode::kInvalidArgument) {  // validated at start: never expected
        rec.set_state(v1::BATCH_OPERATION_STATE_FAILED);
        rec.set_stop_reason("the query does not list any more: " + ls.message());
        break;
      }
      if (!ls.ok()) {  // a storage error: this step is taken again later
        next_fire = Now() + kRetryUs;
        break;
      }
      // Kept in memory until the first action writes it with the record (listing again after
      // a crash gives the same page).
      rec.clear_page();
      for (const auto& info : lresp.executions()) *rec.add_page() = info.execution();
      rec.set_next_index(0);
      rec.set_next_page_token(lresp.next_page_token());
      rec.set_listed_all(lresp.next_page_token().empty());
      continue;
    }
    if (!BatchActOnNext(rec).ok()) {
      next_fire = Now() + kRetryUs;
      break;
    }
    --budget;
  }
  if (closing_) return;  // the row stays; the next open goes on
  Txn txn(Now());
  txn.batch.Delete(ColumnFamily::kTimers, key);
  rec.clear_timer_key();
  if (rec.state() == v1::BATCH_OPERATION_STATE_FAILED) {
    rec.set_close_time_us(txn.now_us);
    rec.clear_page();
  } else if (rec.listed_all() && rec.next_index() >= rec.page_size()) {
    rec.set_state(v1::BATCH_OPERATION_STATE_COMPLETED);
    rec.set_close_time_us(txn.now_us);
    rec.clear_page();
    rec.set_next_index(0);
  } else {
    v1::TimerRow next = StepRow(rec.job_id(), next_fire);
    rec.set_timer_key(TimerKey(next));
    AddDurableTimer(txn, std::move(next));
  }
  txn.batch.Put(ColumnFamily::kBatches, BatchKey(rec.job_id()), rec.SerializeAsString());
  if (!Commit(txn, {}).ok()) RetryTimerLater(row, key);
}

// ---- calls ------------------------------------------------------------------------------

Status EngineImpl::StartBatchOperation(const v1::StartBatchOperationRequest& req,
                                       v1::StartBatchOperationResponse* resp) {
  DURABLE_ENTER();
  const std::string& job = req.job_id();
  if (job.empty()) return Status::InvalidArgument("batch operation: job_id is empty");
  DURABLE_RETURN_IF_ERROR(ValidateId(job, "batch operation job_id", options_.limits.max_id_length, ""));
  const std::string what = "batch operation '" + job + "'";
  if (req.reason().empty()) return Status::InvalidArgument(what + ": reason is empty");
  if (TypeOf(req) == v1::BATCH_OPERATION_TYPE_UNSPECIFIED) {
    return Status::InvalidArgument(what + ": no operation (terminate, cancel or signal)");
  }
  if (!(req.max_operations_per_second() >= 0) || std::isinf(req.max_operations_per_second())) {
    return Status::InvalidArgument(what + ": max_operations_per_second must be a finite number >= 0");
  }
  if (req.has_signal_operation()) {
    const auto& s = req.signal_operation();
    if (s.signal().empty()) return Status::InvalidArgument(what + ": the signal name is empty");
    DURABLE_RETURN_IF_ERROR(ValidatePayloads(s.input(), "signal '" + s.signal() + "' input", ""));
  }
  // The cursor follows the start-time order: a query's own order could move a row that the
  // batch changes (CloseTime, ExecutionStatus) past the cursor.
  auto parsed = visibility::ParseQuery(req.visibility_query());
  if (parsed.ok() && (!parsed.value().order_by.empty() || parsed.value().group_by)) {
    return Status::InvalidArgument(what + ": the query may not have ORDER BY or GROUP BY");
  }
  // Validates the query too (kInvalidArgument naming the token).
  v1::CountWorkflowExecutionsRequest creq;
  creq.set_query(req.visibility_query());
  v1::CountWorkflowExecutionsResponse cresp;
  Status cs = visibility_->Count(creq, &cresp);
  if (cs.code() == StatusCode::kInvalidArgument) {
    return Status::InvalidArgument(what + ": " + cs.message());
  }
  DURABLE_RETURN_IF_ERROR(cs);

  TransitionScope ts(active_transitions_);
  std::lock_guard<std::mutex> lock(BatchMutex(job));
  v1::BatchRecord rec;
  Status st = LoadBatch(job, &rec);
  if (st.ok()) return Status::AlreadyExists(what + " already exists");
  if (st.code() != StatusCode::kNotFound) return st;
  Txn txn(Now());
  rec.Clear();
  rec.set_namespace_(kNamespace);
  rec.set_job_id(job);
  *rec.mutable_request() = req;
  rec.set_state(v1::BATCH_OPERATION_STATE_RUNNING);
  rec.set_start_time_us(txn.now_us);
  rec.set_total_operation_count(cresp.count());
  v1::TimerRow row = StepRow(job, txn.now_us);
  rec.set_timer_key(TimerKey(row));
  AddDurableTimer(txn, std::move(row));
  txn.batch.Put(ColumnFamily::kBatches, BatchKey(job), rec.SerializeAsString());
  return Commit(txn, {});
}

Status EngineImpl::DescribeBatchOperation(const v1::DescribeBatchOperationRequest& req,
                                          v1::DescribeBatchOperationResponse* resp) {
  DURABLE_ENTER();
  if (req.job_id().empty()) return Status::InvalidArgument("batch operation: job_id is empty");
  v1::BatchRecord rec;
  DURABLE_RETURN_IF_ERROR(LoadBatch(req.job_id(), &rec));
  resp->set_operation_type(TypeOf(rec.request()));
  resp->set_job_id(rec.job_id());
  resp->set_state(rec.state());
  resp->set_start_time_us(rec.start_time_us());
  resp->set_close_time_us(rec.close_time_us());
  resp->set_total_operation_count(rec.total_operation_count());
  resp->set_complete_operation_count(rec.complete_operation_count());
  resp->set_failure_operation_count(rec.failure_operation_count());
  resp->set_identity(Identity(rec));
  resp->set_reason(rec.state() == v1::BATCH_OPERATION_STATE_FAILED && !rec.stop_reason().empty()
                       ? rec.stop_reason()
                       : rec.request().reason());
  resp->set_visibility_query(rec.request().visibility_query());
  resp->set_max_operations_per_second(Rate(rec));
  return Status::OK();
}

Status EngineImpl::ListBatchOperations(const v1::ListBatchOperationsRequest& req,
                                       v1::ListBatchOperationsResponse* resp) {
  DURABLE_ENTER();
  if (req.page_size() < 0) return Status::InvalidArgument("page_size is negative");
  const size_t page = req.page_size() == 0 ? 1000 : static_cast<size_t>(req.page_size());
  const std::string prefix = keys::Join({kNamespace, ""});
  std::string start = prefix;
  if (!req.next_page_token().empty()) start = prefix + req.next_page_token() + std::string(1, '\0');
  std::string last;
  bool more = false;
  Status inner;
  DURABLE_RETURN_IF_ERROR(store_->Iterate(ColumnFamily::kBatches, start, PrefixSuccessor(prefix),
                                          [&](std::string_view, std::string_view v) {
    if (static_cast<size_t>(resp->operation_info_size()) == page) {
      more = true;
      return false;
    }
    v1::BatchRecord rec;
    if (!rec.ParseFromArray(v.data(), static_cast<int>(v.size()))) {
      inner = Status::Internal("a batch operation record does not parse");
      return false;
    }
    auto* e = resp->add_operation_info();
    e->set_job_id(rec.job_id());
    e->set_state(rec.state());
    e->set_start_time_us(rec.start_time_us());
    e->set_close_time_us(rec.close_time_us());
    last = rec.job_id();
    return true;
  }));
  DURABLE_RETURN_IF_ERROR(inner);
  if (more) resp->set_next_page_token(last);
  return Status::OK();
}

Status EngineImpl::StopBatchOperation(const v1::StopBatchOperationRequest& req,
                                      v1::StopBatchOperationResponse* resp) {
  DURABLE_ENTER();
  if (req.job_id().empty()) return Status::InvalidArgument("batch operation: job_id is empty");
  TransitionScope ts(active_transitions_);
  std::lock_guard<std::mutex> lock(BatchMutex(req.job_id()));
  v1::BatchRecord rec;
  DURABLE_RETURN_IF_ERROR(LoadBatch(req.job_id(), &rec));
  if (rec.state() != v1::BATCH_OPERATION_STATE_RUNNING) return Status::OK();
  Txn txn(Now());
  rec.set_state(v1::BATCH_OPERATION_STATE_FAILED);
  rec.set_close_time_us(txn.now_us);
  rec.set_stop_reason(req.reason().empty() ? "stopped" : req.reason());
  if (!rec.timer_key().empty()) txn.batch.Delete(ColumnFamily::kTimers, rec.timer_key());
  rec.clear_timer_key();
  rec.clear_page();
  txn.batch.Put(ColumnFamily::kBatches, BatchKey(rec.job_id()), rec.SerializeAsString());
  return Commit(txn, {});
}

}  // namespace durable
