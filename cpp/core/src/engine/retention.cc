// Retention: deleting runs that closed long enough ago (Namespaces' background sweep).
// A run goes in one batch (state, history, visibility, current pointer), so an interrupted
// sweep leaves whole runs; the next sweep finds what is left.
#include "engine/engine_impl.h"
#include "store/keys.h"

namespace durable {

Result<int64_t> EngineImpl::DeleteClosedRunsOlderThan(int64_t retention_us) {
  DURABLE_ENTER();
  if (retention_us <= 0) {
    return Status::InvalidArgument("retention must be positive, got " + std::to_string(retention_us));
  }
  const int64_t cutoff = Now() - retention_us;
  // Collect first, delete after: never write while iterating.
  std::vector<std::pair<std::string, std::string>> due;  // workflow id, run id
  Status st = store_->Iterate(ColumnFamily::kExecutions, "", "", [&](std::string_view,
                                                                    std::string_view v) {
    v1::ExecutionState ms;
    if (ms.ParseFromArray(v.data(), static_cast<int>(v.size())) && !IsOpen(ms) &&
        ms.close_time_us() > 0 && ms.close_time_us() < cutoff) {
      due.emplace_back(ms.workflow_id(), ms.run_id());
    }
    return true;
  });
  DURABLE_RETURN_IF_ERROR(st);
  int64_t deleted = 0;
  for (const auto& [wf, run] : due) {
    std::lock_guard<std::mutex> lock(Stripe(wf));
    v1::ExecutionState ms;
    Status ls = LoadState(wf, run, &ms);
    if (ls.code() == StatusCode::kNotFound) continue;
    DURABLE_RETURN_IF_ERROR(ls);
    if (IsOpen(ms) || ms.close_time_us() >= cutoff) continue;
    WriteBatch batch;
    batch.Delete(ColumnFamily::kExecutions, keys::Execution(kNamespace, wf, run));
    DURABLE_RETURN_IF_ERROR(store_->IteratePrefix(
        ColumnFamily::kHistory, keys::HistoryPrefix(kNamespace, wf, run),
        [&](std::string_view k, std::string_view) {
          batch.Delete(ColumnFamily::kHistory, std::string(k));
          return true;
        }));
    DURABLE_RETURN_IF_ERROR(visibility_->DeleteRecord(&batch, kNamespace, wf, run));
    v1::CurrentRun cur;
    if (LoadCurrent(wf, &cur).ok() && cur.run_id() == run) {
      batch.Delete(ColumnFamily::kCurrent, keys::Current(kNamespace, wf));
    }
    DURABLE_RETURN_IF_ERROR(store_->Write(batch, options_.sync_writes));
    ++deleted;
  }
  return deleted;
}

}  // namespace durable
