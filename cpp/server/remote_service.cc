// RemoteClient and the per-namespace RemoteService (see durable/remote.h).
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include "durable/remote.h"
#include "durable/v1/service.grpc.pb.h"
#include "rpc_list.h"
#include "status_codes.h"

namespace durable {

namespace {

using Stub = v1::WorkflowService::Stub;

// Extra deadline a long poll gets beyond its own timeout (the server answers it empty first).
constexpr int64_t kLongPollMarginUs = 10'000'000;

// The connection: a channel, its stub, and the metadata every call carries.
class Channel {
 public:
  explicit Channel(RemoteOptions options) : options_(std::move(options)) {}

  Status Open() {
    if (options_.target.empty()) return Status::InvalidArgument("durable-server address is empty");
    std::shared_ptr<grpc::ChannelCredentials> creds;
    if (options_.tls) {
      grpc::SslCredentialsOptions ssl;
      ssl.pem_root_certs = options_.server_root_ca_cert;
      ssl.pem_cert_chain = options_.client_cert;
      ssl.pem_private_key = options_.client_private_key;
      if (ssl.pem_cert_chain.empty() != ssl.pem_private_key.empty()) {
        return Status::InvalidArgument(
            "TLS: a client certificate needs its private key and the reverse");
      }
      creds = grpc::SslCredentials(ssl);
    } else {
      creds = grpc::InsecureChannelCredentials();
    }
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
    args.SetMaxSendMessageSize(64 * 1024 * 1024);
    // Reconnect quickly after a server restart (gRPC's default backoff grows to 120 s).
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30'000);
    if (!options_.domain.empty()) args.SetSslTargetNameOverride(options_.domain);
    channel_ = grpc::CreateCustomChannel(options_.target, creds, args);
    stub_ = v1::WorkflowService::NewStub(channel_);
    return Status::OK();
  }

  // One call with deadline, metadata and UNAVAILABLE retries. `long_poll_us` > 0: a call
  // the server may park that long.
  template <typename Req, typename Resp>
  Status Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
              const std::string& ns, const Req& req, Resp* resp, int64_t long_poll_us = 0,
              int64_t retry_budget_us = -1) {
    using Clock = std::chrono::steady_clock;
    const auto give_up = Clock::now() + std::chrono::microseconds(
        retry_budget_us >= 0 ? retry_budget_us : options_.retry_budget_us);
    auto backoff = std::chrono::milliseconds(50);
    while (true) {
      grpc::ClientContext ctx;
      const CallOptions* call = CallOptionsScope::Current();
      int64_t timeout_us =
          long_poll_us > 0 ? long_poll_us + kLongPollMarginUs : options_.rpc_timeout_us;
      if (call != nullptr && call->timeout_us > 0) timeout_us = call->timeout_us;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::microseconds(timeout_us));
      ctx.AddMetadata("durable-namespace", ns.empty() ? "default" : ns);
      ctx.AddMetadata("durable-protocol", std::to_string(kProtocolVersion));
      // The call's own metadata replaces the connection's for the same key.
      auto overridden = [call](const std::string& key) {
        if (call == nullptr) return false;
        for (const auto& kv : call->metadata) {
          if (kv.first == key) return true;
        }
        return false;
      };
      if (!options_.api_key.empty() && !overridden("authorization")) {
        ctx.AddMetadata("authorization", "Bearer " + options_.api_key);
      }
      for (const auto& [k, v] : options_.metadata) {
        if (!overridden(k)) ctx.AddMetadata(k, v);
      }
      if (call != nullptr) {
        for (const auto& [k, v] : call->metadata) ctx.AddMetadata(k, v);
      }
      resp->Clear();
      grpc::Status gs = (stub_.get()->*method)(&ctx, req, resp);
      if (gs.error_code() != grpc::StatusCode::UNAVAILABLE || Clock::now() + backoff > give_up) {
        if (gs.error_code() == grpc::StatusCode::UNAVAILABLE) {
          return Status::Unavailable("durable-server at " + options_.target +
                                     " is unavailable: " + gs.error_message());
        }
        return FromGrpcStatus(gs);
      }
      std::this_thread::sleep_for(backoff);
      backoff = std::min<std::chrono::milliseconds>(backoff * 2, std::chrono::milliseconds(2000));
    }
  }

  const RemoteOptions& options() const { return options_; }

 private:
  RemoteOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<Stub> stub_;
};

#define DURABLE_REMOTE_RPC(Name)                                                  \
  Status Name(const v1::Name##Request& req, v1::Name##Response* resp) override { \
    return channel_.Call(&Stub::Name, ns_, req, resp);                            \
  }

class RemoteService : public Service {
 public:
  RemoteService(Channel& channel, std::string ns) : channel_(channel), ns_(std::move(ns)) {}

  DURABLE_SHORT_RPCS(DURABLE_REMOTE_RPC)

  // Calls the server may park: their deadline follows their own timeout.
  Status QueryWorkflow(const v1::QueryWorkflowRequest& req,
                       v1::QueryWorkflowResponse* resp) override {
    return channel_.Call(&Stub::QueryWorkflow, ns_, req, resp, Parked(req.timeout_us()));
  }
  Status UpdateWorkflowExecution(const v1::UpdateWorkflowExecutionRequest& req,
                                 v1::UpdateWorkflowExecutionResponse* resp) override {
    return channel_.Call(&Stub::UpdateWorkflowExecution, ns_, req, resp, Parked(req.timeout_us()));
  }
  Status UpdateWithStartWorkflowExecution(
      const v1::UpdateWithStartWorkflowExecutionRequest& req,
      v1::UpdateWithStartWorkflowExecutionResponse* resp) override {
    return channel_.Call(&Stub::UpdateWithStartWorkflowExecution, ns_, req, resp,
                         Parked(req.update().timeout_us()));
  }
  Status PollWorkflowExecutionUpdate(const v1::PollWorkflowExecutionUpdateRequest& req,
                                     v1::UpdateWorkflowExecutionResponse* resp) override {
    return channel_.Call(&Stub::PollWorkflowExecutionUpdate, ns_, req, resp,
                         Parked(req.timeout_us()));
  }
  Status GetWorkflowExecutionHistory(const v1::GetWorkflowExecutionHistoryRequest& req,
                                     v1::GetWorkflowExecutionHistoryResponse* resp) override {
    return channel_.Call(&Stub::GetWorkflowExecutionHistory, ns_, req, resp,
                         req.wait_new_event() ? Parked(req.timeout_us()) : 0);
  }
  Status PollWorkflowTaskQueue(const v1::PollWorkflowTaskQueueRequest& req,
                               v1::PollWorkflowTaskQueueResponse* resp) override {
    return Poll(&Stub::PollWorkflowTaskQueue, req, resp);
  }
  Status PollActivityTaskQueue(const v1::PollActivityTaskQueueRequest& req,
                               v1::PollActivityTaskQueueResponse* resp) override {
    return Poll(&Stub::PollActivityTaskQueue, req, resp);
  }

 private:
  static int64_t Parked(int64_t timeout_us) {
    return timeout_us > 0 ? timeout_us : 60'000'000;  // the engine's default poll timeout
  }

  // A task poll that finds the server away answers empty (the worker polls again) instead of
  // failing: a worker outlives a server restart of any length.
  template <typename Req, typename Resp>
  Status Poll(grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
              const Req& req, Resp* resp) {
    Status st = channel_.Call(method, ns_, req, resp, Parked(req.timeout_us()));
    if (st.code() == StatusCode::kUnavailable || st.code() == StatusCode::kDeadlineExceeded) {
      resp->Clear();
      return Status::OK();
    }
    return st;
  }

  Channel& channel_;
  const std::string ns_;
};

#undef DURABLE_REMOTE_RPC

class RemoteClientImpl : public RemoteClient {
 public:
  explicit RemoteClientImpl(RemoteOptions options) : channel_(std::move(options)) {}

  Status Open() {
    DURABLE_RETURN_IF_ERROR(channel_.Open());
    // A cheap call checks the server is there and takes our credentials.
    v1::DescribeNamespaceRequest req;
    req.set_name("default");
    v1::DescribeNamespaceResponse resp;
    Status st = channel_.Call(&Stub::DescribeNamespace, "default", req, &resp, 0,
                              channel_.options().connect_timeout_us);
    // An API key scoped to other namespaces may not describe "default": still connected.
    if (st.code() == StatusCode::kPermissionDenied || st.code() == StatusCode::kNotFound) {
      return Status::OK();
    }
    return st;
  }

  Service& ForNamespace(const std::string& ns) override {
    std::lock_guard<std::mutex> l(mu_);
    auto& svc = services_[ns.empty() ? "default" : ns];
    if (!svc) svc = std::make_unique<RemoteService>(channel_, ns.empty() ? "default" : ns);
    return *svc;
  }

  Status RegisterNamespace(const v1::RegisterNamespaceRequest& req,
                           v1::RegisterNamespaceResponse* resp) override {
    return channel_.Call(&Stub::RegisterNamespace, req.namespace_info().name(), req, resp);
  }
  Status DescribeNamespace(const v1::DescribeNamespaceRequest& req,
                           v1::DescribeNamespaceResponse* resp) override {
    return channel_.Call(&Stub::DescribeNamespace, req.name(), req, resp);
  }
  Status ListNamespaces(const v1::ListNamespacesRequest& req,
                        v1::ListNamespacesResponse* resp) override {
    return channel_.Call(&Stub::ListNamespaces, "", req, resp);
  }
  Status UpdateNamespace(const v1::UpdateNamespaceRequest& req,
                         v1::UpdateNamespaceResponse* resp) override {
    return channel_.Call(&Stub::UpdateNamespace, req.namespace_info().name(), req, resp);
  }

 private:
  Channel channel_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<RemoteService>> services_;
};

}  // namespace

namespace {
thread_local const CallOptions* current_call_options = nullptr;
}  // namespace

CallOptionsScope::CallOptionsScope(CallOptions options)
    : options_(std::move(options)), previous_(current_call_options) {
  current_call_options = &options_;
}

CallOptionsScope::~CallOptionsScope() { current_call_options = previous_; }

const CallOptions* CallOptionsScope::Current() { return current_call_options; }

Result<std::unique_ptr<RemoteClient>> ConnectRemote(const RemoteOptions& options) {
  auto client = std::make_unique<RemoteClientImpl>(options);
  DURABLE_RETURN_IF_ERROR(client->Open());
  return std::unique_ptr<RemoteClient>(std::move(client));
}

}  // namespace durable
