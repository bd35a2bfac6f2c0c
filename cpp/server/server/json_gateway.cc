#include "server/json_gateway.h"

#include <google/protobuf/util/json_util.h>

#include <functional>
#include <map>

#include "rpc_list.h"

namespace durable {

namespace {

using google::protobuf::Message;
using google::protobuf::util::JsonParseOptions;
using google::protobuf::util::JsonPrintOptions;

// Escapes `s` as a JSON string literal (quotes included).
std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

Status ParseJson(const std::string& method, const std::string& body, Message* req) {
  JsonParseOptions opts;
  opts.ignore_unknown_fields = false;  // a misspelt field is an error, not silently dropped
  auto st = google::protobuf::util::JsonStringToMessage(body.empty() ? "{}" : body, req, opts);
  if (st.ok()) return Status::OK();
  std::string why(st.message());
  why = why.substr(0, why.find('\n'));  // protobuf appends a snippet on later lines
  return Status::InvalidArgument(method + ": the request body is not a valid " +
                                 req->GetDescriptor()->full_name() + " in JSON: " + why);
}

JsonReply PrintJson(const Message& resp) {
  JsonReply reply;
  JsonPrintOptions opts;
  auto st = google::protobuf::util::MessageToJsonString(resp, &reply.body, opts);
  if (!st.ok()) {
    return JsonGateway::Error(Status::Internal("cannot print " + resp.GetDescriptor()->full_name() +
                                               " as JSON: " + std::string(st.message())));
  }
  return reply;
}

// One method: parse the request, check credentials for its namespace, run it.
struct Context {
  Namespaces* namespaces;
  const std::optional<ApiKeys>* api_keys;
  const std::string* authorization;
  const std::string* ns;  // the durable-namespace header, "default" if absent
  Status Admit(const std::string& ns_of_call) const {
    if (*api_keys) return (*api_keys)->Check(*authorization, ns_of_call);
    return Status::OK();
  }
};
using Handler = std::function<JsonReply(const Context&, const std::string& method,
                                        const std::string& body)>;

// An engine method (rpc_list.h): routed to the engine of the call's namespace.
template <typename Req, typename Resp>
Handler EngineMethod(Status (Service::*method)(const Req&, Resp*)) {
  return [method](const Context& c, const std::string& name, const std::string& body) {
    Status admitted = c.Admit(*c.ns);
    if (!admitted.ok()) return JsonGateway::Error(admitted);
    Req req;
    Status parsed = ParseJson(name, body, &req);
    if (!parsed.ok()) return JsonGateway::Error(parsed);
    Result<Engine*> engine = c.namespaces->Get(*c.ns);
    if (!engine.ok()) return JsonGateway::Error(engine.status());
    Resp resp;
    Status st = ((*engine)->*method)(req, &resp);
    return st.ok() ? PrintJson(resp) : JsonGateway::Error(st);
  };
}

// A namespace registry method: admitted for the namespace the request names.
template <typename Req, typename Resp>
Handler NamespaceMethod(Status (Namespaces::*method)(const Req&, Resp*),
                        std::string (*ns_of)(const Req&)) {
  return [method, ns_of](const Context& c, const std::string& name, const std::string& body) {
    Req req;
    Status parsed = ParseJson(name, body, &req);
    if (!parsed.ok()) return JsonGateway::Error(parsed);
    Status admitted = c.Admit(ns_of(req));
    if (!admitted.ok()) return JsonGateway::Error(admitted);
    Resp resp;
    Status st = (c.namespaces->*method)(req, &resp);
    return st.ok() ? PrintJson(resp) : JsonGateway::Error(st);
  };
}

const std::map<std::string, Handler>& Methods() {
  static const auto* methods = [] {
    auto* m = new std::map<std::string, Handler>();
#define DURABLE_GATEWAY_METHOD(Name) (*m)[#Name] = EngineMethod(&Service::Name);
    DURABLE_SHORT_RPCS(DURABLE_GATEWAY_METHOD)
    DURABLE_WAITING_RPCS(DURABLE_GATEWAY_METHOD)
    DURABLE_GATEWAY_METHOD(PollWorkflowExecutionUpdate)
#undef DURABLE_GATEWAY_METHOD
    (*m)["RegisterNamespace"] = NamespaceMethod(
        &Namespaces::RegisterNamespace,
        +[](const v1::RegisterNamespaceRequest& r) { return r.namespace_info().name(); });
    (*m)["DescribeNamespace"] = NamespaceMethod(
        &Namespaces::DescribeNamespace,
        +[](const v1::DescribeNamespaceRequest& r) { return r.name(); });
    (*m)["ListNamespaces"] = NamespaceMethod(
        &Namespaces::ListNamespaces, +[](const v1::ListNamespacesRequest&) { return std::string(); });
    (*m)["UpdateNamespace"] = NamespaceMethod(
        &Namespaces::UpdateNamespace,
        +[](const v1::UpdateNamespaceRequest& r) { return r.namespace_info().name(); });
    return m;
  }();
  return *methods;
}

}  // namespace

JsonGateway::JsonGateway(Namespaces* namespaces, std::optional<ApiKeys> api_keys)
    : namespaces_(namespaces), api_keys_(std::move(api_keys)) {}

JsonReply JsonGateway::Call(const std::string& method, const std::string& body,
                            const std::string& authorization, const std::string& ns) const {
  auto it = Methods().find(method);
  if (it == Methods().end()) {
    return Error(Status::NotFound("unknown method '" + method +
                                  "': POST /api/v1/{Method} takes the RPCs of "
                                  "proto/durable/v1/service.proto (task polls excepted)"));
  }
  const std::string routed = ns.empty() ? "default" : ns;
  Context c{namespaces_, &api_keys_, &authorization, &routed};
  return it->second(c, method, body);
}

int JsonGateway::HttpStatusOf(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kNondeterminism: return 400;
    case StatusCode::kUnauthenticated: return 401;
    case StatusCode::kPermissionDenied: return 403;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kAlreadyExists: return 409;
    case StatusCode::kResourceExhausted: return 429;
    case StatusCode::kCancelled: return 499;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kDeadlineExceeded: return 504;
    case StatusCode::kInternal:
    case StatusCode::kDataLoss: return 500;
  }
  return 500;
}

JsonReply JsonGateway::Error(const Status& status) {
  JsonReply reply;
  reply.http_status = HttpStatusOf(status.code());
  reply.body = "{\"code\":" + JsonString(StatusCodeName(status.code())) +
               ",\"message\":" + JsonString(status.message()) + "}";
  return reply;
}

}  // namespace durable
