#include "server/http_api_values.h"

#include <google/protobuf/util/json_util.h>

#include <cmath>
#include <ctime>
#include <random>
#include <regex>

namespace durable {

namespace {

std::string Hex(const std::string& bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::string EncodingOf(const v1::Payload& p) {
  auto it = p.metadata().find("encoding");
  return it == p.metadata().end() ? "" : it->second;
}

// The name temporalio / durable give a failure's exception, as `failure_chain` shows it.
std::string FailureType(const v1::Failure& f) {
  switch (f.info_case()) {
    case v1::Failure::kApplicationFailureInfo:
      return f.application_failure_info().type().empty() ? "ApplicationError"
                                                         : f.application_failure_info().type();
    case v1::Failure::kTimeoutFailureInfo: return "TimeoutError";
    case v1::Failure::kCanceledFailureInfo: return "CancelledError";
    case v1::Failure::kTerminatedFailureInfo: return "TerminatedError";
    case v1::Failure::kServerFailureInfo: return "ServerError";
    case v1::Failure::kActivityFailureInfo: return "ActivityError";
    case v1::Failure::kChildWorkflowFailureInfo: return "ChildWorkflowError";
    case v1::Failure::INFO_NOT_SET: break;
  }
  return "FailureError";
}

}  // namespace

ApiError ErrorOf(const Status& status) {
  int http = 500;
  switch (status.code()) {
    case StatusCode::kNotFound: http = 404; break;
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition: http = 409; break;
    case StatusCode::kInvalidArgument:
    case StatusCode::kNondeterminism: http = 400; break;
    case StatusCode::kUnauthenticated: http = 401; break;
    case StatusCode::kPermissionDenied: http = 403; break;
    case StatusCode::kResourceExhausted: http = 429; break;
    case StatusCode::kDeadlineExceeded: http = 504; break;
    case StatusCode::kUnavailable: http = 503; break;
    default: break;
  }
  return ApiError(http, status.message());
}

void Check(const Status& status) {
  if (!status.ok()) throw ErrorOf(status);
}

v1::Payload EncodeJson(const Json& value) {
  v1::Payload p;
  if (value.is_null()) {
    (*p.mutable_metadata())["encoding"] = "binary/null";
    return p;
  }
  (*p.mutable_metadata())["encoding"] = "json/plain";
  p.set_data(value.dump());
  return p;
}

v1::Payloads EncodeArgs(const Json& values) {
  v1::Payloads out;
  for (const Json& v : values) *out.add_payloads() = EncodeJson(v);
  return out;
}

Json DecodePayload(const v1::Payload& payload) {
  const std::string encoding = EncodingOf(payload);
  if (encoding == "binary/null") return nullptr;
  if (encoding == "json/plain" || encoding == "json/protobuf") {
    Json v = Json::parse(payload.data(), nullptr, /*allow_exceptions=*/false);
    if (!v.is_discarded()) return v;
  }
  return Hex(payload.data());
}

int64_t ParseDuration(const std::string& text, const std::string& field) {
  static const std::regex kPart(R"((\d+(?:\.\d+)?)(ms|s|m|h|d))");
  std::string t = text;
  t.erase(0, t.find_first_not_of(" \t\n"));
  t.erase(t.find_last_not_of(" \t\n") + 1);
  double seconds = 0;
  size_t used = 0;
  try {
    seconds = std::stod(t, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != t.size() || t.empty() || !std::isfinite(seconds)) {
    seconds = 0;
    std::string joined;
    for (auto it = std::sregex_iterator(t.begin(), t.end(), kPart); it != std::sregex_iterator();
         ++it) {
      const std::string unit = (*it)[2];
      const double n = std::stod((*it)[1]);
      seconds += n * (unit == "ms" ? 0.001 : unit == "s" ? 1 : unit == "m" ? 60
                      : unit == "h" ? 3600 : 86400);
      joined += it->str();
    }
    if (joined.empty() || joined != t) {
      throw ApiError(400, field + ": '" + text + "' is not a duration (e.g. 30s, 5m, 1h30m, 7d)",
                     field);
    }
  }
  if (seconds <= 0) {
    throw ApiError(400, field + ": the duration must be positive, got '" + text + "'", field);
  }
  return static_cast<int64_t>(std::llround(seconds * 1e6));
}

Json Timestamp(int64_t unix_us) {
  if (unix_us == 0) return nullptr;
  const std::time_t secs = static_cast<std::time_t>(unix_us / 1'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char ms[8];
  std::snprintf(ms, sizeof ms, ".%03dZ", static_cast<int>((unix_us / 1000) % 1000));
  return std::string(buf) + ms;
}

std::string FailureChain(const v1::Failure& failure) {
  std::string out;
  const v1::Failure* f = &failure;
  for (int i = 0; f && i < 5; ++i) {
    if (i) out += " <- ";
    out += FailureType(*f) + ": " + f->message();
    f = f->has_cause() ? &f->cause() : nullptr;
  }
  return out;
}

Json ProtoJson(const google::protobuf::Message& message) {
  std::string text;
  auto st = google::protobuf::util::MessageToJsonString(message, &text);
  if (!st.ok()) {
    throw ApiError(500, "cannot print " + message.GetDescriptor()->full_name() + " as JSON: " +
                            std::string(st.message()));
  }
  return Json::parse(text);
}

std::string EnumName(const std::string& full_name, const std::string& prefix) {
  return full_name.rfind(prefix, 0) == 0 ? full_name.substr(prefix.size()) : full_name;
}

std::string NewUuid() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const uint64_t hi = (rng() & ~0xf000ULL) | 0x4000ULL;  // version 4
  const uint64_t lo = (rng() & ~(3ULL << 62)) | (2ULL << 62);  // variant 10
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08llx-%04llx-%04llx-%04llx-%012llx",
                static_cast<unsigned long long>(hi >> 32),
                static_cast<unsigned long long>((hi >> 16) & 0xffff),
                static_cast<unsigned long long>(hi & 0xffff),
                static_cast<unsigned long long>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return buf;
}

}  // namespace durable
