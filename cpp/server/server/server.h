// DurableServer: the data directory's namespaces served over gRPC (health checking and
// reflection included), started and stopped as one unit.
// Not thread-safe except Shutdown, which may be called from any thread (a signal watcher).
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "durable/namespaces.h"
#include "durable/status.h"
#include "server/http_api.h"
#include "server/json_gateway.h"
#include "server/metrics_endpoint.h"
#include "server/ui_server.h"
#include "server/workflow_service.h"

namespace durable {

struct ServerOptions {
  std::string db;                         // data directory. Required.
  std::string listen = "127.0.0.1:7233";  // host:port; port 0 picks a free one. Default above.
  // TLS (PEM file paths): cert+key turn TLS on; client_ca also requires and verifies client
  // certificates (mutual TLS). Default: empty (plaintext).
  std::string tls_cert, tls_key, client_ca;
  std::string api_keys;     // --api-keys file (see server/api_keys.h). Default: none.
  bool sync_writes = true;  // WAL sync per transition. Default: true.
  // Open a data directory whose write-ahead log is corrupt, dropping what follows the
  // damage (EngineOptions::accept_data_loss). Default: false.
  bool accept_data_loss = false;
  int64_t retention_sweep_interval_us = 60'000'000;  // Default: 60 s.
  EngineLimits limits;  // --max-payload-bytes, ... (docs/limits.md). Default: EngineLimits{}.
  // host:port of the Prometheus /metrics endpoint (port 0 picks a free one). Default: empty
  // (no endpoint, no metrics recorded).
  std::string metrics;
  // host:port of the web UI and its JSON gateway (docs/ui.md; port 0 picks a free one).
  // Default: empty (no UI).
  std::string ui;
  // host:port of the HTTP/JSON API (docs/http-api.md; port 0 picks a free one) and the TOML
  // file of its workflow clients (required with it). Default: empty (no HTTP API).
  std::string http, http_config;
};

class DurableServer {
 public:
  // Opens the data directory and starts listening. kUnavailable when another process holds
  // the directory or the address is taken; kInvalidArgument for bad TLS or API key files.
  static Result<std::unique_ptr<DurableServer>> Start(const ServerOptions& options);
  ~DurableServer();

  // host:port actually bound (with the chosen port when asked for port 0).
  const std::string& address() const { return address_; }
  // host:port of the /metrics endpoint ("" without ServerOptions::metrics).
  std::string metrics_address() const { return metrics_ ? metrics_->address() : ""; }
  // host:port of the web UI ("" without ServerOptions::ui).
  std::string ui_address() const { return ui_ ? ui_->address() : ""; }
  // host:port of the HTTP API ("" without ServerOptions::http).
  std::string http_address() const { return http_listener_ ? http_listener_->address() : ""; }

  // Blocks until Shutdown has finished.
  void Wait();
  // Graceful stop: no new calls, parked polls answered empty, running calls finish (up to
  // `grace_us`, then they are cancelled), then the engines close — every transition that was
  // written is whole (one batch each).
  void Shutdown(int64_t grace_us = 5'000'000);

 private:
  DurableServer() = default;
  std::unique_ptr<Namespaces> namespaces_;
  std::unique_ptr<MetricsEndpoint> metrics_;  // reads namespaces_: destroyed before it
  std::unique_ptr<WorkflowServiceImpl> service_;
  std::unique_ptr<JsonGateway> gateway_;  // calls namespaces_: destroyed before it
  std::unique_ptr<UiServer> ui_;          // calls gateway_: destroyed before it
  std::unique_ptr<HttpApi> http_api_;     // calls namespaces_: destroyed before it
  std::unique_ptr<HttpListener> http_listener_;  // calls http_api_: destroyed before it
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

}  // namespace durable
