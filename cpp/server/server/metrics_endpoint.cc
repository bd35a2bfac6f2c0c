#include "server/metrics_endpoint.h"

#include <exception>

#include "server/metrics_gauges.h"

namespace durable {

Result<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(
    const std::string& address, std::shared_ptr<PrometheusSink> sink, Namespaces* namespaces) {
  std::unique_ptr<MetricsEndpoint> e(new MetricsEndpoint());
  e->sink_ = std::move(sink);
  e->gauges_ = std::make_shared<EngineGaugeCollector>(namespaces);
  try {
    // CivetWeb throws when the address cannot be bound.
    e->exposer_ = std::make_unique<prometheus::Exposer>(address, /*num_threads=*/2);
  } catch (const std::exception& ex) {
    return Status::Unavailable("--metrics: cannot listen on " + address + ": " + ex.what());
  }
  const auto ports = e->exposer_->GetListeningPorts();
  if (ports.empty()) return Status::Unavailable("--metrics: cannot listen on " + address);
  e->exposer_->RegisterCollectable(e->sink_->registry());
  e->exposer_->RegisterCollectable(e->gauges_);
  const auto colon = address.rfind(':');
  e->address_ = address.substr(0, colon == std::string::npos ? 0 : colon) + ":" +
                std::to_string(ports.front());
  return e;
}

MetricsEndpoint::~MetricsEndpoint() {
  exposer_.reset();  // stop serving before the collectors (and the namespaces) go
}

}  // namespace durable
