// Namespaces: the engines of one data directory, one engine (and one RocksDB) per namespace,
// so data of different namespaces never mix and a namespace's storage is one folder.
//
// Layout: "default" is the directory itself (so a directory made before namespaces existed
// opens unchanged); namespace N lives in <dir>/namespaces/N; the registry (names, retention,
// descriptions) is <dir>/namespaces/registry.pb, replaced atomically (write, fsync, rename).
// Every registered namespace's engine is opened at Open, so its timers fire after a restart.
//
// Retention: a background sweep deletes the closed runs of each namespace whose retention
// is set, `retention_us` after they closed (Engine::DeleteClosedRunsOlderThan; each run is
// deleted in one batch, so an interrupted sweep leaves whole runs and resumes next time).
//
// Thread-safe.
#pragma once

#include <memory>
#include <string>

#include "durable/engine.h"
#include "durable/options.h"
#include "durable/status.h"
#include "durable/v1/service.pb.h"

namespace durable {

class Namespaces {
 public:
  virtual ~Namespaces() = default;

  // The engine of `name` (owned by this object; valid until it is destroyed). kNotFound for a
  // namespace that is not registered, naming it.
  virtual Result<Engine*> Get(const std::string& name) = 0;

  // kAlreadyExists for a registered name; kInvalidArgument for an empty name, one longer
  // than 255 characters or with characters other than [A-Za-z0-9._-], or a negative retention.
  virtual Status RegisterNamespace(const v1::RegisterNamespaceRequest& req,
                                   v1::RegisterNamespaceResponse* resp) = 0;
  // kNotFound for an unknown name.
  virtual Status DescribeNamespace(const v1::DescribeNamespaceRequest& req,
                                   v1::DescribeNamespaceResponse* resp) = 0;
  // All namespaces, by name.
  virtual Status ListNamespaces(const v1::ListNamespacesRequest& req,
                                v1::ListNamespacesResponse* resp) = 0;
  // kNotFound for an unknown name; kInvalidArgument for a negative retention.
  virtual Status UpdateNamespace(const v1::UpdateNamespaceRequest& req,
                                 v1::UpdateNamespaceResponse* resp) = 0;

  // Runs one retention sweep over every namespace now (the background sweep calls it every
  // `retention_sweep_interval_us`); returns how many runs were deleted.
  virtual Result<int64_t> SweepRetention() = 0;
};

struct NamespacesOptions {
  // Options every namespace's engine is opened with. Default: EngineOptions{}.
  EngineOptions engine;
  // How often the retention sweep runs; 0 = never in the background. Default: 60 s.
  int64_t retention_sweep_interval_us = 60'000'000;
};

// Opens (creating if needed) the data directory `directory` and every registered namespace.
// kUnavailable (naming the directory) when it is already open, by this process under another
// path or by another process; kDataLoss when a namespace's write-ahead log is corrupt (unless
// options.engine.accept_data_loss); see OpenEngine.
Result<std::unique_ptr<Namespaces>> OpenNamespaces(const std::string& directory,
                                                   const NamespacesOptions& options = {});

}  // namespace durable
