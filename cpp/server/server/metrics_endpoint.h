// MetricsEndpoint: durable-server's `--metrics ADDR` — an HTTP listener (prometheus-cpp's
// pull exposer) serving /metrics in the Prometheus text format: the PrometheusSink's
// counters and histograms, plus gauges read from every namespace's engine at each scrape
// (queue depths, pollers, RocksDB properties). docs/metrics.md lists them.
#pragma once

#include <prometheus/exposer.h>

#include <memory>
#include <string>

#include "durable/namespaces.h"
#include "durable/status.h"
#include "server/prometheus_sink.h"

namespace durable {

class MetricsEndpoint {
 public:
  // Listens on `address` (host:port; port 0 picks a free one). `namespaces` must outlive the
  // endpoint. kUnavailable naming the address when it cannot be bound.
  static Result<std::unique_ptr<MetricsEndpoint>> Start(const std::string& address,
                                                        std::shared_ptr<PrometheusSink> sink,
                                                        Namespaces* namespaces);
  ~MetricsEndpoint();

  // host:port actually bound.
  const std::string& address() const { return address_; }

 private:
  MetricsEndpoint() = default;
  std::shared_ptr<PrometheusSink> sink_;
  std::shared_ptr<prometheus::Collectable> gauges_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::string address_;
};

}  // namespace durable
