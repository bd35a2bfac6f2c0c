#include "server/ui_server.h"

#include <civetweb.h>

#include <cstring>

#include "server/ui_assets.h"

namespace durable {

namespace {

constexpr const char* kApiPrefix = "/api/v1/";

const char* ContentType(const std::string& path) {
  auto ends = [&](const char* ext) {
    const size_t n = std::strlen(ext);
    return path.size() >= n && path.compare(path.size() - n, n, ext) == 0;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  return "application/octet-stream";
}

const char* Reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 429: return "Too Many Requests";
    case 499: return "Client Closed Request";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Internal Server Error";
  }
}

// `head`: headers only (a HEAD request).
void Send(mg_connection* conn, int status, const char* type, const char* data, size_t size,
          bool head = false) {
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
            "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n\r\n",
            status, Reason(status), type, size);
  if (!head) mg_write(conn, data, size);
}

void SendJson(mg_connection* conn, const JsonReply& reply) {
  Send(conn, reply.http_status, "application/json", reply.body.data(), reply.body.size());
}

std::string HeaderOf(mg_connection* conn, const char* name) {
  const char* v = mg_get_header(conn, name);
  return v ? v : "";
}

}  // namespace

Result<std::unique_ptr<UiServer>> UiServer::Start(const std::string& address,
                                                  const JsonGateway* gateway) {
  std::unique_ptr<UiServer> s(new UiServer());
  s->gateway_ = gateway;
  const char* options[] = {"listening_ports", address.c_str(), "num_threads", "16",
                           "enable_keep_alive", "yes", nullptr};
  mg_callbacks callbacks{};
  // civetweb logs bind failures through log_message; the caller reports them instead.
  callbacks.log_message = [](const mg_connection*, const char*) { return 1; };
  s->ctx_ = mg_start(&callbacks, nullptr, options);
  if (!s->ctx_) {
    return Status::Unavailable("--ui: cannot listen on " + address +
                               " (address in use, or not an address of this machine)");
  }
  mg_set_request_handler(s->ctx_, "/", &UiServer::Handle, s.get());
  mg_server_port ports[4];
  const int n = mg_get_server_ports(s->ctx_, 4, ports);
  if (n <= 0) return Status::Unavailable("--ui: cannot listen on " + address);
  const auto colon = address.rfind(':');
  s->address_ = address.substr(0, colon == std::string::npos ? 0 : colon) + ":" +
                std::to_string(ports[0].port);
  return s;
}

UiServer::~UiServer() {
  if (ctx_) mg_stop(ctx_);  // waits for running requests
}

int UiServer::Handle(mg_connection* conn, void* self) {
  const mg_request_info* info = mg_get_request_info(conn);
  const std::string path = info->local_uri ? info->local_uri : "/";
  const std::string verb = info->request_method ? info->request_method : "";
  if (path.rfind(kApiPrefix, 0) == 0) {
    if (verb != "POST") {
      SendJson(conn, {405, "{\"code\":\"InvalidArgument\",\"message\":\"the API takes POST "
                           "/api/v1/{Method} with a JSON body\"}"});
      return 1;
    }
    static_cast<const UiServer*>(self)->ServeApi(conn, path.substr(std::strlen(kApiPrefix)));
    return 1;
  }
  if (verb != "GET" && verb != "HEAD") {
    Send(conn, 405, "text/plain", "GET only\n", 9);
    return 1;
  }
  ServeAsset(conn, path, verb == "HEAD");
  return 1;
}

void UiServer::ServeApi(mg_connection* conn, const std::string& method) const {
  constexpr size_t kMaxBody = 64 * 1024 * 1024;  // as the gRPC server's message limit
  std::string body;
  char buf[16384];
  int n;
  while ((n = mg_read(conn, buf, sizeof buf)) > 0) {
    body.append(buf, static_cast<size_t>(n));
    if (body.size() > kMaxBody) {
      SendJson(conn, JsonGateway::Error(Status::ResourceExhausted(
                         method + ": the request body is larger than 64 MiB")));
      return;
    }
  }
  SendJson(conn, gateway_->Call(method, body, HeaderOf(conn, "Authorization"),
                                HeaderOf(conn, "Durable-Namespace")));
}

void UiServer::ServeAsset(mg_connection* conn, const std::string& path, bool head) {
  const UiAsset* asset = FindUiAsset(path);
  if (!asset) {
    static const char kMissing[] = "not found\n";
    Send(conn, 404, "text/plain", kMissing, sizeof kMissing - 1, head);
    return;
  }
  Send(conn, 200, ContentType(asset->path), asset->data, asset->size, head);
}

}  // namespace durable
