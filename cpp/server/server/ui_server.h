// UiServer: durable-server's `--ui HOST:PORT` — an HTTP listener serving the web UI's
// embedded files (ui_assets.h) and its API, `POST /api/v1/{Method}` (JsonGateway).
// docs/ui.md describes both. Thread-safe; stops serving when destroyed.
#pragma once

#include <memory>
#include <string>

#include "durable/status.h"
#include "server/http_listener.h"
#include "server/json_gateway.h"

namespace durable {

class UiServer {
 public:
  // Listens on `address` (host:port; port 0 picks a free one). `gateway` must outlive the
  // server. kUnavailable naming the address when it cannot be bound.
  static Result<std::unique_ptr<UiServer>> Start(const std::string& address,
                                                 const JsonGateway* gateway);

  // host:port actually bound.
  const std::string& address() const { return listener_->address(); }

 private:
  UiServer() = default;
  HttpReply Handle(const HttpRequest& req) const;

  const JsonGateway* gateway_ = nullptr;
  std::unique_ptr<HttpListener> listener_;
};

}  // namespace durable
