#include "server/http_api_clients.h"

#include <toml++/toml.h>

namespace durable {

Result<std::map<std::string, WorkflowClientSpec>> LoadWorkflowClients(const std::string& path) {
  const std::string where = "--http-config " + path + ": ";
  toml::table doc;
  try {
    doc = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    std::string why(e.description());
    const auto& at = e.source().begin;
    if (at.line) why += " (line " + std::to_string(at.line) + ")";
    return Status::InvalidArgument(where + why);
  }
  std::map<std::string, WorkflowClientSpec> clients;
  if (const toml::table* tables = doc["clients"].as_table()) {
    for (const auto& [key, node] : *tables) {
      const std::string name(key.str());
      const toml::table* t = node.as_table();
      if (!t) return Status::InvalidArgument(where + "clients." + name + " must be a table");
      WorkflowClientSpec spec;
      spec.name = name;
      for (auto [field, out] : {std::pair{"workflow_type", &spec.workflow_type},
                                std::pair{"task_queue", &spec.task_queue}}) {
        std::optional<std::string> v = (*t)[field].value<std::string>();
        if (!v || v->empty()) {
          return Status::InvalidArgument(where + "[clients." + name + "] needs " + field +
                                         " (a string)");
        }
        *out = *v;
      }
      if (const toml::node* ns = t->get("namespace")) {
        std::optional<std::string> v = ns->value<std::string>();
        if (!v || v->empty()) {
          return Status::InvalidArgument(where + "[clients." + name +
                                         "] namespace must be a non-empty string");
        }
        spec.ns = *v;
      }
      clients[name] = spec;
    }
  }
  if (clients.empty()) return Status::InvalidArgument(where + "no [clients.NAME] table");
  return clients;
}

}  // namespace durable
