// Namespaces over one data directory (see durable/namespaces.h for the layout).
#include "durable/namespaces.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

namespace durable {

namespace {

namespace fs = std::filesystem;

constexpr const char* kDefault = "default";

Status ValidName(const std::string& name) {
  if (name.empty()) return Status::InvalidArgument("namespace name is empty");
  if (name.size() > 255) {
    return Status::InvalidArgument("namespace name is longer than 255 characters: '" +
                                   name.substr(0, 40) + "...'");
  }
  for (char c : name) {
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) {
      return Status::InvalidArgument("namespace name '" + name +
                                     "' may contain only letters, digits, '.', '_' and '-'");
    }
  }
  if (name == "." || name == "..") return Status::InvalidArgument("namespace name '" + name + "'");
  return Status::OK();
}

// Writes `data` to `path` so that a crash leaves either the old or the new file whole.
Status WriteFileAtomically(const fs::path& path, const std::string& data) {
  const fs::path tmp = path.string() + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::Internal("cannot write " + tmp.string() + ": " + strerror(errno));
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      ::close(fd);
      return Status::Internal("cannot write " + tmp.string() + ": " + strerror(errno));
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    return Status::Internal("cannot sync " + tmp.string() + ": " + strerror(errno));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::Internal("cannot replace " + path.string() + ": " + strerror(errno));
  }
  int dfd = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::OK();
}

class NamespacesImpl : public Namespaces {
 public:
  NamespacesImpl(fs::path dir, NamespacesOptions options)
      : dir_(std::move(dir)), options_(std::move(options)) {}

  ~NamespacesImpl() override {
    {
      std::lock_guard<std::mutex> l(sweep_mu_);
      stopping_ = true;
    }
    sweep_cv_.notify_all();
    if (sweeper_.joinable()) sweeper_.join();
  }

  Status Open() {
    // The default engine first: it takes the directory's lock, so a second process fails
    // before touching anything.
    DURABLE_RETURN_IF_ERROR(OpenEngineFor(kDefault));
    std::error_code ec;
    fs::create_directories(dir_ / "namespaces", ec);
    if (ec) {
      return Status::Internal("cannot create " + (dir_ / "namespaces").string() + ": " +
                              ec.message());
    }
    DURABLE_RETURN_IF_ERROR(LoadRegistry());
    for (const auto& [name, info] : infos_) {
      if (name != kDefault) DURABLE_RETURN_IF_ERROR(OpenEngineFor(name));
    }
    if (options_.retention_sweep_interval_us > 0) {
      sweeper_ = std::thread([this] { SweepLoop(); });
    }
    return Status::OK();
  }

  Result<Engine*> Get(const std::string& name) override {
    std::lock_guard<std::mutex> l(mu_);
    auto it = engines_.find(name.empty() ? kDefault : name);
    if (it == engines_.end()) {
      return Status::NotFound("namespace '" + name + "' is not registered");
    }
    return it->second.get();
  }

  Status RegisterNamespace(const v1::RegisterNamespaceRequest& req,
                           v1::RegisterNamespaceResponse*) override {
    v1::NamespaceInfo info = req.namespace_info();
    DURABLE_RETURN_IF_ERROR(ValidName(info.name()));
    if (info.retention_us() < 0) {
      return Status::InvalidArgument("namespace '" + info.name() + "': retention is negative");
    }
    std::lock_guard<std::mutex> l(mu_);
    if (infos_.count(info.name())) {
      return Status::AlreadyExists("namespace '" + info.name() + "' is already registered");
    }
    info.set_create_time_us(SystemClock()->NowMicros());
    infos_[info.name()] = info;
    Status st = SaveRegistryLocked();
    if (st.ok()) st = OpenEngineLocked(info.name());
    if (!st.ok()) {
      infos_.erase(info.name());
      (void)SaveRegistryLocked();
    }
    return st;
  }

  Status DescribeNamespace(const v1::DescribeNamespaceRequest& req,
                           v1::DescribeNamespaceResponse* resp) override {
    std::lock_guard<std::mutex> l(mu_);
    auto it = infos_.find(req.name().empty() ? kDefault : req.name());
    if (it == infos_.end()) return Status::NotFound("namespace '" + req.name() + "' is not registered");
    *resp->mutable_namespace_info() = it->second;
    return Status::OK();
  }

  Status ListNamespaces(const v1::ListNamespacesRequest&, v1::ListNamespacesResponse* resp) override {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& [name, info] : infos_) *resp->add_namespaces() = info;
    return Status::OK();
  }

  Status UpdateNamespace(const v1::UpdateNamespaceRequest& req,
                         v1::UpdateNamespaceResponse* resp) override {
    const v1::NamespaceInfo& in = req.namespace_info();
    if (in.retention_us() < 0) {
      return Status::InvalidArgument("namespace '" + in.name() + "': retention is negative");
    }
    std::lock_guard<std::mutex> l(mu_);
    auto it = infos_.find(in.name());
    if (it == infos_.end()) return Status::NotFound("namespace '" + in.name() + "' is not registered");
    v1::NamespaceInfo old = it->second;
    v1::NamespaceInfo& info = it->second;
    info.set_description(in.description());
    info.set_owner_email(in.owner_email());
    info.set_retention_us(in.retention_us());
    *info.mutable_data() = in.data();
    Status st = SaveRegistryLocked();
    if (!st.ok()) {
      info = old;
      return st;
    }
    *resp->mutable_namespace_info() = info;
    return Status::OK();
  }

  Result<int64_t> SweepRetention() override {
    std::vector<std::pair<Engine*, int64_t>> work;
    {
      std::lock_guard<std::mutex> l(mu_);
      for (const auto& [name, info] : infos_) {
        if (info.retention_us() > 0) work.emplace_back(engines_[name].get(), info.retention_us());
      }
    }
    int64_t deleted = 0;
    for (auto& [engine, retention] : work) {
      DURABLE_ASSIGN_OR_RETURN(int64_t n, engine->DeleteClosedRunsOlderThan(retention));
      deleted += n;
    }
    return deleted;
  }

 private:
  fs::path RegistryPath() const { return dir_ / "namespaces" / "registry.pb"; }

  fs::path EngineDir(const std::string& name) const {
    return name == kDefault ? dir_ : dir_ / "namespaces" / name;
  }

  Status LoadRegistry() {
    std::ifstream in(RegistryPath(), std::ios::binary);
    v1::NamespaceRegistry reg;
    if (in) {
      std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (!reg.ParseFromString(data)) {
        return Status::Internal("the namespace registry " + RegistryPath().string() +
                                " is corrupt");
      }
    }
    for (const auto& info : reg.namespaces()) infos_[info.name()] = info;
    if (!infos_.count(kDefault)) {
      v1::NamespaceInfo def;
      def.set_name(kDefault);
      def.set_description("The default namespace.");
      def.set_create_time_us(SystemClock()->NowMicros());
      infos_[kDefault] = def;
      std::lock_guard<std::mutex> l(mu_);
      DURABLE_RETURN_IF_ERROR(SaveRegistryLocked());
    }
    return Status::OK();
  }

  Status SaveRegistryLocked() {
    v1::NamespaceRegistry reg;
    for (const auto& [name, info] : infos_) *reg.add_namespaces() = info;
    return WriteFileAtomically(RegistryPath(), reg.SerializeAsString());
  }

  Status OpenEngineFor(const std::string& name) {
    std::lock_guard<std::mutex> l(mu_);
    return OpenEngineLocked(name);
  }

  Status OpenEngineLocked(const std::string& name) {
    EngineOptions eo = options_.engine;
    eo.namespace_name = name;  // metrics label
    DURABLE_ASSIGN_OR_RETURN(auto engine, OpenEngine(EngineDir(name).string(), eo));
    engines_[name] = std::move(engine);
    return Status::OK();
  }

  void SweepLoop() {
    std::unique_lock<std::mutex> l(sweep_mu_);
    while (!stopping_) {
      sweep_cv_.wait_for(l, std::chrono::microseconds(options_.retention_sweep_interval_us));
      if (stopping_) break;
      l.unlock();
      (void)SweepRetention();  // a failed sweep is retried at the next interval
      l.lock();
    }
  }

  const fs::path dir_;
  const NamespacesOptions options_;
  std::mutex mu_;
  std::map<std::string, v1::NamespaceInfo> infos_;          // guarded by mu_
  std::map<std::string, std::unique_ptr<Engine>> engines_;  // guarded by mu_; never erased
  std::mutex sweep_mu_;
  std::condition_variable sweep_cv_;
  bool stopping_ = false;  // guarded by sweep_mu_
  std::thread sweeper_;
};

}  // namespace

Result<std::unique_ptr<Namespaces>> OpenNamespaces(const std::string& directory,
                                                   const NamespacesOptions& options) {
  auto ns = std::make_unique<NamespacesImpl>(fs::path(directory), options);
  DURABLE_RETURN_IF_ERROR(ns->Open());
  return std::unique_ptr<Namespaces>(std::move(ns));
}

}  // namespace durable
