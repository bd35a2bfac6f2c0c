// The HTTP API's routing, the /invoke endpoints (start, status, cancel, terminate, signal) and
// the request body checks. Reset and batches are in http_api_operations.cc.
#include "server/http_api.h"

#include <chrono>
#include <set>
#include <sstream>

namespace durable {

namespace {

constexpr int64_t kWaitSliceUs = 1'000'000;  // a waiting call rechecks Stop this often

int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string part;
  std::istringstream in(s);
  while (std::getline(in, part, sep)) out.push_back(part);
  if (!s.empty() && s.back() == sep) out.emplace_back();
  return out;
}

std::string UrlDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() + 0 && std::isxdigit(s[i + 1]) &&
               std::isxdigit(s[i + 2])) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// The query string's parameters, the last value of each (as parse_qs(...)[name][-1]); blank
// values are absent.
std::map<std::string, std::string> QueryParams(const std::string& query) {
  std::map<std::string, std::string> out;
  for (const std::string& kv : Split(query, '&')) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq + 1 == kv.size()) continue;
    out[UrlDecode(kv.substr(0, eq))] = UrlDecode(kv.substr(eq + 1));
  }
  return out;
}

Json Body(const HttpRequest& req) {
  if (req.body_too_large) throw ApiError(413, "the request body is larger than 64 MiB");
  if (req.body.find_first_not_of(" \t\r\n") == std::string::npos) return Json::object();
  Json body;
  try {
    body = Json::parse(req.body);
  } catch (const Json::parse_error& e) {
    throw ApiError(400, std::string("the body is not JSON: ") + e.what());
  }
  if (!body.is_object()) throw ApiError(400, "the body must be a JSON object");
  return body;
}

bool Truthy(const Json& v) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number()) return v.get<double>() != 0;
  if (v.is_string() || v.is_array() || v.is_object()) return !v.empty();
  return false;
}

// A duration field of `o` in microseconds (nullopt when absent); it may be a string or a
// number of seconds.
std::optional<int64_t> DurationField(const Json& o, const std::string& field) {
  if (!o.contains(field) || o[field].is_null()) return std::nullopt;
  const Json& v = o[field];
  return ParseDuration(v.is_string() ? v.get<std::string>() : v.dump(), field);
}

v1::WorkflowExecution Execution(const std::string& workflow_id, const std::string& run_id) {
  v1::WorkflowExecution e;
  e.set_workflow_id(workflow_id);
  e.set_run_id(run_id);
  return e;
}

// The start options of `POST /invoke/{client}` into `req`.
void ApplyStartOptions(const Json& o, v1::StartWorkflowExecutionRequest* req) {
  if (!o.is_object()) throw ApiError(400, "startOptions must be an object", "startOptions");
  static const std::set<std::string> kKnown = {"executionTimeout", "runTimeout", "taskTimeout",
                                               "idReusePolicy", "idConflictPolicy",
                                               "retryPolicy", "memo"};
  for (const auto& [k, _] : o.items()) {
    if (!kKnown.count(k)) {
      std::string known;
      for (const auto& n : kKnown) known += (known.empty() ? "" : ", ") + n;
      throw ApiError(400, "unknown start option '" + k + "' (known: " + known + ")",
                     "startOptions." + k);
    }
  }
  if (auto us = DurationField(o, "executionTimeout")) req->set_execution_timeout_us(*us);
  if (auto us = DurationField(o, "runTimeout")) req->set_run_timeout_us(*us);
  if (auto us = DurationField(o, "taskTimeout")) req->set_task_timeout_us(*us);
  static const std::vector<std::pair<std::string, v1::WorkflowIdReusePolicy>> kReuse = {
      {"AllowDuplicate", v1::WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE},
      {"AllowDuplicateFailedOnly", v1::WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY},
      {"RejectDuplicate", v1::WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE},
      {"TerminateIfRunning", v1::WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING}};
  static const std::vector<std::pair<std::string, v1::WorkflowIdConflictPolicy>> kConflict = {
      {"Fail", v1::WORKFLOW_ID_CONFLICT_POLICY_FAIL},
      {"UseExisting", v1::WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING},
      {"TerminateExisting", v1::WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING}};
  auto choose = [&o](const std::string& field, const auto& table) {
    std::string names;
    for (const auto& [name, value] : table) {
      if (o[field].is_string() && o[field].template get<std::string>() == name) return value;
      names += (names.empty() ? "" : ", ") + name;
    }
    throw ApiError(400, field + " must be one of " + names, "startOptions." + field);
  };
  if (o.contains("idReusePolicy")) req->set_id_reuse_policy(choose("idReusePolicy", kReuse));
  if (o.contains("idConflictPolicy")) {
    req->set_id_conflict_policy(choose("idConflictPolicy", kConflict));
  }
  if (o.contains("retryPolicy")) {
    const Json& r = o["retryPolicy"];
    const std::string field = "startOptions.retryPolicy";
    if (!r.is_object()) throw ApiError(400, "retryPolicy must be an object", field);
    v1::RetryPolicy* p = req->mutable_retry_policy();
    p->set_initial_interval_us(DurationField(r, "initialInterval").value_or(1'000'000));
    p->set_maximum_interval_us(DurationField(r, "maximumInterval").value_or(0));
    const Json coefficient = r.value("backoffCoefficient", Json(2.0));
    const Json attempts = r.value("maximumAttempts", Json(0));
    const Json types = r.value("nonRetryableErrorTypes", Json::array());
    if (!coefficient.is_number() || !attempts.is_number_integer() || !types.is_array()) {
      throw ApiError(400, "retryPolicy: backoffCoefficient must be a number, maximumAttempts an "
                          "integer and nonRetryableErrorTypes an array of strings", field);
    }
    p->set_backoff_coefficient(coefficient.get<double>());
    p->set_maximum_attempts(attempts.get<int32_t>());
    for (const Json& t : types) {
      if (!t.is_string()) {
        throw ApiError(400, "retryPolicy: nonRetryableErrorTypes must be strings", field);
      }
      p->add_non_retryable_error_types(t.get<std::string>());
    }
  }
  if (o.contains("memo")) {
    if (!o["memo"].is_object()) throw ApiError(400, "memo must be an object", "startOptions.memo");
    for (const auto& [k, v] : o["memo"].items()) (*req->mutable_memo())[k] = EncodeJson(v);
  }
}

// The fields `durable workflow describe -o json` shows for a run.
Json DescriptionJson(const v1::WorkflowExecutionInfo& info) {
  auto or_null = [](const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); };
  return {{"workflowId", info.execution().workflow_id()},
          {"runId", info.execution().run_id()},
          {"type", info.workflow_type()},
          {"taskQueue", info.task_queue()},
          {"status", EnumName(v1::WorkflowExecutionStatus_Name(info.status()),
                              "WORKFLOW_EXECUTION_STATUS_")},
          {"startTime", Timestamp(info.start_time_us())},
          {"executionTime", Timestamp(info.execution_time_us())},
          {"closeTime", Timestamp(info.close_time_us())},
          {"historyLength", info.history_length()},
          {"parentWorkflowId", or_null(info.parent().workflow_id())},
          {"parentRunId", or_null(info.parent().run_id())}};
}

Json ErrorBody(const ApiError& e) {
  Json err = {{"code", HttpListener::Reason(e.status)}, {"message", e.what()}};
  if (!e.field.empty()) err["field"] = e.field;
  return {{"error", err}};
}

}  // namespace

std::optional<std::string> StrField(const Json& body, const std::string& field) {
  if (!body.contains(field) || body[field].is_null()) return std::nullopt;
  const Json& v = body[field];
  if (!v.is_string() || v.get<std::string>().empty()) {
    throw ApiError(400, field + " must be a non-empty string", field);
  }
  return v.get<std::string>();
}

Json ParamsField(const Json& body) {
  if (!body.contains("params")) return Json::array();
  if (!body["params"].is_array()) {
    throw ApiError(400, "params must be a JSON array (the arguments)", "params");
  }
  return body["params"];
}

HttpApi::HttpApi(Namespaces* namespaces, std::map<std::string, WorkflowClientSpec> clients,
                 std::optional<ApiKeys> api_keys)
    : namespaces_(namespaces), clients_(std::move(clients)), api_keys_(std::move(api_keys)) {}

HttpReply HttpApi::Handle(const HttpRequest& req) const {
  Answer answer{500, nullptr};
  try {
    answer = Route(req);
  } catch (const ApiError& e) {
    answer = {e.status, ErrorBody(e)};
  } catch (const std::exception& e) {  // a JSON type error we did not foresee: still JSON
    answer = {500, ErrorBody(ApiError(500, std::string("internal error: ") + e.what()))};
  }
  HttpReply reply;
  reply.status = answer.status;
  reply.body = answer.body.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
  return reply;
}

HttpApi::Answer HttpApi::Route(const HttpRequest& req) const {
  if (stopping_) throw ApiError(503, "durable-server is shutting down");
  std::string path = req.path;
  while (!path.empty() && path.front() == '/') path.erase(0, 1);
  while (!path.empty() && path.back() == '/') path.pop_back();
  Path parts = Split(path, '/');
  if (parts.size() < 2 || (parts[0] != "invoke" && parts[0] != "batch") || parts[1].empty()) {
    throw ApiError(404, "no route " + req.path + "; see docs/http-api.md");
  }
  const Path rest(parts.begin() + 2, parts.end());
  return parts[0] == "invoke" ? RouteInvoke(req, parts[1], rest) : RouteBatch(req, parts[1], rest);
}

HttpApi::Answer HttpApi::RouteInvoke(const HttpRequest& req, const std::string& client,
                                     const Path& rest) const {
  auto it = clients_.find(client);
  if (it == clients_.end()) {
    std::string names;
    for (const auto& [name, _] : clients_) names += (names.empty() ? "" : ", ") + name;
    throw ApiError(404, "no workflow client '" + client + "' (configured: " + names + ")");
  }
  const WorkflowClientSpec& spec = it->second;
  Admit(req.authorization, spec.ns);
  const bool post = req.method == "POST";
  if (post && rest.empty()) return Invoke(spec, Body(req));
  if (req.method == "GET" && rest.size() == 2 && rest[1] == "status") {
    return {200, WorkflowStatus(spec, rest[0], req.query)};
  }
  if (post && rest.size() == 2 && (rest[1] == "cancel" || rest[1] == "terminate")) {
    return {200, Act(spec, rest[0], rest[1], Body(req))};
  }
  if (post && rest.size() == 3 && rest[1] == "signal") {
    return {200, Act(spec, rest[0], "signal/" + rest[2], Body(req))};
  }
  if (post && rest.size() == 2 && rest[1] == "reset") return {200, Reset(spec, rest[0], Body(req))};
  throw ApiError(404, "no route " + req.method + " " + req.path);
}

HttpApi::Answer HttpApi::RouteBatch(const HttpRequest& req, const std::string& ns,
                                    const Path& rest) const {
  bool known = false;
  for (const auto& [_, spec] : clients_) known |= spec.ns == ns;
  if (!known) {
    throw ApiError(404, "no workflow client in namespace '" + ns +
                            "': batches act on the namespaces of --http-config");
  }
  Admit(req.authorization, ns);
  const bool post = req.method == "POST", get = req.method == "GET";
  if (post && rest.size() == 1 && (rest[0] == "terminate" || rest[0] == "cancel")) {
    return {201, StartBatch(ns, rest[0], "", Body(req))};
  }
  if (post && rest.size() == 2 && rest[0] == "signal") {
    return {201, StartBatch(ns, "signal", rest[1], Body(req))};
  }
  if (get && rest.size() == 1 && rest[0] == "jobs") return {200, ListBatches(ns)};
  if (get && rest.size() == 2 && rest[0] == "jobs") return {200, DescribeBatch(ns, rest[1])};
  if (post && rest.size() == 3 && rest[0] == "jobs" && rest[2] == "stop") {
    return {200, StopBatch(ns, rest[1], Body(req))};
  }
  throw ApiError(404, "no route " + req.method + " " + req.path);
}

void HttpApi::Admit(const std::string& authorization, const std::string& ns) const {
  if (!api_keys_) return;
  Status st = api_keys_->Check(authorization, ns);
  if (st.code() == StatusCode::kUnauthenticated) {
    throw ApiError(401, "missing or unknown API key (Authorization: Bearer KEY)");
  }
  Check(st);
}

Service* HttpApi::EngineOf(const std::string& ns) const {
  Result<Engine*> engine = namespaces_->Get(ns);
  Check(engine.status());
  return *engine;
}

HttpApi::Answer HttpApi::Invoke(const WorkflowClientSpec& spec, const Json& body) const {
  v1::StartWorkflowExecutionRequest req;
  *req.mutable_input() = EncodeArgs(ParamsField(body));
  req.set_workflow_id(StrField(body, "workflowId").value_or(NewUuid()));
  ApplyStartOptions(body.value("startOptions", Json::object()), &req);
  // checked before anything starts
  const int64_t timeout_us = DurationField(body, "hookBlockingTimeout").value_or(-1);
  req.set_workflow_type(spec.workflow_type);
  req.set_task_queue(spec.task_queue);
  req.set_identity(kHttpApiIdentity);
  req.set_request_id(NewUuid());
  Service* engine = EngineOf(spec.ns);
  v1::StartWorkflowExecutionResponse resp;
  Check(engine->StartWorkflowExecution(req, &resp));
  Json out = {{"workflowId", req.workflow_id()}, {"runId", resp.run_id()},
              {"workflowType", spec.workflow_type}, {"taskQueue", spec.task_queue},
              {"namespace", spec.ns}};
  if (!Truthy(body.value("hookBlocking", Json(false)))) return {201, out};
  Json outcome = Outcome(engine, req.workflow_id(), resp.run_id(), timeout_us);
  const int status = outcome["status"] == "RUNNING" ? 202 : 200;
  out.update(outcome);
  return {status, out};
}

Json HttpApi::WorkflowStatus(const WorkflowClientSpec& spec, const std::string& workflow_id,
                             const std::string& query) const {
  const std::map<std::string, std::string> q = QueryParams(query);
  auto param = [&q](const char* name) -> std::optional<std::string> {
    auto it = q.find(name);
    return it == q.end() ? std::nullopt : std::optional(it->second);
  };
  const std::string run_id = param("runId").value_or("");
  std::set<std::string> parts;
  for (const std::string& p : Split(param("include").value_or("description"), ',')) {
    parts.insert(p);
  }
  std::string unknown;
  for (const std::string& p : parts) {
    if (p != "description" && p != "history" && p != "result" && p != "query") {
      unknown += (unknown.empty() ? "'" : ", '") + p + "'";
    }
  }
  if (!unknown.empty()) {
    throw ApiError(400, "include: unknown part(s) [" + unknown +
                            "]; use description, history, result, query", "include");
  }
  Service* engine = EngineOf(spec.ns);
  Json out = {{"workflowId", workflow_id}};
  if (parts.count("description")) {
    v1::DescribeWorkflowExecutionRequest req;
    *req.mutable_execution() = Execution(workflow_id, run_id);
    v1::DescribeWorkflowExecutionResponse resp;
    Check(engine->DescribeWorkflowExecution(req, &resp));
    out["description"] = DescriptionJson(resp.info());
  }
  if (parts.count("history")) {
    v1::GetWorkflowExecutionHistoryRequest req;
    *req.mutable_execution() = Execution(workflow_id, run_id);
    v1::GetWorkflowExecutionHistoryResponse resp;
    Check(engine->GetWorkflowExecutionHistory(req, &resp));
    out["history"] = ProtoJson(resp.history());
  }
  if (parts.count("result")) {
    const std::optional<std::string> wait = param("wait");
    out.update(Outcome(engine, workflow_id, run_id, wait ? ParseDuration(*wait, "wait") : 1));
  }
  if (parts.count("query")) {
    const std::optional<std::string> name = param("queryName");
    if (!name) throw ApiError(400, "include=query needs queryName", "queryName");
    Json args = Json::parse(param("queryParams").value_or("[]"), nullptr, false);
    if (args.is_discarded()) throw ApiError(400, "queryParams is not JSON", "queryParams");
    if (!args.is_array()) throw ApiError(400, "queryParams must be a JSON array", "queryParams");
    v1::QueryWorkflowRequest req;
    *req.mutable_execution() = Execution(workflow_id, run_id);
    req.set_query_type(*name);
    *req.mutable_query_args() = EncodeArgs(args);
    v1::QueryWorkflowResponse resp;
    Status st = engine->QueryWorkflow(req, &resp);
    if (st.code() == StatusCode::kInvalidArgument) throw ApiError(422, st.message());  // failed
    Check(st);
    out["queryResult"] = resp.query_result().payloads_size()
                             ? DecodePayload(resp.query_result().payloads(0))
                             : Json(nullptr);
  }
  return out;
}

Json HttpApi::Act(const WorkflowClientSpec& spec, const std::string& workflow_id,
                  const std::string& action, const Json& body) const {
  const v1::WorkflowExecution execution =
      Execution(workflow_id, StrField(body, "runId").value_or(""));
  const std::string reason = StrField(body, "reason").value_or("");
  Service* engine = EngineOf(spec.ns);
  if (action == "cancel") {
    v1::RequestCancelWorkflowExecutionRequest req;
    *req.mutable_workflow_execution() = execution;
    req.set_identity(kHttpApiIdentity);
    req.set_reason(reason);
    req.set_request_id(NewUuid());
    v1::RequestCancelWorkflowExecutionResponse resp;
    Check(engine->RequestCancelWorkflowExecution(req, &resp));
  } else if (action == "terminate") {
    v1::TerminateWorkflowExecutionRequest req;
    *req.mutable_workflow_execution() = execution;
    req.set_identity(kHttpApiIdentity);
    req.set_reason(reason);
    v1::TerminateWorkflowExecutionResponse resp;
    Check(engine->TerminateWorkflowExecution(req, &resp));
  } else {
    v1::SignalWorkflowExecutionRequest req;
    *req.mutable_workflow_execution() = execution;
    req.set_signal_name(action.substr(std::string("signal/").size()));
    *req.mutable_input() = EncodeArgs(ParamsField(body));
    req.set_identity(kHttpApiIdentity);
    req.set_request_id(NewUuid());
    v1::SignalWorkflowExecutionResponse resp;
    Check(engine->SignalWorkflowExecution(req, &resp));
  }
  return {{"workflowId", workflow_id}, {"done", action}};
}

Json HttpApi::Outcome(Service* engine, const std::string& workflow_id, std::string run_id,
                      int64_t timeout_us) const {
  const int64_t deadline = timeout_us < 0 ? -1 : NowUs() + timeout_us;
  while (true) {
    if (stopping_) throw ApiError(503, "durable-server is shutting down");
    int64_t slice = kWaitSliceUs;
    if (deadline >= 0) {
      const int64_t left = deadline - NowUs();
      if (left <= 0) return {{"status", "RUNNING"}};
      slice = std::min(slice, std::max<int64_t>(1, left));
    }
    v1::GetWorkflowExecutionHistoryRequest req;
    *req.mutable_execution() = Execution(workflow_id, run_id);
    req.set_wait_new_event(true);
    req.set_close_event_only(true);
    req.set_timeout_us(slice);
    v1::GetWorkflowExecutionHistoryResponse resp;
    Status st = engine->GetWorkflowExecutionHistory(req, &resp);
    if (st.code() == StatusCode::kDeadlineExceeded) continue;
    Check(st);
    const v1::HistoryEvent* close = nullptr;
    for (const v1::HistoryEvent& e : resp.history().events()) {
      if (e.attributes_case() >= v1::HistoryEvent::kWorkflowExecutionCompleted &&
          e.attributes_case() <= v1::HistoryEvent::kWorkflowExecutionContinuedAsNew) {
        close = &e;
      }
    }
    if (!close) {
      if (!resp.run_id().empty()) run_id = resp.run_id();
      continue;
    }
    switch (close->attributes_case()) {
      case v1::HistoryEvent::kWorkflowExecutionCompleted: {
        const v1::Payloads& result = close->workflow_execution_completed().result();
        return {{"status", "COMPLETED"},
                {"result", result.payloads_size() ? DecodePayload(result.payloads(0))
                                                  : Json(nullptr)}};
      }
      case v1::HistoryEvent::kWorkflowExecutionFailed: {
        const auto& a = close->workflow_execution_failed();
        if (!a.new_execution_run_id().empty()) {
          run_id = a.new_execution_run_id();
          continue;
        }
        return {{"status", "FAILED"}, {"failure", FailureChain(a.failure())}};
      }
      case v1::HistoryEvent::kWorkflowExecutionCanceled:
        return {{"status", "CANCELED"}, {"failure", "CancelledError: Workflow cancelled"}};
      case v1::HistoryEvent::kWorkflowExecutionTerminated: {
        const std::string& reason = close->workflow_execution_terminated().reason();
        return {{"status", "TERMINATED"},
                {"failure", "TerminatedError: " + (reason.empty() ? "Workflow terminated"
                                                                  : reason)}};
      }
      case v1::HistoryEvent::kWorkflowExecutionTimedOut: {
        const auto& a = close->workflow_execution_timed_out();
        if (!a.new_execution_run_id().empty()) {
          run_id = a.new_execution_run_id();
          continue;
        }
        return {{"status", "TIMED_OUT"}, {"failure", "TimeoutError: Workflow timed out"}};
      }
      default:  // continued as new: follow the chain
        run_id = close->workflow_execution_continued_as_new().new_execution_run_id();
        continue;
    }
  }
}

}  // namespace durable
