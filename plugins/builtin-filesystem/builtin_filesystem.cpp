// builtin-filesystem as a native plugin: homeboy's default provider, as fast as plain
// file I/O. Same semantics as modules/builtin-filesystem/storage.sh (docs/storage-contract.md,
// "The filesystem providers"):
//   - every change to a folder (write, delete) holds an exclusive flock(2) on the folder, so
//     a conditional write's check and its rename are one step for every process that follows
//     the same rule (the bash and PHP modules do);
//   - a write goes to the folder's one temp file, `.homeboy-tmp` (never listed; the bash
//     module's batches make it a folder of staged files), which is
//     created before any content with the target's mode (0600 for a new file in a private
//     folder), filled, fsynced, given a fresh modification time, renamed into place, and
//     the folder fsynced. A writer killed half-way leaves that file behind; the next write
//     into the folder replaces it;
//   - a version is `<inode>-<size>-<mtime seconds>.<nanoseconds>`: every write makes a new
//     inode and a newer modification time, so it changes even for identical content.
// Written with the optional C++ helper, homeboy/storage_plugin.hpp.

#include <homeboy/storage_plugin.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

namespace {

using homeboy::plugin::Condition;
using homeboy::plugin::Result;

constexpr const char* temp_name = ".homeboy-tmp";

homeboy_status status_of(int error) noexcept {
  switch (error) {
    case ENOENT: case ENOTDIR: return HOMEBOY_ERR_NOT_FOUND;
    case EACCES: case EPERM: case EROFS: return HOMEBOY_ERR_PERMISSION_DENIED;
    case ELOOP: return HOMEBOY_ERR_NOT_FOUND;  // a loop of links leads nowhere, as the modules say too
    case EISDIR: case EINVAL: case ENAMETOOLONG: return HOMEBOY_ERR_INVALID_ARGUMENT;
    case EEXIST: case ENOTEMPTY: return HOMEBOY_ERR_CONFLICT;
    case ENOSPC: case EDQUOT: return HOMEBOY_ERR_NO_SPACE;
    default: return HOMEBOY_ERR_IO;
  }
}

homeboy_status fail_errno(Result& out, const char* what, const std::string& path, int error) {
  return out.fail(status_of(error), std::string(what) + " " + path + ": " + std::strerror(error));
}

class Fd {
 public:
  explicit Fd(int fd = -1) noexcept : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }

 private:
  int fd_;
};

// Paths arrive absolute and normalized by the host; trailing slashes are dropped anyway.
std::string normalized(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return std::string(path);
}

std::string version_of(const struct stat& st) {
  char text[96];
  int n = std::snprintf(text, sizeof text, "%llu-%lld-%lld.%09ld", static_cast<unsigned long long>(st.st_ino),
                        static_cast<long long>(st.st_size), static_cast<long long>(st.st_mtim.tv_sec),
                        static_cast<long>(st.st_mtim.tv_nsec));
  return std::string(text, static_cast<std::size_t>(n));
}

bool is_private(const struct stat& folder) noexcept { return (folder.st_mode & 077) == 0; }

// The file a write lands in: a symbolic link is followed to the file it names.
struct Target {
  std::string path, dir, name;
};

homeboy_status locate(std::string_view raw_path, Target& target, Result& out) {
  std::string path = normalized(raw_path);
  struct stat link {};
  if (::lstat(path.c_str(), &link) == 0 && S_ISLNK(link.st_mode)) {
    char* resolved = ::realpath(path.c_str(), nullptr);
    if (!resolved)
      return out.fail(HOMEBOY_ERR_INVALID_ARGUMENT, "is a symbolic link to a missing file: " + path);
    path = resolved;
    std::free(resolved);
  }
  auto slash = path.rfind('/');
  target.dir = slash == 0 ? "/" : path.substr(0, slash);
  target.name = path.substr(slash + 1);
  target.path = std::move(path);
  if (target.name.empty()) return out.fail(HOMEBOY_ERR_INVALID_ARGUMENT, "not a file path: " + target.path);
  return HOMEBOY_OK;
}

// An open folder, locked against every other homeboy writer for as long as it lives.
class LockedFolder {
 public:
  homeboy_status open(const std::string& dir, Result& out) {
    fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd_ < 0) {
      int error = errno;
      if (error == ENOENT || error == ENOTDIR) return out.fail(HOMEBOY_ERR_NOT_FOUND, "folder does not exist: " + dir);
      return fail_errno(out, "cannot open folder", dir, error);
    }
    while (::flock(fd_, LOCK_EX) != 0)
      if (errno != EINTR) return fail_errno(out, "cannot lock folder", dir, errno);
    if (::fstat(fd_, &st_) != 0) return fail_errno(out, "cannot inspect folder", dir, errno);
    return HOMEBOY_OK;
  }
  ~LockedFolder() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the lock
  }
  int fd() const noexcept { return fd_; }
  const struct stat& stat() const noexcept { return st_; }

 private:
  int fd_ = -1;
  struct stat st_ {};
};

homeboy_status check_condition(const Condition* condition, bool exists, const struct stat& current,
                               const std::string& path, Result& out) {
  if (!condition) return HOMEBOY_OK;
  if (condition->kind == Condition::Kind::if_absent) {
    if (exists) return out.fail(HOMEBOY_ERR_CONFLICT, "already exists: " + path);
    return HOMEBOY_OK;
  }
  if (!exists) return out.fail(HOMEBOY_ERR_CONFLICT, "was deleted since version " + std::string(condition->version) + ": " + path);
  std::string now = version_of(current);
  if (now != condition->version)
    return out.fail(HOMEBOY_ERR_CONFLICT, "changed since version " + std::string(condition->version) + " (now " + now +
                                              "): " + path);
  return HOMEBOY_OK;
}

// Removes `name` in the folder `dir` with everything under it, links themselves and never
// what they point to; 0 or the first errno. (std::filesystem::remove_all does the same, but
// brings a megabyte of libstdc++ into the plugin, loaded on every command.)
int remove_tree(int dir, const char* name) {
  if (::unlinkat(dir, name, 0) == 0) return 0;
  if (errno != EISDIR) return errno;
  int fd = ::openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return errno;
  DIR* d = ::fdopendir(fd);
  if (!d) {
    int error = errno;
    ::close(fd);
    return error;
  }
  int error = 0;
  while (dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    if ((error = remove_tree(::dirfd(d), e->d_name)) != 0) break;
  }
  ::closedir(d);
  if (error) return error;
  return ::unlinkat(dir, name, AT_REMOVEDIR) == 0 ? 0 : errno;
}

timespec later_than(const timespec& previous) {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  bool after = now.tv_sec > previous.tv_sec || (now.tv_sec == previous.tv_sec && now.tv_nsec > previous.tv_nsec);
  if (after) return now;
  timespec next = previous;
  if (++next.tv_nsec == 1000000000L) next.tv_nsec = 0, ++next.tv_sec;
  return next;
}

class BuiltinFilesystem {
 public:
  explicit BuiltinFilesystem(const homeboy::plugin::CreateInfo&) {}  // stateless: the filesystem is the state

  homeboy_status read(std::string_view raw_path, Result& out) {
    std::string path = normalized(raw_path);
    // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused just below.
    int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return fail_errno(out, "cannot read", path, errno);
    Fd guard(fd);
    struct stat st {};
    if (::fstat(fd, &st) != 0) return fail_errno(out, "cannot read", path, errno);
    if (S_ISDIR(st.st_mode)) return out.fail(HOMEBOY_ERR_INVALID_ARGUMENT, "is a folder, not a file: " + path);
    if (!S_ISREG(st.st_mode))
      return out.fail(HOMEBOY_ERR_INVALID_ARGUMENT, "is not a regular file (a device, FIFO or socket): " + path);
    // Read straight into the host's buffer: one allocation of the file's size, no copy.
    std::size_t capacity = static_cast<std::size_t>(st.st_size);
    char* buffer = out.data_buffer(capacity);
    if (!buffer && capacity) return out.fail(HOMEBOY_ERR_IO, "cannot take " + std::to_string(capacity) + " bytes: " + path);
    std::size_t filled = 0;
    for (;;) {
      if (filled == capacity) {
        // Full: the file may have grown since fstat. Probe with one small read first, so a
        // file that did not grow costs no extra allocation.
        char probe[512];
        ssize_t n = ::read(fd, probe, sizeof probe);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail_errno(out, "cannot read", path, errno);
        if (n == 0) break;
        capacity += static_cast<std::size_t>(n) + capacity / 2 + 4096;
        if (!(buffer = out.data_buffer(capacity)))
          return out.fail(HOMEBOY_ERR_IO, "cannot take " + std::to_string(capacity) + " bytes: " + path);
        std::memcpy(buffer + filled, probe, static_cast<std::size_t>(n));
        filled += static_cast<std::size_t>(n);
        continue;
      }
      ssize_t n = ::read(fd, buffer + filled, capacity - filled);
      if (n < 0) {
        if (errno == EINTR) continue;
        return fail_errno(out, "cannot read", path, errno);
      }
      if (n == 0) break;
      filled += static_cast<std::size_t>(n);
    }
    if (filled != capacity || filled == 0) out.data_buffer(filled);
    if (::fstat(fd, &st) == 0) out.version(version_of(st));
    return HOMEBOY_OK;
  }

  homeboy_status write(std::string_view path, std::string_view content, Result& out) {
    return write_checked(path, content, nullptr, out);
  }
  homeboy_status write_if(std::string_view path, std::string_view content, const Condition& condition, Result& out) {
    return write_checked(path, content, &condition, out);
  }

  homeboy_status list(std::string_view raw_path, Result& out) {
    std::string path = normalized(raw_path);
    DIR* d = ::opendir(path.c_str());
    if (!d) {
      if (errno == ENOENT) return HOMEBOY_OK;  // a missing folder lists as empty
      if (errno == ENOTDIR) return out.fail(HOMEBOY_ERR_INVALID_ARGUMENT, "is a file, not a folder: " + path);
      return fail_errno(out, "cannot list", path, errno);
    }
    std::string child = path == "/" ? "/" : path + "/";
    const std::size_t prefix = child.size();
    while (dirent* e = ::readdir(d)) {
      const char* name = e->d_name;
      if (std::strcmp(name, ".") == 0 || std::strcmp(name, "..") == 0 || std::strcmp(name, temp_name) == 0) continue;
      child.resize(prefix);
      child += name;
      bool is_dir = e->d_type == DT_DIR;
      if (e->d_type == DT_UNKNOWN || e->d_type == DT_LNK) {
        struct stat st {};
        is_dir = ::fstatat(::dirfd(d), name, &st, 0) == 0 && S_ISDIR(st.st_mode);
      }
      out.entry(child, is_dir);  // the host sorts
    }
    ::closedir(d);
    return HOMEBOY_OK;
  }

  homeboy_status remove(std::string_view path, bool is_directory, Result& out) {
    return remove_checked(path, is_directory, nullptr, out);
  }
  homeboy_status remove_if(std::string_view path, bool is_directory, const Condition& condition, Result& out) {
    return remove_checked(path, is_directory, &condition, out);
  }

  homeboy_status ensure_dir(std::string_view raw_path, Result& out) {
    std::string path = normalized(raw_path);
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
      if (S_ISDIR(st.st_mode)) return HOMEBOY_OK;
      return out.fail(HOMEBOY_ERR_CONFLICT, "a file is in the way: " + path);
    }
    // Create each missing folder; one made inside a private folder is private too.
    std::size_t at = 1;
    struct stat parent {};
    if (::stat("/", &parent) != 0) return fail_errno(out, "cannot inspect", "/", errno);
    while (at <= path.size()) {
      std::size_t end = path.find('/', at);
      if (end == std::string::npos) end = path.size();
      std::string prefix = path.substr(0, end);
      if (::mkdir(prefix.c_str(), is_private(parent) ? 0700 : 0777) != 0 && errno != EEXIST)
        return fail_errno(out, "cannot create folder", prefix, errno);
      if (::stat(prefix.c_str(), &parent) != 0) return fail_errno(out, "cannot create folder", prefix, errno);
      if (!S_ISDIR(parent.st_mode)) return out.fail(HOMEBOY_ERR_CONFLICT, "a file is in the way: " + prefix);
      at = end + 1;
    }
    return HOMEBOY_OK;
  }

 private:
  static homeboy_status write_checked(std::string_view raw_path, std::string_view content, const Condition* condition,
                                      Result& out) {
    Target target;
    if (homeboy_status s = locate(raw_path, target, out); s != HOMEBOY_OK) return s;
    LockedFolder folder;
    if (homeboy_status s = folder.open(target.dir, out); s != HOMEBOY_OK) return s;
    const int dir = folder.fd();

    struct stat existing {};
    bool exists = ::fstatat(dir, target.name.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0;
    if (exists && S_ISDIR(existing.st_mode))
      return out.fail(HOMEBOY_ERR_INVALID_ARGUMENT, "is a folder, not a file: " + target.path);
    if (exists && !S_ISREG(existing.st_mode) && !S_ISLNK(existing.st_mode))
      return out.fail(HOMEBOY_ERR_INVALID_ARGUMENT,
                      "is not a regular file (a device, FIFO or socket), and is left alone: " + target.path);
    if (homeboy_status s = check_condition(condition, exists, existing, target.path, out); s != HOMEBOY_OK) return s;

    // Whatever a killed writer left behind goes first: we hold the lock, so it is stale. The
    // bash module's batches stage files in a folder of that name.
    remove_tree(dir, temp_name);  // nothing there is the usual case
    // Created readable by the owner only: no one else can read a secret while it is written.
    int fd = ::openat(dir, temp_name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                      exists || is_private(folder.stat()) ? 0600 : 0666);
    if (fd < 0) return fail_errno(out, "cannot write in", target.dir, errno);
    Fd guard(fd);
    auto abandon = [&](int error) {
      ::unlinkat(dir, temp_name, 0);
      return fail_errno(out, "cannot write", target.path, error);
    };

    mode_t mode = 0;
    if (exists) {
      // Keep owner and group where we may. Set-user-ID and set-group-ID bits are kept only
      // when the owner and group are kept too: they must never pass to a new owner.
      bool owner_kept = ::fchown(fd, existing.st_uid, existing.st_gid) == 0;
      if (!owner_kept) ::fchown(fd, static_cast<uid_t>(-1), existing.st_gid);
      mode = existing.st_mode & (owner_kept ? 07777 : 0777);
      if (::fchmod(fd, mode & 0777) != 0) return abandon(errno);
    }
    std::size_t done = 0;
    while (done < content.size()) {
      ssize_t n = ::write(fd, content.data() + done, content.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        return abandon(errno);
      }
      done += static_cast<std::size_t>(n);
    }
    if ((mode & 07000) && ::fchmod(fd, mode) != 0) return abandon(errno);
    // A fresh modification time, later than the old file's: with the new inode, it makes
    // the version change on every write, even when the clock's tick is coarse.
    timespec times[2] = {{0, UTIME_OMIT}, later_than(exists ? existing.st_mtim : timespec{0, 0})};
    if (::futimens(fd, times) != 0) return abandon(errno);
    if (::fsync(fd) != 0) return abandon(errno);
    struct stat written {};
    if (::fstat(fd, &written) != 0) return abandon(errno);
    if (::renameat(dir, temp_name, dir, target.name.c_str()) != 0) return abandon(errno);
    ::fsync(dir);  // the rename itself survives a crash
    out.version(version_of(written));
    return HOMEBOY_OK;
  }

  static homeboy_status remove_checked(std::string_view raw_path, bool is_directory, const Condition* condition,
                                       Result& out) {
    std::string path = normalized(raw_path);
    auto slash = path.rfind('/');
    std::string dir = slash == 0 ? "/" : path.substr(0, slash), name = path.substr(slash + 1);
    LockedFolder folder;
    if (homeboy_status s = folder.open(dir, out); s != HOMEBOY_OK) {
      // A missing folder means a missing path: not_found either way, with the path named.
      struct stat st {};
      if (::lstat(path.c_str(), &st) != 0) return fail_errno(out, "cannot delete", path, errno);
      return s;
    }
    struct stat st {};
    if (::fstatat(folder.fd(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      return fail_errno(out, "cannot delete", path, errno);
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
      return out.fail(HOMEBOY_ERR_INVALID_ARGUMENT, "is a device, and is left alone: " + path);
    if (S_ISDIR(st.st_mode)) {
      if (!is_directory)
        return out.fail(HOMEBOY_ERR_INVALID_ARGUMENT,
                        "is a folder: " + path + " (delete it with its contents: is_directory, or --recursive)");
      if (condition) return out.fail(HOMEBOY_ERR_INVALID_ARGUMENT, "a folder has no version: " + path);
      if (int error = remove_tree(folder.fd(), name.c_str())) return fail_errno(out, "cannot delete", path, error);
    } else {
      if (homeboy_status s = check_condition(condition, true, st, path, out); s != HOMEBOY_OK) return s;
      if (::unlinkat(folder.fd(), name.c_str(), 0) != 0) return fail_errno(out, "cannot delete", path, errno);
    }
    ::fsync(folder.fd());
    return HOMEBOY_OK;
  }
};

}  // namespace

HOMEBOY_STORAGE_PLUGIN(BuiltinFilesystem, "builtin-filesystem")
