// HttpApi: durable-server's `--http HOST:PORT` — the EMCO-style HTTP/JSON API
// (docs/http-api.md) over the data directory's namespaces:
//   POST /invoke/{client}                          start (optionally wait for the result)
//   GET  /invoke/{client}/{workflowId}/status      description, history, result, query
//   POST /invoke/{client}/{workflowId}/cancel | terminate | signal/{name} | reset
//   POST /batch/{namespace}/terminate | cancel | signal/{name}
//   GET  /batch/{namespace}/jobs[/{jobId}]         POST /batch/{namespace}/jobs/{jobId}/stop
// Clients (what /invoke/{client} starts) come from --http-config (http_api_clients.h); auth
// is the gRPC server's API keys. The same requests and answers as `durable http-api` (the
// Python implementation in front of an embedded directory or a server): tests/py/
// test_http_api.py runs one suite against both.
// Thread-safe. Waiting calls (hookBlocking, status?wait=) wait in slices so that Stop ends
// them promptly.
#pragma once

#include <atomic>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "durable/namespaces.h"
#include "server/api_keys.h"
#include "server/http_api_clients.h"
#include "server/http_api_values.h"
#include "server/http_listener.h"

namespace durable {

class HttpApi {
 public:
  // `namespaces` must outlive the API; `api_keys` empty = no authentication.
  HttpApi(Namespaces* namespaces, std::map<std::string, WorkflowClientSpec> clients,
          std::optional<ApiKeys> api_keys);

  // Answers one request; never throws.
  HttpReply Handle(const HttpRequest& req) const;
  // Ends waiting calls (503) and refuses new ones; for shutdown.
  void Stop() { stopping_ = true; }

 private:
  struct Answer {
    int status;
    Json body;
  };
  using Path = std::vector<std::string>;

  Answer Route(const HttpRequest& req) const;
  Answer RouteInvoke(const HttpRequest& req, const std::string& client, const Path& rest) const;
  Answer RouteBatch(const HttpRequest& req, const std::string& ns, const Path& rest) const;
  void Admit(const std::string& authorization, const std::string& ns) const;
  Service* EngineOf(const std::string& ns) const;

  // http_api.cc: the /invoke endpoints.
  Answer Invoke(const WorkflowClientSpec& spec, const Json& body) const;
  Json WorkflowStatus(const WorkflowClientSpec& spec, const std::string& workflow_id,
                      const std::string& query) const;
  Json Act(const WorkflowClientSpec& spec, const std::string& workflow_id,
           const std::string& action, const Json& body) const;
  // {"status": ..., "result" | "failure": ...} once the run (following continue-as-new and
  // retries) closes; {"status": "RUNNING"} when `timeout_us` (< 0: none) passes first.
  Json Outcome(Service* engine, const std::string& workflow_id, std::string run_id,
               int64_t timeout_us) const;

  // http_api_operations.cc: reset and batch operations.
  Json Reset(const WorkflowClientSpec& spec, const std::string& workflow_id,
             const Json& body) const;
  Json StartBatch(const std::string& ns, const std::string& operation,
                  const std::string& signal_name, const Json& body) const;
  Json DescribeBatch(const std::string& ns, const std::string& job_id) const;
  Json ListBatches(const std::string& ns) const;
  Json StopBatch(const std::string& ns, const std::string& job_id, const Json& body) const;

  Namespaces* const namespaces_;
  const std::map<std::string, WorkflowClientSpec> clients_;
  const std::optional<ApiKeys> api_keys_;
  std::atomic<bool> stopping_{false};
};

// Fields of a request body, checked (ApiError 400 naming the field otherwise).
// A non-empty string, or nullopt when absent.
std::optional<std::string> StrField(const Json& body, const std::string& field);
// `params`: a JSON array (default: empty).
Json ParamsField(const Json& body);

// The identity the API's calls carry in histories.
inline constexpr const char* kHttpApiIdentity = "durable-server --http";

}  // namespace durable
