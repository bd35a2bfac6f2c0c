// Options for opening the embedded engine. Plain struct; each member's comment ends with
// its default.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "durable/clock.h"
#include "durable/metrics.h"

namespace durable {

struct EngineOptions {
  // Sync the RocksDB WAL on every transition. false is a relaxed mode for tests and
  // benchmarks only: a machine crash may lose the last transitions. Default: true.
  bool sync_writes = true;
  // Where time comes from. Default: nullptr = the system clock.
  std::shared_ptr<Clock> clock;
  // Largest payload (one argument, result, signal input) accepted. Default: 2 MiB.
  int64_t max_payload_bytes = 2 * 1024 * 1024;
  // Most events in one run's history; further commands fail the workflow task. Default: 51200.
  int64_t max_history_events = 51200;
  // Longest workflow id, activity id, type or queue name. Default: 1000.
  int64_t max_id_length = 1000;
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
