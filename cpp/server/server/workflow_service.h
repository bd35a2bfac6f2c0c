// WorkflowServiceImpl: proto/durable/v1/service.proto over gRPC's callback API, routed to the
// engine of the call's namespace ("durable-namespace" header, "default" if absent).
//
// Every call is first checked: protocol version ("durable-protocol" header, if sent, must be
// ours), API key (when the server has an --api-keys file), namespace (kNotFound if not
// registered). Then: task polls park as records in matching (no thread); calls that may wait
// long run on a ParkingPool; the rest on a fixed pool — never on gRPC's own threads.
// Thread-safe.
#pragma once

#include <atomic>
#include <memory>
#include <optional>

#include "durable/namespaces.h"
#include "durable/thread_pool.h"
#include "durable/v1/service.grpc.pb.h"
#include "rpc_list.h"
#include "server/api_keys.h"
#include "server/parking_pool.h"

namespace durable {

class WorkflowServiceImpl final : public v1::WorkflowService::CallbackService {
 public:
  // `namespaces` must outlive this object; `api_keys` empty = no authentication.
  WorkflowServiceImpl(Namespaces* namespaces, std::optional<ApiKeys> api_keys);
  ~WorkflowServiceImpl() override;

  // Answers every parked task poll empty and makes new ones return at once (SIGTERM drain).
  void Drain();

#define DURABLE_CALLBACK_RPC(Name, Resp)                                              \
  grpc::ServerUnaryReactor* Name(grpc::CallbackServerContext* ctx,                    \
                                 const v1::Name##Request* req, v1::Resp* resp) override;
#define DURABLE_CALLBACK_SAME(Name) DURABLE_CALLBACK_RPC(Name, Name##Response)
  DURABLE_SHORT_RPCS(DURABLE_CALLBACK_SAME)
  DURABLE_WAITING_RPCS(DURABLE_CALLBACK_SAME)
  DURABLE_CALLBACK_RPC(PollWorkflowExecutionUpdate, UpdateWorkflowExecutionResponse)
  DURABLE_CALLBACK_RPC(PollWorkflowTaskQueue, PollWorkflowTaskQueueResponse)
  DURABLE_CALLBACK_RPC(PollActivityTaskQueue, PollActivityTaskQueueResponse)
  DURABLE_CALLBACK_RPC(RegisterNamespace, RegisterNamespaceResponse)
  DURABLE_CALLBACK_RPC(DescribeNamespace, DescribeNamespaceResponse)
  DURABLE_CALLBACK_RPC(ListNamespaces, ListNamespacesResponse)
  DURABLE_CALLBACK_RPC(UpdateNamespace, UpdateNamespaceResponse)
#undef DURABLE_CALLBACK_SAME
#undef DURABLE_CALLBACK_RPC

 private:
  enum class Where { kPool, kParking };
  // Checks protocol and credentials for namespace `ns` ("" = not namespace-bound).
  Status Admit(grpc::CallbackServerContext* ctx, const std::string& ns) const;
  // The engine of the call's namespace, after Admit.
  Result<Engine*> Route(grpc::CallbackServerContext* ctx) const;
  template <typename Req, typename Resp>
  grpc::ServerUnaryReactor* Serve(grpc::CallbackServerContext* ctx, const Req* req, Resp* resp,
                                  Status (::durable::Service::*method)(const Req&, Resp*), Where where);
  template <typename Req, typename Resp, typename Fn>
  grpc::ServerUnaryReactor* ServeNamespaces(grpc::CallbackServerContext* ctx,
                                            const std::string& ns, const Req* req, Resp* resp,
                                            Fn fn);
  template <typename Req, typename Resp>
  grpc::ServerUnaryReactor* ServePoll(
      grpc::CallbackServerContext* ctx, const Req* req, Resp* resp,
      void (::durable::Service::*method)(const Req&, Resp*, ::durable::Service::Done, ::durable::Service::Abandoned));

  Namespaces* const namespaces_;
  const std::optional<ApiKeys> api_keys_;
  std::atomic<bool> draining_{false};
  ThreadPool pool_{16};          // short calls (they may sync the WAL)
  ParkingPool parking_{20000};  // calls that may wait long
};

}  // namespace durable
