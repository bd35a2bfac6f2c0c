#include "server/workflow_service.h"

#include "durable/remote.h"
#include "status_codes.h"

namespace durable {

namespace {

std::string Header(grpc::CallbackServerContext* ctx, const char* name) {
  const auto& md = ctx->client_metadata();
  auto it = md.find(name);
  return it == md.end() ? std::string() : std::string(it->second.data(), it->second.size());
}

std::string NamespaceOf(grpc::CallbackServerContext* ctx) {
  std::string ns = Header(ctx, "durable-namespace");
  return ns.empty() ? "default" : ns;
}

grpc::ServerUnaryReactor* Refuse(grpc::CallbackServerContext* ctx, const Status& st) {
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(ToGrpcStatus(st));
  return reactor;
}

// A parked task poll: when its caller goes away (a killed worker), matching stops handing it
// tasks instead of dispatching one into the void.
class PollReactor : public grpc::ServerUnaryReactor {
 public:
  void OnCancel() override { abandoned->store(true); }
  void OnDone() override { delete this; }
  std::shared_ptr<std::atomic<bool>> abandoned = std::make_shared<std::atomic<bool>>(false);
};

}  // namespace

WorkflowServiceImpl::WorkflowServiceImpl(Namespaces* namespaces, std::optional<ApiKeys> api_keys)
    : namespaces_(namespaces), api_keys_(std::move(api_keys)) {}

WorkflowServiceImpl::~WorkflowServiceImpl() = default;

void WorkflowServiceImpl::Drain() {
  draining_ = true;
  v1::ListNamespacesResponse all;
  (void)namespaces_->ListNamespaces({}, &all);
  for (const auto& info : all.namespaces()) {
    auto engine = namespaces_->Get(info.name());
    if (!engine.ok()) continue;
    v1::ShutdownWorkerResponse ignored;
    (void)(*engine)->ShutdownWorker(v1::ShutdownWorkerRequest(), &ignored);  // every poller
  }
}

Status WorkflowServiceImpl::Admit(grpc::CallbackServerContext* ctx, const std::string& ns) const {
  const std::string version = Header(ctx, "durable-protocol");
  if (!version.empty() && version != std::to_string(kProtocolVersion)) {
    return Status::FailedPrecondition("this client speaks durable protocol " + version +
                                      ", this server speaks durable protocol " +
                                      std::to_string(kProtocolVersion) +
                                      ": use a client and server of the same release");
  }
  if (api_keys_) return api_keys_->Check(Header(ctx, "authorization"), ns);
  return Status::OK();
}

Result<Engine*> WorkflowServiceImpl::Route(grpc::CallbackServerContext* ctx) const {
  const std::string ns = NamespaceOf(ctx);
  DURABLE_RETURN_IF_ERROR(Admit(ctx, ns));
  return namespaces_->Get(ns);
}

template <typename Req, typename Resp>
grpc::ServerUnaryReactor* WorkflowServiceImpl::Serve(grpc::CallbackServerContext* ctx,
                                                     const Req* req, Resp* resp,
                                                     Status (::durable::Service::*method)(const Req&, Resp*),
                                                     Where where) {
  Result<Engine*> engine = Route(ctx);
  if (!engine.ok()) return Refuse(ctx, engine.status());
  auto* reactor = ctx->DefaultReactor();
  ::durable::Service* svc = *engine;
  auto call = [reactor, svc, req, resp, method] {
    reactor->Finish(ToGrpcStatus((svc->*method)(*req, resp)));
  };
  if (where == Where::kPool) {
    pool_.Run(std::move(call));
  } else if (!parking_.Run(std::move(call))) {
    reactor->Finish(ToGrpcStatus(Status::ResourceExhausted(
        "durable-server has too many waiting calls; retry later")));
  }
  return reactor;
}

template <typename Req, typename Resp>
grpc::ServerUnaryReactor* WorkflowServiceImpl::ServePoll(
    grpc::CallbackServerContext* ctx, const Req* req, Resp* resp,
    void (::durable::Service::*method)(const Req&, Resp*, ::durable::Service::Done, ::durable::Service::Abandoned)) {
  Result<Engine*> engine = Route(ctx);
  if (!engine.ok()) return Refuse(ctx, engine.status());
  auto* reactor = new PollReactor();
  if (draining_) {
    reactor->Finish(grpc::Status::OK);  // empty: the worker polls again (elsewhere, later)
    return reactor;
  }
  ::durable::Service* svc = *engine;
  (svc->*method)(*req, resp, [reactor](Status st) { reactor->Finish(ToGrpcStatus(st)); },
                 reactor->abandoned);
  return reactor;
}

template <typename Req, typename Resp, typename Fn>
grpc::ServerUnaryReactor* WorkflowServiceImpl::ServeNamespaces(grpc::CallbackServerContext* ctx,
                                                               const std::string& ns,
                                                               const Req* req, Resp* resp, Fn fn) {
  Status admitted = Admit(ctx, ns);
  if (!admitted.ok()) return Refuse(ctx, admitted);
  auto* reactor = ctx->DefaultReactor();
  pool_.Run([this, reactor, req, resp, fn] {
    reactor->Finish(ToGrpcStatus((namespaces_->*fn)(*req, resp)));
  });
  return reactor;
}

#define DURABLE_SERVE(Name, Resp, where)                                                  \
  grpc::ServerUnaryReactor* WorkflowServiceImpl::Name(                                    \
      grpc::CallbackServerContext* ctx, const v1::Name##Request* req, v1::Resp* resp) {  \
    return Serve(ctx, req, resp, &::durable::Service::Name, Where::where);                           \
  }

#define DURABLE_SERVE_SHORT(Name) DURABLE_SERVE(Name, Name##Response, kPool)
#define DURABLE_SERVE_WAITING(Name) DURABLE_SERVE(Name, Name##Response, kParking)
DURABLE_SHORT_RPCS(DURABLE_SERVE_SHORT)
DURABLE_WAITING_RPCS(DURABLE_SERVE_WAITING)
DURABLE_SERVE(PollWorkflowExecutionUpdate, UpdateWorkflowExecutionResponse, kParking)
#undef DURABLE_SERVE_SHORT
#undef DURABLE_SERVE_WAITING
#undef DURABLE_SERVE

grpc::ServerUnaryReactor* WorkflowServiceImpl::PollWorkflowTaskQueue(
    grpc::CallbackServerContext* ctx, const v1::PollWorkflowTaskQueueRequest* req,
    v1::PollWorkflowTaskQueueResponse* resp) {
  return ServePoll(ctx, req, resp, &::durable::Service::PollWorkflowTaskQueueAsync);
}

grpc::ServerUnaryReactor* WorkflowServiceImpl::PollActivityTaskQueue(
    grpc::CallbackServerContext* ctx, const v1::PollActivityTaskQueueRequest* req,
    v1::PollActivityTaskQueueResponse* resp) {
  return ServePoll(ctx, req, resp, &::durable::Service::PollActivityTaskQueueAsync);
}

grpc::ServerUnaryReactor* WorkflowServiceImpl::RegisterNamespace(
    grpc::CallbackServerContext* ctx, const v1::RegisterNamespaceRequest* req,
    v1::RegisterNamespaceResponse* resp) {
  return ServeNamespaces(ctx, req->namespace_info().name(), req, resp,
                         &Namespaces::RegisterNamespace);
}

grpc::ServerUnaryReactor* WorkflowServiceImpl::DescribeNamespace(
    grpc::CallbackServerContext* ctx, const v1::DescribeNamespaceRequest* req,
    v1::DescribeNamespaceResponse* resp) {
  return ServeNamespaces(ctx, req->name(), req, resp, &Namespaces::DescribeNamespace);
}

grpc::ServerUnaryReactor* WorkflowServiceImpl::ListNamespaces(
    grpc::CallbackServerContext* ctx, const v1::ListNamespacesRequest* req,
    v1::ListNamespacesResponse* resp) {
  return ServeNamespaces(ctx, "", req, resp, &Namespaces::ListNamespaces);
}

grpc::ServerUnaryReactor* WorkflowServiceImpl::UpdateNamespace(
    grpc::CallbackServerContext* ctx, const v1::UpdateNamespaceRequest* req,
    v1::UpdateNamespaceResponse* resp) {
  return ServeNamespaces(ctx, req->namespace_info().name(), req, resp,
                         &Namespaces::UpdateNamespace);
}

}  // namespace durable
