// PrometheusSink: the engines' MetricsSink (durable/metrics.h) recorded into a prometheus-cpp
// registry — counters and histograms named as in docs/metrics.md. Thread-safe.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

#include "durable/metrics.h"

namespace durable {

class PrometheusSink : public MetricsSink {
 public:
  PrometheusSink();

  // The registry the counters and histograms live in (served by MetricsEndpoint).
  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  void WorkflowStarted(const std::string& ns, const std::string& workflow_type) override;
  void WorkflowClosed(const std::string& ns, const std::string& workflow_type,
                      const std::string& status) override;
  void TaskScheduleToStart(const std::string& ns, const std::string& task_queue,
                           const std::string& kind, double seconds) override;
  void TimerLag(const std::string& ns, double seconds) override;
  void TransitionWritten(const std::string& ns, bool synced) override;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& started_;
  prometheus::Family<prometheus::Counter>& completed_;
  prometheus::Family<prometheus::Counter>& failed_;
  prometheus::Family<prometheus::Counter>& timed_out_;
  prometheus::Family<prometheus::Counter>& terminated_;
  prometheus::Family<prometheus::Counter>& canceled_;
  prometheus::Family<prometheus::Counter>& continued_as_new_;
  prometheus::Family<prometheus::Histogram>& schedule_to_start_;
  prometheus::Family<prometheus::Histogram>& timer_lag_;
  prometheus::Family<prometheus::Counter>& transitions_;
  prometheus::Family<prometheus::Counter>& wal_syncs_;
};

}  // namespace durable
