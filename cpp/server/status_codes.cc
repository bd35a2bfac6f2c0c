#include "status_codes.h"

#include <cstring>

namespace durable {

namespace {

struct Row {
  StatusCode code;
  grpc::StatusCode grpc;
};

// durable -> gRPC; read right to left for gRPC -> durable (the first row of a gRPC code wins).
constexpr Row kTable[] = {
    {StatusCode::kOk, grpc::StatusCode::OK},
    {StatusCode::kNotFound, grpc::StatusCode::NOT_FOUND},
    {StatusCode::kAlreadyExists, grpc::StatusCode::ALREADY_EXISTS},
    {StatusCode::kInvalidArgument, grpc::StatusCode::INVALID_ARGUMENT},
    {StatusCode::kFailedPrecondition, grpc::StatusCode::FAILED_PRECONDITION},
    {StatusCode::kResourceExhausted, grpc::StatusCode::RESOURCE_EXHAUSTED},
    {StatusCode::kUnavailable, grpc::StatusCode::UNAVAILABLE},
    {StatusCode::kDeadlineExceeded, grpc::StatusCode::DEADLINE_EXCEEDED},
    {StatusCode::kCancelled, grpc::StatusCode::CANCELLED},
    {StatusCode::kInternal, grpc::StatusCode::INTERNAL},
    {StatusCode::kUnauthenticated, grpc::StatusCode::UNAUTHENTICATED},
    {StatusCode::kPermissionDenied, grpc::StatusCode::PERMISSION_DENIED},
    {StatusCode::kDataLoss, grpc::StatusCode::DATA_LOSS},
    {StatusCode::kNondeterminism, grpc::StatusCode::FAILED_PRECONDITION},
    {StatusCode::kInternal, grpc::StatusCode::UNKNOWN},
    {StatusCode::kInvalidArgument, grpc::StatusCode::OUT_OF_RANGE},
    {StatusCode::kFailedPrecondition, grpc::StatusCode::UNIMPLEMENTED},
    {StatusCode::kFailedPrecondition, grpc::StatusCode::ABORTED},
};

}  // namespace

grpc::Status ToGrpcStatus(const Status& status) {
  if (status.ok()) return grpc::Status::OK;
  for (const Row& r : kTable) {
    if (r.code == status.code()) {
      return grpc::Status(r.grpc, status.message(), StatusCodeName(status.code()));
    }
  }
  return grpc::Status(grpc::StatusCode::INTERNAL, status.message(), "Internal");
}

Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return Status::OK();
  const std::string& details = status.error_details();
  for (const Row& r : kTable) {
    if (!details.empty() && details == StatusCodeName(r.code)) {
      return Status(r.code, status.error_message());
    }
  }
  for (const Row& r : kTable) {
    if (r.grpc == status.error_code()) return Status(r.code, status.error_message());
  }
  return Status::Internal(status.error_message());
}

}  // namespace durable
