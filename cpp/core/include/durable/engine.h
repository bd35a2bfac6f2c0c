// The embedded engine: the Service implemented in-process over a RocksDB directory.
// Every state change is one transition, one atomic WriteBatch (history events, mutable
// state, tasks and timers together); on open, task queues and timers are rebuilt from disk.
// Thread-safe. One process at a time may open a directory: a second open fails with
// kUnavailable naming the directory (RocksDB's lock).
#pragma once

#include <memory>
#include <string>

#include "durable/metrics.h"
#include "durable/options.h"
#include "durable/service.h"
#include "durable/status.h"

namespace durable {

class Store;

class Engine : public Service {
 public:
  // Closes the engine: wakes every parked poll (they return empty), stops the timer thread.
  ~Engine() override = default;

  // Time skipping, for tests on a VirtualClock: while enabled and no workflow or activity
  // task is queued or running, the clock jumps to the next timer. kFailedPrecondition on a
  // system clock.
  virtual Status SetTimeSkipping(bool enabled) = 0;
  // Advances a VirtualClock by `duration_us`, firing the timers due on the way.
  virtual Status SkipTime(int64_t duration_us) = 0;
  // Like SkipTime, but before each jump to the next timer (and before the last one to the
  // target) waits until no task is queued or running, so that the work a timer causes, and
  // the timers that work sets, happen at their own virtual time (Temporal's test-server
  // sleep). Blocks while a task waits for a worker; kUnavailable if the engine closes
  // meanwhile, kFailedPrecondition on a system clock.
  virtual Status SkipTimeWhenIdle(int64_t duration_us) = 0;

  // Retention: deletes every run that closed more than `retention_us` ago by the engine's
  // clock — its history, state and visibility, and the current-run pointer when it is the
  // latest run — one batch per run, so an interrupted sweep leaves whole runs. Returns how
  // many runs were deleted. kInvalidArgument for retention_us <= 0.
  virtual Result<int64_t> DeleteClosedRunsOlderThan(int64_t retention_us) = 0;

  // Metrics read at scrape time: queue depths and pollers, RocksDB properties.
  virtual EngineGauges Gauges() = 0;
};

// Opens (creating if needed) the engine on `directory`. The store's errors
// (OpenRocksDbStore): kUnavailable when the directory is already open under any path, by this
// process or another; kDataLoss for a corrupt write-ahead log unless
// `options.accept_data_loss`; kResourceExhausted on a full disk.
Result<std::unique_ptr<Engine>> OpenEngine(const std::string& directory,
                                           const EngineOptions& options = {});

// For tests: opens the engine on a given store (e.g. one that injects write failures).
Result<std::unique_ptr<Engine>> OpenEngineOnStore(std::unique_ptr<Store> store,
                                                  const EngineOptions& options = {});

}  // namespace durable
