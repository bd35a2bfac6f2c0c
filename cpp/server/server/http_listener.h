// HttpListener: one civetweb HTTP listener whose requests a handler answers — the frame that
// the web UI (--ui) and the HTTP API (--http) share: bind, read the body (bounded), reply.
// Thread-safe; the handler is called on civetweb's worker threads and must be thread-safe.
// Stops serving when destroyed (after the requests it is answering).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "durable/status.h"

struct mg_context;
struct mg_connection;

namespace durable {

struct HttpRequest {
  std::string method;         // "GET", "POST", ...
  std::string path;           // decoded path, e.g. "/invoke/orders"
  std::string query;          // raw query string, without '?'
  std::string body;           // at most the listener's body limit
  bool body_too_large = false;  // the body passed the limit (body holds its start)
  std::string authorization;  // the Authorization header ("" if absent)
  std::string ns_header;      // the Durable-Namespace header ("" if absent)
};

struct HttpReply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  bool head = false;  // send the headers only (a HEAD request)
};

using HttpHandler = std::function<HttpReply(const HttpRequest&)>;

class HttpListener {
 public:
  // Listens on `address` (host:port; port 0 picks a free one). `flag` names the option in
  // errors ("--ui"). kUnavailable naming the address when it cannot be bound.
  static Result<std::unique_ptr<HttpListener>> Start(const std::string& flag,
                                                     const std::string& address,
                                                     HttpHandler handler);
  ~HttpListener();

  // host:port actually bound.
  const std::string& address() const { return address_; }

  // The reason phrase of an HTTP status ("Not Found").
  static const char* Reason(int status);

 private:
  HttpListener() = default;
  static int Handle(mg_connection* conn, void* self);

  HttpHandler handler_;
  mg_context* ctx_ = nullptr;
  std::string address_;
};

}  // namespace durable
