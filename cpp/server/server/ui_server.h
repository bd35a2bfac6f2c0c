// UiServer: durable-server's `--ui HOST:PORT` — an HTTP listener (civetweb) serving the web
// UI's embedded files (ui_assets.h) and its API, `POST /api/v1/{Method}` (JsonGateway).
// docs/ui.md describes both. Thread-safe; stops serving when destroyed.
#pragma once

#include <memory>
#include <string>

#include "durable/status.h"
#include "server/json_gateway.h"

struct mg_context;
struct mg_connection;

namespace durable {

class UiServer {
 public:
  // Listens on `address` (host:port; port 0 picks a free one). `gateway` must outlive the
  // server. kUnavailable naming the address when it cannot be bound.
  static Result<std::unique_ptr<UiServer>> Start(const std::string& address,
                                                 const JsonGateway* gateway);
  ~UiServer();

  // host:port actually bound.
  const std::string& address() const { return address_; }

 private:
  UiServer() = default;
  static int Handle(mg_connection* conn, void* self);
  void ServeApi(mg_connection* conn, const std::string& method) const;
  static void ServeAsset(mg_connection* conn, const std::string& path, bool head);

  const JsonGateway* gateway_ = nullptr;
  mg_context* ctx_ = nullptr;
  std::string address_;
};

}  // namespace durable
