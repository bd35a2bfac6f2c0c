// The remote transport: durable::Service over gRPC to a durable-server, so that the Python
// bindings hold the same interface whichever transport the target string chose.
//
// Reliability lives here, not in the SDK: every call has a deadline (long polls: their own
// timeout plus a margin); UNAVAILABLE (server down, restarting, draining) is retried with
// exponential backoff until `retry_budget_us` runs out, over the channel's own reconnects —
// so a worker keeps running across a server restart. Retried calls are safe: starts and
// signals carry request ids, and completions carry task tokens the server refuses twice.
//
// Thread-safe: one RemoteClient (one channel) serves many threads at once.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "durable/service.h"
#include "durable/status.h"

namespace durable {

// The wire protocol's version. The client sends it with every call; a server of another
// version refuses the call with kFailedPrecondition naming both versions.
inline constexpr int kProtocolVersion = 1;

struct RemoteOptions {
  std::string target;  // host:port of durable-server. Required.
  // TLS: off unless `tls` is set. PEM contents, not paths. Defaults: empty (system roots,
  // no client certificate, the target's host name).
  bool tls = false;
  std::string server_root_ca_cert;
  std::string client_cert;
  std::string client_private_key;
  std::string domain;  // overrides the name checked against the server's certificate
  // Sent as "authorization: Bearer <api_key>" when set. Default: empty.
  std::string api_key;
  // Extra metadata sent with every call. Default: none.
  std::vector<std::pair<std::string, std::string>> metadata;
  // Deadline of one unary call. Default: 30 s.
  int64_t rpc_timeout_us = 30'000'000;
  // How long UNAVAILABLE is retried before the call fails with kUnavailable. Default: 60 s.
  int64_t retry_budget_us = 60'000'000;
  // How long ConnectRemote waits for the server to answer. Default: 10 s.
  int64_t connect_timeout_us = 10'000'000;
};

// Options of the calls the current thread makes while a CallOptionsScope lives: a client
// call's `rpc_metadata` / `rpc_timeout` (temporalio's per-call options). Only the remote
// transport reads them; the embedded engine has no wire to put them on.
struct CallOptions {
  // Sent with the call; a key here replaces the connection's value for the same key
  // (including "authorization" from `api_key`). Keys lower-case, as gRPC wants.
  std::vector<std::pair<std::string, std::string>> metadata;
  // Deadline of each attempt of the call instead of the default (long polls included).
  // <= 0: the default.
  int64_t timeout_us = 0;
};

// Sets the current thread's CallOptions for its lifetime (restores the previous ones).
class CallOptionsScope {
 public:
  explicit CallOptionsScope(CallOptions options);
  ~CallOptionsScope();
  CallOptionsScope(const CallOptionsScope&) = delete;
  CallOptionsScope& operator=(const CallOptionsScope&) = delete;
  // The innermost live scope's options on this thread, or nullptr.
  static const CallOptions* Current();

 private:
  CallOptions options_;
  const CallOptions* previous_;
};

class RemoteClient {
 public:
  virtual ~RemoteClient() = default;

  // The Service of namespace `ns` over this client's channel (owned by the client; valid
  // while it lives). The namespace travels as the "durable-namespace" header.
  virtual Service& ForNamespace(const std::string& ns) = 0;

  // Namespace administration (see durable/namespaces.h).
  virtual Status RegisterNamespace(const v1::RegisterNamespaceRequest& req,
                                   v1::RegisterNamespaceResponse* resp) = 0;
  virtual Status DescribeNamespace(const v1::DescribeNamespaceRequest& req,
                                   v1::DescribeNamespaceResponse* resp) = 0;
  virtual Status ListNamespaces(const v1::ListNamespacesRequest& req,
                                v1::ListNamespacesResponse* resp) = 0;
  virtual Status UpdateNamespace(const v1::UpdateNamespaceRequest& req,
                                 v1::UpdateNamespaceResponse* resp) = 0;
};

// Makes the channel and checks the server answers (retried over UNAVAILABLE for
// `connect_timeout_us`): kUnavailable naming the target when it does not,
// kInvalidArgument for an empty target or unreadable TLS material, kUnauthenticated /
// kPermissionDenied when the server refuses the credentials.
Result<std::unique_ptr<RemoteClient>> ConnectRemote(const RemoteOptions& options);

}  // namespace durable
