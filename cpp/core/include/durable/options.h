// Options for opening the embedded engine. Plain struct; each member's comment ends with
// its default.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "durable/clock.h"
#include "durable/metrics.h"

namespace durable {

// Limits on what one run may hold, with Temporal's published figures as defaults. A value
// <= 0 turns that check off. What happens when each is hit: docs/limits.md.
struct EngineLimits {
  // Largest payload (one argument, result, signal input, memo value) accepted; over it a
  // client call is refused (kInvalidArgument), a workflow command fails the workflow and an
  // activity result fails the attempt, non-retryable. Default: 2 MiB.
  int64_t max_payload_bytes = 2 * 1024 * 1024;
  // A payload over this is accepted with a warning (once per payload). Default: 256 KiB.
  int64_t warn_payload_bytes = 256 * 1024;
  // A run whose history reaches this many events is terminated, reason
  // "Workflow history size / count exceeds limit.". Default: 51200.
  int64_t max_history_events = 51200;
  // From this many events: one warning per run, and workflow tasks suggest continue-as-new.
  // Default: 10240.
  int64_t warn_history_events = 10240;
  // As max_history_events, for the history's size in bytes. Default: 50 MiB.
  int64_t max_history_bytes = 50 * 1024 * 1024;
  // As warn_history_events, in bytes. Default: 10 MiB.
  int64_t warn_history_bytes = 10 * 1024 * 1024;
  // Longest workflow id, activity id, type, task queue, signal/update/query name, schedule
  // id. Default: 1000.
  int64_t max_id_length = 1000;
  // Most pending activities / children / external signals / external cancels per run; the
  // command past it fails the workflow task (cause PENDING_*_LIMIT_EXCEEDED), retried with
  // backoff until enough pending ones resolve. Default: 2000 each.
  int64_t max_pending_activities = 2000;
  int64_t max_pending_children = 2000;
  int64_t max_pending_signals = 2000;
  int64_t max_pending_cancels = 2000;
};

struct EngineOptions {
  // Sync the RocksDB WAL on every transition. false is a relaxed mode for tests and
  // benchmarks only: a machine crash may lose the last transitions. Default: true.
  bool sync_writes = true;
  // Open even when the write-ahead log is corrupt, keeping what precedes the damage and
  // dropping what follows (written to stderr). Without it such a directory is a kDataLoss
  // error naming the file and offset (docs/storage.md). Default: false.
  bool accept_data_loss = false;
  // Where time comes from. Default: nullptr = the system clock.
  std::shared_ptr<Clock> clock;
  // What one run may grow to, and what the engine refuses (docs/limits.md). Default:
  // Temporal's published figures (EngineLimits{}).
  EngineLimits limits;
  // Where the engine's warnings go (a payload or a history past its warning threshold),
  // one line each, from any thread. Default: nullptr = stderr.
  std::function<void(const std::string&)> warn;
  // Default workflow task timeout when a start does not set one. Default: 10 s.
  int64_t default_task_timeout_us = 10'000'000;
  // Sticky execution: how long a run's next workflow task waits for the worker that ran its
  // last one (and has it cached) before any worker of the queue may take it; 0 = off.
  // Default: 5 s (Temporal's sticky schedule-to-start timeout).
  int64_t sticky_schedule_to_start_timeout_us = 5'000'000;
  // Longest a poll parks when the request does not say. Default: 60 s.
  int64_t default_poll_timeout_us = 60'000'000;
  // Where engine events go (durable/metrics.h). Default: nullptr = none.
  std::shared_ptr<MetricsSink> metrics;
  // The namespace this engine serves, as metrics label it (Namespaces sets it).
  // Default: "default".
  std::string namespace_name = "default";
};

}  // namespace durable
