// EngineGaugeCollector: at each scrape, reads Engine::Gauges() of every namespace and turns
// them into Prometheus gauge families (durable_task_queue_depth, durable_task_queue_pollers,
// durable_rocksdb_*). Thread-safe (Namespaces is).
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <vector>

#include "durable/namespaces.h"

namespace durable {

class EngineGaugeCollector : public prometheus::Collectable {
 public:
  explicit EngineGaugeCollector(Namespaces* namespaces) : namespaces_(namespaces) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  Namespaces* namespaces_;
};

}  // namespace durable
