#include "server/ui_server.h"

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

HttpReply Json(const JsonReply& reply) { return {reply.http_status, "application/json", reply.body}; }

HttpReply Asset(const std::string& path, bool head) {
  const UiAsset* asset = FindUiAsset(path);
  if (!asset) return {404, "text/plain", "not found\n", head};
  return {200, ContentType(asset->path), std::string(asset->data, asset->size), head};
}

}  // namespace

Result<std::unique_ptr<UiServer>> UiServer::Start(const std::string& address,
                                                  const JsonGateway* gateway) {
  std::unique_ptr<UiServer> s(new UiServer());
  s->gateway_ = gateway;
  const UiServer* self = s.get();
  DURABLE_ASSIGN_OR_RETURN(
      s->listener_,
      HttpListener::Start("--ui", address, [self](const HttpRequest& r) { return self->Handle(r); }));
  return s;
}

HttpReply UiServer::Handle(const HttpRequest& req) const {
  if (req.path.rfind(kApiPrefix, 0) == 0) {
    const std::string method = req.path.substr(std::strlen(kApiPrefix));
    if (req.method != "POST") {
      return {405, "application/json",
              "{\"code\":\"InvalidArgument\",\"message\":\"the API takes POST "
              "/api/v1/{Method} with a JSON body\"}"};
    }
    if (req.body_too_large) {
      return Json(JsonGateway::Error(
          Status::ResourceExhausted(method + ": the request body is larger than 64 MiB")));
    }
    return Json(gateway_->Call(method, req.body, req.authorization, req.ns_header));
  }
  if (req.method != "GET" && req.method != "HEAD") return {405, "text/plain", "GET only\n"};
  return Asset(req.path, req.method == "HEAD");
}

}  // namespace durable
