// durable-server: the engine over gRPC. Many worker processes and clients share one data
// directory through it. Logs its address when ready; SIGTERM / SIGINT drain and stop it.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "durable/remote.h"
#include "server/server.h"

namespace {

constexpr const char* kUsage = R"(usage: durable-server --db DIR [options]

Serves durable's engine over gRPC (proto/durable/v1/service.proto).

  --db DIR              data directory (created if needed; one server per directory)
  --listen HOST:PORT    address to listen on (default 127.0.0.1:7233; port 0 = any free)
  --tls-cert FILE       server certificate (PEM); with --tls-key turns TLS on
  --tls-key FILE        server private key (PEM)
  --client-ca FILE      CA (PEM) that client certificates must chain to (mutual TLS)
  --api-keys FILE       API keys and their namespaces, one '<key> <ns>[,<ns>...]' per line
                        ('*' = every namespace); clients send 'authorization: Bearer <key>'
  --relaxed-writes      do not sync the WAL on every transition (tests and benchmarks only:
                        a machine crash may lose the last transitions)
  --accept-data-loss    open even if a write-ahead log is corrupt: keep the records before
                        the damage, drop those after it (default: refuse, naming the file)
  --retention-sweep-interval SECONDS
                        how often closed runs past their namespace's retention are deleted
                        (default 60)
  --max-payload-bytes N, --warn-payload-bytes N
  --max-history-events N, --warn-history-events N
  --max-history-bytes N, --warn-history-bytes N
  --max-id-length N
  --max-pending-activities N, --max-pending-children N, --max-pending-signals N,
  --max-pending-cancels N
                        limits per run (defaults: Temporal's, 2 MiB / 256 KiB, 51200 / 10240,
                        50 MiB / 10 MiB, 1000, 2000 each; 0 = no limit; docs/limits.md)
  --metrics HOST:PORT   serve Prometheus metrics on http://HOST:PORT/metrics (default: off;
                        port 0 = any free; docs/metrics.md lists them)
  --ui HOST:PORT        serve the web UI and its JSON API (POST /api/v1/{Method}) on
                        http://HOST:PORT/ (default: off; port 0 = any free; docs/ui.md)
  --http HOST:PORT      serve the HTTP/JSON API (POST /invoke/{client}, .../status, batch
                        operations) on http://HOST:PORT/ (default: off; port 0 = any free;
                        docs/http-api.md); needs --http-config
  --http-config FILE    the API's workflow clients: TOML [clients.NAME] tables with
                        workflow_type, task_queue and optionally namespace
  --version             print the version and the protocol version and exit
  -h, --help            this text

Example:
  durable-server --db /var/lib/durable --listen 0.0.0.0:7233 \
      --tls-cert server.pem --tls-key server.key --api-keys keys.txt
)";

// The limit flags and the EngineLimits member each sets.
struct LimitFlag {
  const char* name;
  int64_t durable::EngineLimits::*member;
};
constexpr LimitFlag kLimitFlags[] = {
    {"--max-payload-bytes", &durable::EngineLimits::max_payload_bytes},
    {"--warn-payload-bytes", &durable::EngineLimits::warn_payload_bytes},
    {"--max-history-events", &durable::EngineLimits::max_history_events},
    {"--warn-history-events", &durable::EngineLimits::warn_history_events},
    {"--max-history-bytes", &durable::EngineLimits::max_history_bytes},
    {"--warn-history-bytes", &durable::EngineLimits::warn_history_bytes},
    {"--max-id-length", &durable::EngineLimits::max_id_length},
    {"--max-pending-activities", &durable::EngineLimits::max_pending_activities},
    {"--max-pending-children", &durable::EngineLimits::max_pending_children},
    {"--max-pending-signals", &durable::EngineLimits::max_pending_signals},
    {"--max-pending-cancels", &durable::EngineLimits::max_pending_cancels},
};

const LimitFlag* FindLimitFlag(const std::string& name) {
  for (const auto& f : kLimitFlags) {
    if (name == f.name) return &f;
  }
  return nullptr;
}

[[noreturn]] void Usage(const std::string& error) {
  std::fprintf(stderr, "durable-server: %s\n\n%s", error.c_str(), kUsage);
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  durable::ServerOptions options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      const auto eq = arg.find('=');
      if (arg.rfind("--", 0) == 0 && eq != std::string::npos) return arg.substr(eq + 1);
      if (i + 1 >= argc) Usage(arg + " needs a value");
      return argv[++i];
    };
    const std::string name = arg.substr(0, arg.find('='));
    if (name == "-h" || name == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (name == "--version") {
      std::printf("durable-server %s (protocol %d)\n", DURABLE_VERSION, durable::kProtocolVersion);
      return 0;
    } else if (name == "--db") {
      options.db = value();
    } else if (name == "--listen") {
      options.listen = value();
    } else if (name == "--tls-cert") {
      options.tls_cert = value();
    } else if (name == "--tls-key") {
      options.tls_key = value();
    } else if (name == "--client-ca") {
      options.client_ca = value();
    } else if (name == "--api-keys") {
      options.api_keys = value();
    } else if (name == "--metrics") {
      options.metrics = value();
    } else if (name == "--ui") {
      options.ui = value();
    } else if (name == "--http") {
      options.http = value();
    } else if (name == "--http-config") {
      options.http_config = value();
    } else if (name == "--relaxed-writes") {
      options.sync_writes = false;
    } else if (name == "--accept-data-loss") {
      options.accept_data_loss = true;
    } else if (name == "--retention-sweep-interval") {
      const std::string v = value();
      char* end = nullptr;
      const double seconds = std::strtod(v.c_str(), &end);
      if (end == v.c_str() || *end != '\0' || seconds <= 0) {
        Usage("--retention-sweep-interval needs a positive number of seconds, got '" + v + "'");
      }
      options.retention_sweep_interval_us = static_cast<int64_t>(seconds * 1e6);
    } else if (const LimitFlag* flag = FindLimitFlag(name)) {
      const std::string v = value();
      char* end = nullptr;
      const long long n = std::strtoll(v.c_str(), &end, 10);
      if (end == v.c_str() || *end != '\0' || n < 0) {
        Usage(name + " needs a whole number >= 0 (0 = no limit), got '" + v + "'");
      }
      options.limits.*(flag->member) = n;
    } else {
      Usage("unknown option '" + arg + "'");
    }
  }
  if (options.db.empty()) Usage("--db DIR is required");

  // Signals are taken by sigwait below, on this thread only (blocked before any thread
  // starts, so every thread inherits the mask).
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto started = durable::DurableServer::Start(options);
  if (!started.ok()) {
    std::fprintf(stderr, "durable-server: %s\n", started.status().message().c_str());
    return 1;
  }
  auto server = std::move(started).value();
  // Before the listening line, which callers wait for.
  if (!server->metrics_address().empty()) {
    std::fprintf(stderr, "durable-server metrics on http://%s/metrics\n",
                 server->metrics_address().c_str());
  }
  if (!server->ui_address().empty()) {
    std::fprintf(stderr, "durable-server web UI on http://%s/\n", server->ui_address().c_str());
  }
  if (!server->http_address().empty()) {
    std::fprintf(stderr, "durable-server HTTP API on http://%s/\n",
                 server->http_address().c_str());
  }
  std::fprintf(stderr, "durable-server listening on %s (data %s, protocol %d)\n",
               server->address().c_str(), options.db.c_str(), durable::kProtocolVersion);
  std::fflush(stderr);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  std::fprintf(stderr, "durable-server: %s received, draining\n", strsignal(sig));
  server->Shutdown();
  server.reset();
  std::fprintf(stderr, "durable-server: stopped\n");
  return 0;
}
