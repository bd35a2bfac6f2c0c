// The HTTP API's workflow clients (durable-server --http-config FILE, docs/http-api.md): a
// TOML file of `[clients.NAME]` tables, each naming what `POST /invoke/NAME` starts:
//   [clients.ns-instantiate]
//   workflow_type = "NsInstantiateWorkflow"
//   task_queue = "lcm"
//   namespace = "osm"        # optional, "default"
// The same format as `durable http-api --config`.
#pragma once

#include <map>
#include <string>

#include "durable/status.h"

namespace durable {

struct WorkflowClientSpec {
  std::string name;
  std::string workflow_type;
  std::string task_queue;
  std::string ns = "default";
};

// kInvalidArgument naming the file (and the table or key) for an unreadable file, bad TOML,
// a table missing workflow_type or task_queue, or no table at all.
Result<std::map<std::string, WorkflowClientSpec>> LoadWorkflowClients(const std::string& path);

}  // namespace durable
