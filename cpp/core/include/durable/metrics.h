// Engine metrics, without a metrics library: the engine reports events to a MetricsSink
// (EngineOptions::metrics; durable-server's sink feeds prometheus-cpp) and answers
// Engine::Gauges() for the values read at scrape time (queue depths, pollers, RocksDB).
// docs/metrics.md lists the metrics the server exports from these.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace durable {

// Receives engine events. Called from engine threads, after the transition that caused the
// event was written (never under an engine lock that a poll waits on), so implementations
// must be thread-safe and cheap. `ns` is EngineOptions::namespace_name.
class MetricsSink {
 public:
  virtual ~MetricsSink() = default;

  // A run was created (start, signal-with-start, child, continue-as-new, retry, cron).
  virtual void WorkflowStarted(const std::string& ns, const std::string& workflow_type) = 0;
  // A run closed; `status` is its final status in lower case: "completed", "failed",
  // "timed_out", "terminated", "canceled" or "continued_as_new".
  virtual void WorkflowClosed(const std::string& ns, const std::string& workflow_type,
                              const std::string& status) = 0;
  // A task was handed to a worker `seconds` after it was queued (in this process).
  // `kind` is "workflow" or "activity".
  virtual void TaskScheduleToStart(const std::string& ns, const std::string& task_queue,
                                   const std::string& kind, double seconds) = 0;
  // A durable timer fired `seconds` after its due time (0 if on time or early).
  virtual void TimerLag(const std::string& ns, double seconds) = 0;
  // One transition (an atomic batch) was written; `synced` when with a WAL sync.
  virtual void TransitionWritten(const std::string& ns, bool synced) = 0;
};

// One (task queue, kind) of the engine's in-memory matching.
struct QueueGauge {
  std::string task_queue;
  std::string kind;      // "workflow" or "activity"
  int64_t depth = 0;     // tasks waiting for a poller
  int64_t pollers = 0;   // polls parked on the queue (blocking and asynchronous)
};

// Values read at scrape time.
struct EngineGauges {
  std::vector<QueueGauge> queues;
  // RocksDB integer properties (DB::GetIntProperty, summed over column families), by name
  // ("rocksdb.estimate-num-keys", "rocksdb.live-sst-files-size", ...); absent if unknown.
  std::vector<std::pair<std::string, uint64_t>> store_properties;
};

}  // namespace durable
