// JsonGateway: the web UI's API — `POST /api/v1/{Method}` with the request message as
// protobuf JSON, answered by the same durable::Service calls the gRPC server makes (the
// methods of rpc_list.h plus the namespace RPCs), the response as protobuf JSON.
//
// Auth is the gRPC server's: with API keys, `authorization` must carry a key covering the
// call's namespace (`durable-namespace` header, "default" if absent). Errors come back as
// `{"code": "...", "message": "..."}` with an HTTP status matching the code (400, 401, 403,
// 404, 409, 429, 503, 504, 500). No HTTP here: UiServer does that. Thread-safe.
#pragma once

#include <optional>
#include <string>

#include "durable/namespaces.h"
#include "server/api_keys.h"

namespace durable {

struct JsonReply {
  int http_status = 200;
  std::string body;  // JSON
};

class JsonGateway {
 public:
  // `namespaces` must outlive the gateway; `api_keys` empty = no authentication.
  JsonGateway(Namespaces* namespaces, std::optional<ApiKeys> api_keys);

  // Calls `method` (e.g. "ListWorkflowExecutions") with the JSON request `body` ("" = {}).
  // 404 for a method the gateway does not know; 400 naming the message for bad JSON.
  JsonReply Call(const std::string& method, const std::string& body,
                 const std::string& authorization, const std::string& ns) const;

  // The HTTP status of a durable status code (200 for OK).
  static int HttpStatusOf(StatusCode code);
  // `{"code": ..., "message": ...}` for `status`, with its HTTP status.
  static JsonReply Error(const Status& status);

 private:
  Namespaces* const namespaces_;
  const std::optional<ApiKeys> api_keys_;
};

}  // namespace durable
