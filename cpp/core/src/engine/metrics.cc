// What the engine tells its MetricsSink (events, after the transition is written) and what
// it answers at scrape time (Gauges).
#include <chrono>

#include "engine/engine_impl.h"

namespace durable {

namespace {

// Prometheus label value of a closed run's status.
const char* CloseLabel(v1::WorkflowExecutionStatus s) {
  switch (s) {
    case v1::WORKFLOW_EXECUTION_STATUS_COMPLETED: return "completed";
    case v1::WORKFLOW_EXECUTION_STATUS_FAILED: return "failed";
    case v1::WORKFLOW_EXECUTION_STATUS_CANCELED: return "canceled";
    case v1::WORKFLOW_EXECUTION_STATUS_TERMINATED: return "terminated";
    case v1::WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW: return "continued_as_new";
    case v1::WORKFLOW_EXECUTION_STATUS_TIMED_OUT: return "timed_out";
    default: return "unspecified";
  }
}

// RocksDB properties exported as gauges (DB::GetIntProperty names).
constexpr const char* kStoreProperties[] = {
    "rocksdb.estimate-num-keys",     "rocksdb.live-sst-files-size",
    "rocksdb.total-sst-files-size",  "rocksdb.cur-size-all-mem-tables",
    "rocksdb.estimate-pending-compaction-bytes", "rocksdb.num-running-compactions",
    "rocksdb.block-cache-usage",
};

}  // namespace

void EngineImpl::ReportStartAfter(Txn& txn, const v1::ExecutionState& ms) {
  if (metrics() == nullptr) return;
  txn.after.push_back([this, type = ms.started().workflow_type()] {
    metrics()->WorkflowStarted(options_.namespace_name, type);
  });
}

void EngineImpl::ReportCloseAfter(Txn& txn, const v1::ExecutionState& ms) {
  if (metrics() == nullptr) return;
  txn.after.push_back([this, type = ms.started().workflow_type(), status = ms.status()] {
    metrics()->WorkflowClosed(options_.namespace_name, type, CloseLabel(status));
  });
}

void EngineImpl::ReportScheduleToStart(const QueuedTask& task, const std::string& queue,
                                       const char* kind) {
  auto* m = metrics();
  if (m == nullptr || task.queued_at == std::chrono::steady_clock::time_point{}) return;
  const std::chrono::duration<double> waited = std::chrono::steady_clock::now() - task.queued_at;
  m->TaskScheduleToStart(options_.namespace_name, queue, kind, waited.count());
}

EngineGauges EngineImpl::Gauges() {
  EngineGauges g;
  for (auto& q : matching_.Stats()) {
    g.queues.push_back({q.queue, q.kind == Matching::Kind::kWorkflow ? "workflow" : "activity",
                        q.depth, q.pollers});
  }
  for (const char* name : kStoreProperties) {
    uint64_t value = 0;
    if (store_->GetIntProperty(name, &value)) g.store_properties.emplace_back(name, value);
  }
  return g;
}

}  // namespace durable
