// The one table between durable's Status codes and gRPC's. The server sends the durable code's
// name in the status details, so a client gets the exact code back (kNondeterminism has no
// gRPC twin); a gRPC status without it (a transport failure, another server) maps by code.
// Pure functions; thread-safe.
#pragma once

#include <grpcpp/grpcpp.h>

#include "durable/status.h"

namespace durable {

grpc::Status ToGrpcStatus(const Status& status);
Status FromGrpcStatus(const grpc::Status& status);

}  // namespace durable
