#include "server/metrics_gauges.h"

#include <map>
#include <string>

namespace durable {

namespace {

// RocksDB property -> metric name and help (names in base units: bytes).
struct StoreMetric {
  const char* property;
  const char* name;
  const char* help;
};
constexpr StoreMetric kStoreMetrics[] = {
    {"rocksdb.estimate-num-keys", "durable_rocksdb_estimate_num_keys",
     "Estimated number of keys (RocksDB rocksdb.estimate-num-keys)"},
    {"rocksdb.live-sst-files-size", "durable_rocksdb_live_sst_files_size_bytes",
     "Size of the live SST files (RocksDB rocksdb.live-sst-files-size)"},
    {"rocksdb.total-sst-files-size", "durable_rocksdb_total_sst_files_size_bytes",
     "Size of all SST files (RocksDB rocksdb.total-sst-files-size)"},
    {"rocksdb.cur-size-all-mem-tables", "durable_rocksdb_memtables_size_bytes",
     "Size of the memtables (RocksDB rocksdb.cur-size-all-mem-tables)"},
    {"rocksdb.estimate-pending-compaction-bytes", "durable_rocksdb_pending_compaction_bytes",
     "Estimated bytes compaction still has to rewrite"},
    {"rocksdb.num-running-compactions", "durable_rocksdb_running_compactions",
     "Compactions running now"},
    {"rocksdb.block-cache-usage", "durable_rocksdb_block_cache_usage_bytes",
     "Memory used by the block cache"},
};

prometheus::MetricFamily GaugeFamily(const std::string& name, const std::string& help) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = prometheus::MetricType::Gauge;
  return f;
}

void AddSample(prometheus::MetricFamily& f, std::vector<prometheus::ClientMetric::Label> labels,
               double value) {
  prometheus::ClientMetric m;
  m.label = std::move(labels);
  m.gauge.value = value;
  f.metric.push_back(std::move(m));
}

}  // namespace

std::vector<prometheus::MetricFamily> EngineGaugeCollector::Collect() const {
  auto depth = GaugeFamily("durable_task_queue_depth", "Tasks waiting in a task queue");
  auto pollers = GaugeFamily("durable_task_queue_pollers", "Polls parked on a task queue");
  std::map<std::string, prometheus::MetricFamily> store;
  for (const auto& s : kStoreMetrics) store.emplace(s.property, GaugeFamily(s.name, s.help));

  v1::ListNamespacesResponse list;
  if (namespaces_->ListNamespaces({}, &list).ok()) {
    for (const auto& info : list.namespaces()) {
      auto engine = namespaces_->Get(info.name());
      if (!engine.ok()) continue;  // unregistered meanwhile
      EngineGauges g = engine.value()->Gauges();
      for (const auto& q : g.queues) {
        std::vector<prometheus::ClientMetric::Label> labels = {
            {"namespace", info.name()}, {"task_queue", q.task_queue}, {"task_kind", q.kind}};
        AddSample(depth, labels, static_cast<double>(q.depth));
        AddSample(pollers, labels, static_cast<double>(q.pollers));
      }
      for (const auto& [property, value] : g.store_properties) {
        auto it = store.find(property);
        if (it != store.end()) {
          AddSample(it->second, {{"namespace", info.name()}}, static_cast<double>(value));
        }
      }
    }
  }
  std::vector<prometheus::MetricFamily> out = {std::move(depth), std::move(pollers)};
  for (auto& [property, f] : store) out.push_back(std::move(f));
  return out;
}

}  // namespace durable
