#include "server/api_keys.h"

#include <fstream>
#include <sstream>

namespace durable {

Result<ApiKeys> ApiKeys::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("API key file '" + path + "' cannot be read");
  ApiKeys keys;
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    std::istringstream words(line);
    std::string key, namespaces, extra;
    if (!(words >> key) || key[0] == '#') continue;
    if (!(words >> namespaces) || (words >> extra)) {
      return Status::InvalidArgument(path + ":" + std::to_string(lineno) +
                                     ": expected '<key> <namespace>[,<namespace>...]'");
    }
    std::istringstream names(namespaces);
    std::string ns;
    while (std::getline(names, ns, ',')) {
      if (!ns.empty()) keys.keys_[key].insert(ns);
    }
  }
  if (keys.keys_.empty()) return Status::InvalidArgument("API key file '" + path + "' has no keys");
  return keys;
}

Status ApiKeys::Check(const std::string& authorization, const std::string& ns) const {
  static const std::string kBearer = "Bearer ";
  if (authorization.empty()) return Status::Unauthenticated("this server requires an API key");
  std::string key = authorization.rfind(kBearer, 0) == 0 ? authorization.substr(kBearer.size())
                                                         : authorization;
  auto it = keys_.find(key);
  if (it == keys_.end()) return Status::Unauthenticated("unknown API key");
  if (ns.empty() || it->second.count("*") || it->second.count(ns)) return Status::OK();
  return Status::PermissionDenied("this API key does not cover namespace '" + ns + "'");
}

}  // namespace durable
