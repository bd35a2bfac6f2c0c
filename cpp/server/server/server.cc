#include "server/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

namespace durable {

namespace {

Result<std::string> ReadFile(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument(std::string(what) + " file '" + path + "' cannot be read");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<std::shared_ptr<grpc::ServerCredentials>> Credentials(const ServerOptions& o) {
  if (o.tls_cert.empty() && o.tls_key.empty()) {
    if (!o.client_ca.empty()) {
      return Status::InvalidArgument("--client-ca needs --tls-cert and --tls-key");
    }
    return grpc::InsecureServerCredentials();
  }
  if (o.tls_cert.empty() || o.tls_key.empty()) {
    return Status::InvalidArgument("TLS needs both --tls-cert and --tls-key");
  }
  grpc::SslServerCredentialsOptions ssl;
  DURABLE_ASSIGN_OR_RETURN(std::string cert, ReadFile(o.tls_cert, "--tls-cert"));
  DURABLE_ASSIGN_OR_RETURN(std::string key, ReadFile(o.tls_key, "--tls-key"));
  ssl.pem_key_cert_pairs.push_back({key, cert});
  if (!o.client_ca.empty()) {
    DURABLE_ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadFile(o.client_ca, "--client-ca"));
    ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl);
}

}  // namespace

Result<std::unique_ptr<DurableServer>> DurableServer::Start(const ServerOptions& options) {
  if (options.db.empty()) return Status::InvalidArgument("--db DIR is required");
  DURABLE_ASSIGN_OR_RETURN(auto creds, Credentials(options));
  std::optional<ApiKeys> keys;
  if (!options.api_keys.empty()) {
    DURABLE_ASSIGN_OR_RETURN(ApiKeys loaded, ApiKeys::Load(options.api_keys));
    keys = std::move(loaded);
  }
  std::unique_ptr<DurableServer> s(new DurableServer());
  NamespacesOptions nso;
  nso.engine.sync_writes = options.sync_writes;
  nso.engine.accept_data_loss = options.accept_data_loss;
  nso.engine.limits = options.limits;
  nso.retention_sweep_interval_us = options.retention_sweep_interval_us;
  std::shared_ptr<PrometheusSink> sink;
  if (!options.metrics.empty()) {
    sink = std::make_shared<PrometheusSink>();
    nso.engine.metrics = sink;
  }
  DURABLE_ASSIGN_OR_RETURN(s->namespaces_, OpenNamespaces(options.db, nso));
  if (sink) {
    DURABLE_ASSIGN_OR_RETURN(s->metrics_,
                             MetricsEndpoint::Start(options.metrics, sink, s->namespaces_.get()));
  }
  if (!options.ui.empty()) {
    s->gateway_ = std::make_unique<JsonGateway>(s->namespaces_.get(), keys);
    DURABLE_ASSIGN_OR_RETURN(s->ui_, UiServer::Start(options.ui, s->gateway_.get()));
  }
  if (!options.http.empty()) {
    if (options.http_config.empty()) {
      return Status::InvalidArgument("--http needs --http-config FILE (its workflow clients)");
    }
    DURABLE_ASSIGN_OR_RETURN(auto clients, LoadWorkflowClients(options.http_config));
    s->http_api_ = std::make_unique<HttpApi>(s->namespaces_.get(), std::move(clients), keys);
    const HttpApi* api = s->http_api_.get();
    DURABLE_ASSIGN_OR_RETURN(
        s->http_listener_,
        HttpListener::Start("--http", options.http,
                            [api](const HttpRequest& r) { return api->Handle(r); }));
  } else if (!options.http_config.empty()) {
    return Status::InvalidArgument("--http-config is only read with --http HOST:PORT");
  }
  s->service_ = std::make_unique<WorkflowServiceImpl>(s->namespaces_.get(), std::move(keys));

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen, creds, &port);
  builder.RegisterService(s->service_.get());
  builder.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  builder.SetMaxSendMessageSize(64 * 1024 * 1024);
  // Notice dead clients (a killed worker) so their parked polls are abandoned.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 30'000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // A second server on a taken port must fail, not share it (SO_REUSEPORT).
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  s->server_ = builder.BuildAndStart();
  if (!s->server_ || port == 0) {
    return Status::Unavailable("cannot listen on " + options.listen +
                               " (address in use, or not an address of this machine)");
  }
  const auto colon = options.listen.rfind(':');
  s->address_ = options.listen.substr(0, colon) + ":" + std::to_string(port);
  s->server_->GetHealthCheckService()->SetServingStatus(true);
  return s;
}

DurableServer::~DurableServer() { Shutdown(); }

void DurableServer::Wait() {
  if (server_) server_->Wait();
}

void DurableServer::Shutdown(int64_t grace_us) {
  if (!server_ || !service_) return;
  server_->GetHealthCheckService()->SetServingStatus(false);
  // Answer parked polls empty while gRPC stops taking calls and waits for running ones; a
  // poll that slipped in meanwhile is woken by the next pass.
  if (http_api_) http_api_->Stop();  // its waiting calls end now, not at their timeout
  std::atomic<bool> stopped{false};
  std::thread drainer([&] {
    while (!stopped) {
      service_->Drain();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::microseconds(grace_us));
  stopped = true;
  drainer.join();
  server_->Wait();
  http_listener_.reset();  // finishes the HTTP API calls it is serving
  http_api_.reset();
  ui_.reset();          // finishes the HTTP calls it is serving
  gateway_.reset();
  service_.reset();     // its pools finish the calls they hold
  metrics_.reset();     // stops scraping the engines
  namespaces_.reset();  // engines close after every call has returned
  server_.reset();
}

}  // namespace durable
