#include "server/http_listener.h"

#include <civetweb.h>

namespace durable {

namespace {

constexpr size_t kMaxBody = 64 * 1024 * 1024;  // as the gRPC server's message limit

std::string HeaderOf(mg_connection* conn, const char* name) {
  const char* v = mg_get_header(conn, name);
  return v ? v : "";
}

}  // namespace

const char* HttpListener::Reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 499: return "Client Closed Request";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Internal Server Error";
  }
}

Result<std::unique_ptr<HttpListener>> HttpListener::Start(const std::string& flag,
                                                          const std::string& address,
                                                          HttpHandler handler) {
  std::unique_ptr<HttpListener> s(new HttpListener());
  s->handler_ = std::move(handler);
  const char* options[] = {"listening_ports", address.c_str(), "num_threads", "16",
                           "enable_keep_alive", "yes", nullptr};
  mg_callbacks callbacks{};
  // civetweb logs bind failures through log_message; the caller reports them instead.
  callbacks.log_message = [](const mg_connection*, const char*) { return 1; };
  s->ctx_ = mg_start(&callbacks, nullptr, options);
  if (!s->ctx_) {
    return Status::Unavailable(flag + ": cannot listen on " + address +
                               " (address in use, or not an address of this machine)");
  }
  mg_set_request_handler(s->ctx_, "/", &HttpListener::Handle, s.get());
  mg_server_port ports[4];
  const int n = mg_get_server_ports(s->ctx_, 4, ports);
  if (n <= 0) return Status::Unavailable(flag + ": cannot listen on " + address);
  const auto colon = address.rfind(':');
  s->address_ = address.substr(0, colon == std::string::npos ? 0 : colon) + ":" +
                std::to_string(ports[0].port);
  return s;
}

HttpListener::~HttpListener() {
  if (ctx_) mg_stop(ctx_);  // waits for running requests
}

int HttpListener::Handle(mg_connection* conn, void* self) {
  const mg_request_info* info = mg_get_request_info(conn);
  HttpRequest req;
  req.method = info->request_method ? info->request_method : "";
  req.path = info->local_uri ? info->local_uri : "/";
  req.query = info->query_string ? info->query_string : "";
  req.authorization = HeaderOf(conn, "Authorization");
  req.ns_header = HeaderOf(conn, "Durable-Namespace");
  char buf[16384];
  int n;
  while ((n = mg_read(conn, buf, sizeof buf)) > 0) {
    if (req.body.size() + static_cast<size_t>(n) > kMaxBody) {
      req.body_too_large = true;
      break;
    }
    req.body.append(buf, static_cast<size_t>(n));
  }
  const HttpReply reply = static_cast<const HttpListener*>(self)->handler_(req);
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
            "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n\r\n",
            reply.status, Reason(reply.status), reply.content_type.c_str(), reply.body.size());
  if (!reply.head) mg_write(conn, reply.body.data(), reply.body.size());
  return 1;
}

}  // namespace durable
