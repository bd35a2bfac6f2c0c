// ApiKeys: which API key may use which namespaces (durable-server --api-keys FILE).
//
// File format, one key per line: `<key> <namespace>[,<namespace>...]`, `*` for every
// namespace; blank lines and lines starting with '#' are ignored. Example:
//   # operators
//   k-3f9a2c  *
//   k-osm-lcm osm,osm-test
// Clients send "authorization: Bearer <key>" (temporalio's api_key). Without a file every
// call is allowed (the server listens on loopback by default).
// Immutable after Load; thread-safe.
#pragma once

#include <map>
#include <set>
#include <string>

#include "durable/status.h"

namespace durable {

class ApiKeys {
 public:
  // kInvalidArgument naming the file and line for a malformed file; kNotFound if missing.
  static Result<ApiKeys> Load(const std::string& path);

  // OK when `authorization` (the header's value, "" if absent) carries a key that covers
  // namespace `ns` (`ns` empty: any namespace, e.g. listing them); kUnauthenticated when it
  // carries none or an unknown one; kPermissionDenied when the key does not cover `ns`.
  Status Check(const std::string& authorization, const std::string& ns) const;

 private:
  std::map<std::string, std::set<std::string>> keys_;  // key -> namespaces ("*" = all)
};

}  // namespace durable
