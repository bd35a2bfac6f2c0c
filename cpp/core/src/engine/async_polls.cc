// Asynchronous task polls (durable-server): a poll parks in matching as a record; each task
// matching hands it is answered on the dispatch pool by the same code as a blocking poll
// (AnswerWorkflowPoll / AnswerActivityPoll), and a stale task re-parks the poll until its
// deadline. A parked poll counts as an active call, so the engine's destructor waits for it.
#include "engine/engine_impl.h"

namespace durable {

template <typename Req, typename Resp>
struct EngineImpl::AsyncPoll {
  AsyncPoll(const Req& r, Resp* out, Service::Done d, std::atomic<int>& calls,
            const std::atomic<bool>& closing)
      : req(r), resp(out), done(std::move(d)), scope(calls, closing) {}
  Req req;
  Resp* resp;
  Service::Done done;
  std::chrono::steady_clock::time_point deadline;
  Service::Abandoned abandoned;
  CallScope scope;  // released when the last reference (the final delivery) goes
};

namespace {
template <typename Req>
std::chrono::steady_clock::time_point PollDeadline(const Req& req, int64_t default_us) {
  const int64_t timeout_us = req.timeout_us() > 0 ? req.timeout_us() : default_us;
  return std::chrono::steady_clock::now() + std::chrono::microseconds(timeout_us);
}
}  // namespace

void EngineImpl::PollWorkflowTaskQueueAsync(const v1::PollWorkflowTaskQueueRequest& req,
                                            v1::PollWorkflowTaskQueueResponse* resp, Done done,
                                            Abandoned abandoned) {
  using Call = AsyncPoll<v1::PollWorkflowTaskQueueRequest, v1::PollWorkflowTaskQueueResponse>;
  auto call = std::make_shared<Call>(req, resp, std::move(done), active_calls_, closing_);
  if (call->scope.closed()) return call->done(Status::Unavailable("the engine is closed"));
  if (req.task_queue().empty()) return call->done(Status::InvalidArgument("poll: task_queue is empty"));
  call->deadline = PollDeadline(req, options_.default_poll_timeout_us);
  call->abandoned = std::move(abandoned);
  ContinueWorkflowPoll(std::move(call));
}

void EngineImpl::ContinueWorkflowPoll(
    std::shared_ptr<AsyncPoll<v1::PollWorkflowTaskQueueRequest, v1::PollWorkflowTaskQueueResponse>>
        call) {
  if (closing_) return call->done(Status::OK());
  const std::string queue = call->req.task_queue();
  const std::string identity = call->req.identity();
  const auto deadline = call->deadline;
  auto abandoned = call->abandoned;
  matching_.PollAsync(Matching::Kind::kWorkflow, queue, identity, deadline, 0, abandoned,
                      [this, call = std::move(call)](std::optional<QueuedTask> t) {
                        if (!t) return call->done(Status::OK());
                        Status st;
                        if (AnswerWorkflowPoll(std::move(*t), call->req, call->resp, &st)) {
                          return call->done(st);
                        }
                        ContinueWorkflowPoll(call);
                      });
}

void EngineImpl::PollActivityTaskQueueAsync(const v1::PollActivityTaskQueueRequest& req,
                                            v1::PollActivityTaskQueueResponse* resp, Done done,
                                            Abandoned abandoned) {
  using Call = AsyncPoll<v1::PollActivityTaskQueueRequest, v1::PollActivityTaskQueueResponse>;
  auto call = std::make_shared<Call>(req, resp, std::move(done), active_calls_, closing_);
  if (call->scope.closed()) return call->done(Status::Unavailable("the engine is closed"));
  Status valid = ValidateActivityPoll(req);
  if (!valid.ok()) return call->done(valid);
  call->deadline = PollDeadline(req, options_.default_poll_timeout_us);
  call->abandoned = std::move(abandoned);
  ContinueActivityPoll(std::move(call));
}

void EngineImpl::ContinueActivityPoll(
    std::shared_ptr<AsyncPoll<v1::PollActivityTaskQueueRequest, v1::PollActivityTaskQueueResponse>>
        call) {
  if (closing_) return call->done(Status::OK());
  const std::string queue = call->req.task_queue();
  const std::string identity = call->req.identity();
  const auto deadline = call->deadline;
  const double rate = call->req.max_tasks_per_second();
  auto abandoned = call->abandoned;
  matching_.PollAsync(Matching::Kind::kActivity, queue, identity, deadline, rate, abandoned,
                      [this, call = std::move(call)](std::optional<QueuedTask> t) {
                        if (!t) return call->done(Status::OK());
                        Status st;
                        if (AnswerActivityPoll(std::move(*t), call->req, call->resp, &st)) {
                          return call->done(st);
                        }
                        ContinueActivityPoll(call);
                      });
}

}  // namespace durable
