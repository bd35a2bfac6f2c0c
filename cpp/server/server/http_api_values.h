// The HTTP API's values (docs/http-api.md): JSON arguments as the default data converter's
// payloads and back, durations as the CLI writes them ("300ms", "1h30m"), timestamps as the
// CLI prints them, a failure as "Type: message <- cause", and ApiError — a refused request
// with its HTTP status and the request field at fault.
//
// ApiError is thrown by the request parsing of server/http_api*.cc and caught by
// HttpApi::Handle (as nlohmann::json's own errors are): no exception leaves the HTTP API.
// Stateless; thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "durable/status.h"
#include "durable/v1/service.pb.h"

namespace durable {

using Json = nlohmann::ordered_json;  // keys in the order written, as Python prints them

struct ApiError : std::runtime_error {
  ApiError(int http_status, const std::string& message, std::string field = "")
      : std::runtime_error(message), status(http_status), field(std::move(field)) {}
  int status;         // 400, 404, ...
  std::string field;  // the request field at fault ("" = none)
};

// An engine error as the API answers it: 404 not found, 409 already exists / failed
// precondition, 400 invalid argument, 401, 403, 504 deadline, 503 unavailable, else 500.
ApiError ErrorOf(const Status& status);
// Throws ErrorOf(status) unless it is OK.
void Check(const Status& status);

// A JSON value as the default converter encodes it: null as "binary/null", the rest as
// "json/plain".
v1::Payload EncodeJson(const Json& value);
// Each element of `values` (a JSON array) as one payload.
v1::Payloads EncodeArgs(const Json& values);
// A payload as JSON: "json/plain" and "json/protobuf" parsed, "binary/null" as null, other
// encodings (and unparsable data) as the data's hex string, as `durable ... -o json` prints.
Json DecodePayload(const v1::Payload& payload);

// `text` as microseconds: "90s", "5m", "1h30m", "7d", "250ms" or plain seconds ("1.5").
// ApiError(400, field) unless a positive duration.
int64_t ParseDuration(const std::string& text, const std::string& field);

// UTC, millisecond ISO 8601 with Z ("2026-12-04T21:07:05.123Z"); null for 0.
Json Timestamp(int64_t unix_us);

// "Type: message" of a failure and up to four causes, joined by " <- ".
std::string FailureChain(const v1::Failure& failure);

// A protobuf message as JSON (protobuf's JSON mapping: camelCase names, int64 as strings).
Json ProtoJson(const google::protobuf::Message& message);

// An enum value's name without its prefix ("WORKFLOW_EXECUTION_STATUS_RUNNING" -> "RUNNING").
std::string EnumName(const std::string& full_name, const std::string& prefix);

// A random UUID (version 4) for request ids and job ids.
std::string NewUuid();

}  // namespace durable
