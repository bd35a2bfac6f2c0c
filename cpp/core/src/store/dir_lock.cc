#include "store/dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <map>

namespace durable::store {
namespace {

constexpr const char* kLockFile = "durable.lock";

// Real paths locked by this process, with its pid (a forked child inherits the map but not
// the locks' ownership): only to say "this process" rather than "another process" in the
// error; flock alone enforces the exclusion.
std::mutex& HeldMutex() {
  static std::mutex mu;
  return mu;
}
std::map<std::string, pid_t>& Held() {
  static std::map<std::string, pid_t> held;
  return held;
}

std::string Errno(const std::string& what, const std::string& path) {
  return what + " '" + path + "': " + std::strerror(errno);
}

// The pid the holder wrote into the lock file ("" when unreadable).
std::string HolderPid(int fd) {
  char buf[32] = {};
  const ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
  if (n <= 0) return "";
  std::string pid(buf, static_cast<size_t>(n));
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  return pid;
}

}  // namespace

Result<std::unique_ptr<DirLock>> DirLock::Acquire(const std::string& directory) {
  char resolved[PATH_MAX];
  if (realpath(directory.c_str(), resolved) == nullptr) {
    return Status::Internal(Errno("cannot resolve directory", directory));
  }
  const std::string real(resolved);
  const std::string named = real == directory ? "'" + real + "'"
                                              : "'" + real + "' (opened as '" + directory + "')";
  std::lock_guard<std::mutex> lock(HeldMutex());
  auto held = Held().find(real);
  if (held != Held().end() && held->second == getpid()) {
    return Status::Unavailable("directory " + named + " is already open by this process");
  }
  const std::string path = real + "/" + kLockFile;
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::Internal(Errno("cannot create lock file", path));
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    const std::string pid = HolderPid(fd);
    close(fd);
    if (err == EWOULDBLOCK) {
      return Status::Unavailable("directory " + named + " is already open by another process" +
                                 (pid.empty() ? "" : " (pid " + pid + ")"));
    }
    errno = err;
    return Status::Internal(Errno("cannot lock", path));
  }
  // Who holds it, for the error another process will see.
  const std::string me = std::to_string(getpid()) + "\n";
  if (ftruncate(fd, 0) != 0 || pwrite(fd, me.data(), me.size(), 0) < 0) {
    // The lock is held all the same; only the pid in a later error is missing.
  }
  Held()[real] = getpid();
  return std::unique_ptr<DirLock>(new DirLock(fd, real));
}

DirLock::~DirLock() {
  std::lock_guard<std::mutex> lock(HeldMutex());
  Held().erase(real_path_);
  close(fd_);  // releases the flock
}

}  // namespace durable::store
