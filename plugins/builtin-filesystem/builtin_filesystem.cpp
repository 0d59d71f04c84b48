// builtin-filesystem as a native plugin: homeboy's default provider, as fast as plain
// file I/O. Same semantics as modules/builtin-filesystem/storage.sh (docs/storage-contract.md,
// "The filesystem providers"):
//   - every change to a folder (write, delete) holds an exclusive flock(2) on the folder, so
//     a conditional write's check and its rename are one step for every process that follows
//     the same rule (the bash and PHP modules do);
//   - a write goes to the folder's one temp file, `.homeboy-tmp` (never listed), which is
//     created before any content with the target's mode (0600 for a new file in a private
//     folder), filled, fsynced, given a fresh modification time, renamed into place, and
//     the folder fsynced. A writer killed half-way leaves that file behind; the next write
//     into the folder replaces it;
//   - a batch's writes are made durable together (group commit, see `batch` below): each
//     folder's `.homeboy-tmp` is then a folder of staged files, flushed with one syncfs(2)
//     per file system before any is renamed into place, and each folder is fsynced once
//     after the renames. A crash leaves each file old or new, never torn;
//   - `"durability": "process_crash"` in the provider's config skips the flushes (the
//     user's choice of speed over surviving a power loss); renames stay atomic;
//   - a version is `<inode>-<size>-<mtime seconds>.<nanoseconds>`: every write makes a new
//     inode and a newer modification time, so it changes even for identical content.
// Written with the optional C++ helper, homeboy/storage_plugin.hpp.

#include <homeboy/storage_plugin.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <optional>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

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

// An open folder, locked against every other homeboy writer for as long as it lives. A
// batch's group opens all its folders first and locks them in (device, inode) order: two
// groups never wait for each other in a circle, and a single write holds one lock only.
class LockedFolder {
 public:
  LockedFolder() = default;
  LockedFolder(const LockedFolder&) = delete;
  LockedFolder& operator=(const LockedFolder&) = delete;
  ~LockedFolder() {
    if (stage_ >= 0) ::close(stage_);
    if (fd_ >= 0) ::close(fd_);  // closing releases the lock
  }

  homeboy_status open(const std::string& dir, Result& out) {
    if (homeboy_status s = open_unlocked(dir, out); s != HOMEBOY_OK) return s;
    return lock(out);
  }
  homeboy_status open_unlocked(const std::string& dir, Result& out) {
    dir_ = dir;
    fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd_ < 0) {
      int error = errno;
      if (error == ENOENT || error == ENOTDIR) return out.fail(HOMEBOY_ERR_NOT_FOUND, "folder does not exist: " + dir);
      return fail_errno(out, "cannot open folder", dir, error);
    }
    if (::fstat(fd_, &st_) != 0) return fail_errno(out, "cannot inspect folder", dir, errno);
    return HOMEBOY_OK;
  }
  homeboy_status lock(Result& out) {
    if (int error = lock()) return fail_errno(out, "cannot lock folder", dir_, error);
    return HOMEBOY_OK;
  }
  int lock() {  // 0 or the errno
    while (::flock(fd_, LOCK_EX) != 0)
      if (errno != EINTR) return errno;
    return 0;
  }

  // The folder's staging folder, `.homeboy-tmp/`, made on first use (under the lock:
  // whatever was at that name is a killed writer's, and goes first). -1 and errno on failure.
  int stage() {
    if (stage_ >= 0) return stage_;
    remove_tree(fd_, temp_name);
    if (::mkdirat(fd_, temp_name, 0700) != 0) return -1;
    stage_ = ::openat(fd_, temp_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    return stage_;
  }
  // Removes the staging folder with whatever a failed rename left in it.
  void drop_stage() {
    if (stage_ < 0) return;
    ::close(stage_);
    stage_ = -1;
    remove_tree(fd_, temp_name);
  }
  bool staged() const noexcept { return stage_ >= 0; }

  int fd() const noexcept { return fd_; }
  const std::string& dir() const noexcept { return dir_; }
  const struct stat& stat() const noexcept { return st_; }

 private:
  std::string dir_;
  int fd_ = -1;
  int stage_ = -1;
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
  // Stateless but for the user's durability choice: the filesystem is the state.
  explicit BuiltinFilesystem(const homeboy::plugin::CreateInfo& info) {
    const char* durability = info.config("durability");
    flush_ = !(durability && std::string_view(durability) == "process_crash");
  }

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

  // Runs a batch in order, making runs of writes (and of deletes) durable together: see
  // write_group and delete_group. Every other operation runs on its own, as it would alone.
  homeboy_status run_batch(const homeboy_op* const* ops, homeboy_result* const* results, homeboy_status* statuses,
                           std::size_t count, const homeboy::plugin::detail::BatchRunner& run) noexcept {
    runner_ = &run;
    try {
      for (std::size_t i = 0; i < count;) {
        if (ops[i]->operation == HOMEBOY_OP_WRITE && i + 1 < count && ops[i + 1]->operation == HOMEBOY_OP_WRITE)
          i = write_group(ops, results, statuses, i, count);
        else if (ops[i]->operation == HOMEBOY_OP_DELETE && i + 1 < count && ops[i + 1]->operation == HOMEBOY_OP_DELETE)
          i = delete_group(ops, results, statuses, i, count);
        else
          statuses[i] = run_one(*ops[i], results[i]), ++i;
      }
      return HOMEBOY_OK;
    } catch (...) {  // out of memory: the batch could not run (statuses may be part-filled)
      return HOMEBOY_ERR_IO;
    }
  }

 private:
  // At most this many folders in one group: each holds a descriptor (two while staging).
  static constexpr std::size_t max_group_folders = 128;

  using FolderKey = std::pair<dev_t, ino_t>;
  struct Folders {
    std::map<FolderKey, std::unique_ptr<LockedFolder>> by_key;  // (device, inode): the order they are locked in
    std::map<std::string, LockedFolder*> by_name;               // opened once, however many writes name it
  };

  static std::optional<Condition> condition_of(const homeboy_op& op) {
    if (!HOMEBOY_HAS(&op, homeboy_op, condition) || !op.condition) return std::nullopt;
    return Condition::from(op.condition);
  }

  // Opens `dir` (unlocked) as a folder of the group, or finds it there. Null when the group is
  // full and this would be a new folder, or when it cannot be opened (`failed` says so, with
  // the failure reported into `out`).
  static LockedFolder* join(Folders& folders, const std::string& dir, Result& out, homeboy_status& failed) {
    failed = HOMEBOY_OK;
    if (auto named = folders.by_name.find(dir); named != folders.by_name.end()) return named->second;
    auto folder = std::make_unique<LockedFolder>();
    failed = folder->open_unlocked(dir, out);
    if (failed != HOMEBOY_OK) return nullptr;
    FolderKey key{folder->stat().st_dev, folder->stat().st_ino};
    LockedFolder* joined = nullptr;
    if (auto it = folders.by_key.find(key); it != folders.by_key.end())
      joined = it->second.get();  // the same folder by another name (a link on the way)
    else if (folders.by_key.size() == max_group_folders)
      return nullptr;
    else
      joined = folders.by_key.emplace(key, std::move(folder)).first->second.get();
    folders.by_name.emplace(dir, joined);
    return joined;
  }

  static int lock_all(Folders& folders) {  // 0 or the errno
    for (auto& [key, folder] : folders.by_key)
      if (int error = folder->lock()) return error;
    return 0;
  }

  // The checks a write makes under its folder's lock: what is at the path, and the condition.
  static homeboy_status inspect(int dir, const Target& target, const Condition* condition, bool& exists,
                                struct stat& existing, Result& out) {
    exists = ::fstatat(dir, target.name.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0;
    if (exists && S_ISDIR(existing.st_mode))
      return out.fail(HOMEBOY_ERR_INVALID_ARGUMENT, "is a folder, not a file: " + target.path);
    if (exists && !S_ISREG(existing.st_mode) && !S_ISLNK(existing.st_mode))
      return out.fail(HOMEBOY_ERR_INVALID_ARGUMENT,
                      "is not a regular file (a device, FIFO or socket), and is left alone: " + target.path);
    return check_condition(condition, exists, existing, target.path, out);
  }

  // Writes the new content to `name` in the folder `at` (the temp file, or a staged file),
  // with the replaced file's owner and mode, and a modification time later than its. Returns
  // the open file, or -1 with errno set (the file is then removed).
  static int prepare(int at, const char* name, const LockedFolder& folder, bool exists, const struct stat& existing,
                     std::string_view content, struct stat& written) {
    // Created readable by the owner only: no one else can read a secret while it is written.
    int fd = ::openat(at, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                      exists || is_private(folder.stat()) ? 0600 : 0666);
    if (fd < 0) return -1;
    auto abandon = [&] {
      int error = errno;
      ::close(fd);
      ::unlinkat(at, name, 0);
      errno = error;
      return -1;
    };
    mode_t mode = 0;
    if (exists) {
      // Keep owner and group where we may. Set-user-ID and set-group-ID bits are kept only
      // when the owner and group are kept too: they must never pass to a new owner.
      bool owner_kept = ::fchown(fd, existing.st_uid, existing.st_gid) == 0;
      if (!owner_kept) ::fchown(fd, static_cast<uid_t>(-1), existing.st_gid);
      mode = existing.st_mode & (owner_kept ? 07777 : 0777);
      if (::fchmod(fd, mode & 0777) != 0) return abandon();
    }
    std::size_t done = 0;
    while (done < content.size()) {
      ssize_t n = ::write(fd, content.data() + done, content.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        return abandon();
      }
      done += static_cast<std::size_t>(n);
    }
    if ((mode & 07000) && ::fchmod(fd, mode) != 0) return abandon();
    // A fresh modification time, later than the old file's: with the new inode, it makes
    // the version change on every write, even when the clock's tick is coarse.
    timespec times[2] = {{0, UTIME_OMIT}, later_than(exists ? existing.st_mtim : timespec{0, 0})};
    if (::futimens(fd, times) != 0 || ::fstat(fd, &written) != 0) return abandon();
    return fd;
  }

  // fsync(2) of a folder, so that what changed in it survives a crash. A file system that
  // cannot flush a folder at all (EINVAL) has nothing more to give.
  static int flush_folder(int dir) { return ::fsync(dir) == 0 || errno == EINVAL ? 0 : errno; }

  homeboy_status write_checked(std::string_view raw_path, std::string_view content, const Condition* condition,
                               Result& out) const {
    Target target;
    if (homeboy_status s = locate(raw_path, target, out); s != HOMEBOY_OK) return s;
    LockedFolder folder;
    if (homeboy_status s = folder.open(target.dir, out); s != HOMEBOY_OK) return s;
    const int dir = folder.fd();
    bool exists = false;
    struct stat existing {};
    if (homeboy_status s = inspect(dir, target, condition, exists, existing, out); s != HOMEBOY_OK) return s;

    // Whatever a killed writer left behind goes first: we hold the lock, so it is stale. A
    // killed batch leaves a staging folder of that name.
    remove_tree(dir, temp_name);  // nothing there is the usual case
    struct stat written {};
    int fd = prepare(dir, temp_name, folder, exists, existing, content, written);
    if (fd < 0) return fail_errno(out, "cannot write", target.path, errno);
    Fd guard(fd);
    if (flush_ && ::fsync(fd) != 0) {
      int error = errno;
      ::unlinkat(dir, temp_name, 0);
      return fail_errno(out, "cannot write", target.path, error);
    }
    if (::renameat(dir, temp_name, dir, target.name.c_str()) != 0) {
      int error = errno;
      ::unlinkat(dir, temp_name, 0);
      return fail_errno(out, "cannot write", target.path, error);
    }
    // The rename itself survives a crash.
    if (int error = flush_ ? flush_folder(dir) : 0)
      return fail_errno(out, "wrote, but could not flush to disk the folder of", target.path, error);
    out.version(version_of(written));
    return HOMEBOY_OK;
  }

  // A run of writes in a batch, made durable together (group commit). The writes of the
  // group go to distinct files in at most max_group_folders folders; a write to a file the
  // group already writes ends it, as does any other operation (a read must see the writes
  // before it). Then:
  //   1. every folder of the group is opened, then locked in (device, inode) order;
  //   2. each write is checked (its condition included) and staged in its folder's
  //      `.homeboy-tmp/` folder, as the single write prepares its temp file;
  //   3. one syncfs(2) per file system makes every staged file durable: one flush where
  //      each file's own fsync was one (or two) each;
  //   4. each staged file is renamed into place, in the batch's order;
  //   5. each folder is fsynced once, which makes its renames durable.
  // Every lock is held from 1 to 5, so each condition still holds at its rename. Killed at
  // any moment, each file is old or new (a staged file is complete and on disk before it is
  // renamed); the staging folder left behind is removed by the next write into the folder.
  // Returns the index after the group.
  std::size_t write_group(const homeboy_op* const* ops, homeboy_result* const* results, homeboy_status* statuses,
                          std::size_t from, std::size_t count) {
    struct Planned {
      std::size_t op;
      Target target;
      LockedFolder* folder;
      std::string staged_name;
      struct stat written {};
    };
    Folders folders;
    std::set<std::tuple<dev_t, ino_t, std::string>> files;
    std::vector<Planned> planned;
    std::size_t end = from;
    for (; end < count && ops[end]->operation == HOMEBOY_OP_WRITE; ++end) {
      Result out(results[end]);
      Target target;
      if ((statuses[end] = locate({ops[end]->path, ops[end]->path_size}, target, out)) != HOMEBOY_OK) continue;
      homeboy_status failed = HOMEBOY_OK;
      LockedFolder* folder = join(folders, target.dir, out, failed);
      if (failed != HOMEBOY_OK) {  // the folder is missing or closed: this write fails alone
        statuses[end] = failed;
        continue;
      }
      if (!folder) break;  // a folder too many: the next group takes it
      if (!files.emplace(folder->stat().st_dev, folder->stat().st_ino, target.name).second) break;
      planned.push_back({end, std::move(target), folder, std::to_string(end), {}});
    }

    if (planned.size() == 1) {  // a group of one: the single write's two flushes cost less than a syncfs
      folders = {};
      const homeboy_op& op = *ops[planned.front().op];
      statuses[planned.front().op] = run_one(op, results[planned.front().op]);
      return end;
    }
    if (int error = lock_all(folders)) {
      for (auto& p : planned) {
        Result out(results[p.op]);
        statuses[p.op] = fail_errno(out, "cannot lock the folder of", p.target.path, error);
      }
      return end;
    }

    std::vector<Planned*> staged;
    for (auto& p : planned) {
      Result out(results[p.op]);
      auto condition = condition_of(*ops[p.op]);
      bool exists = false;
      struct stat existing {};
      statuses[p.op] = inspect(p.folder->fd(), p.target, condition ? &*condition : nullptr, exists, existing, out);
      if (statuses[p.op] != HOMEBOY_OK) continue;
      int stage = p.folder->stage();
      int fd = stage < 0 ? -1
                         : prepare(stage, p.staged_name.c_str(), *p.folder, exists, existing,
                                   {ops[p.op]->content, ops[p.op]->content_size}, p.written);
      if (fd < 0) {
        statuses[p.op] = fail_errno(out, "cannot write", p.target.path, errno);
        continue;
      }
      ::close(fd);
      staged.push_back(&p);
    }

    // 3. One flush per file system (syncfs needs a descriptor on it: any folder's will do).
    std::map<dev_t, int> flushed;  // device -> 0 or the errno of its flush
    for (const Planned* p : staged) {
      dev_t device = p->folder->stat().st_dev;
      if (flushed.count(device)) continue;
      flushed[device] = !flush_ || ::syncfs(p->folder->fd()) == 0 ? 0 : errno;
    }
    // 4. The renames, in order.
    std::vector<const Planned*> renamed;
    for (const Planned* p : staged) {
      Result out(results[p->op]);
      int error = flushed[p->folder->stat().st_dev];
      if (!error && ::renameat(p->folder->stage(), p->staged_name.c_str(), p->folder->fd(), p->target.name.c_str()) != 0)
        error = errno;
      if (error) {
        statuses[p->op] = fail_errno(out, "cannot write", p->target.path, error);
        continue;
      }
      renamed.push_back(p);
    }
    // 5. Each folder once.
    std::map<const LockedFolder*, int> folder_errors;
    for (auto& [key, folder] : folders.by_key) {
      if (!folder->staged()) continue;
      folder->drop_stage();
      folder_errors[folder.get()] = flush_ ? flush_folder(folder->fd()) : 0;
    }
    for (const Planned* p : renamed) {
      Result out(results[p->op]);
      if (int error = folder_errors[p->folder]) {
        statuses[p->op] = fail_errno(out, "wrote, but could not flush to disk the folder of", p->target.path, error);
        continue;
      }
      out.version(version_of(p->written));
      statuses[p->op] = HOMEBOY_OK;
    }
    return end;
  }

  // The part of a delete that runs under its folder's lock; the caller flushes the folder.
  static homeboy_status remove_locked(int dir, const std::string& path, const std::string& name, bool is_directory,
                                      const Condition* condition, Result& out) {
    struct stat st {};
    if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return fail_errno(out, "cannot delete", path, errno);
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
      return out.fail(HOMEBOY_ERR_INVALID_ARGUMENT, "is a device, and is left alone: " + path);
    if (S_ISDIR(st.st_mode)) {
      if (!is_directory)
        return out.fail(HOMEBOY_ERR_INVALID_ARGUMENT,
                        "is a folder: " + path + " (delete it with its contents: is_directory, or --recursive)");
      if (condition) return out.fail(HOMEBOY_ERR_INVALID_ARGUMENT, "a folder has no version: " + path);
      if (int error = remove_tree(dir, name.c_str())) return fail_errno(out, "cannot delete", path, error);
      return HOMEBOY_OK;
    }
    if (homeboy_status s = check_condition(condition, true, st, path, out); s != HOMEBOY_OK) return s;
    if (::unlinkat(dir, name.c_str(), 0) != 0) return fail_errno(out, "cannot delete", path, errno);
    return HOMEBOY_OK;
  }

  static void split(const std::string& path, std::string& dir, std::string& name) {
    auto slash = path.rfind('/');
    dir = slash == 0 ? "/" : path.substr(0, slash);
    name = path.substr(slash + 1);
  }

  homeboy_status remove_checked(std::string_view raw_path, bool is_directory, const Condition* condition,
                                Result& out) const {
    std::string path = normalized(raw_path), dir, name;
    split(path, dir, name);
    LockedFolder folder;
    if (homeboy_status s = folder.open(dir, out); s != HOMEBOY_OK) {
      // A missing folder means a missing path: not_found either way, with the path named.
      struct stat st {};
      if (::lstat(path.c_str(), &st) != 0) return fail_errno(out, "cannot delete", path, errno);
      return s;
    }
    if (homeboy_status s = remove_locked(folder.fd(), path, name, is_directory, condition, out); s != HOMEBOY_OK)
      return s;
    if (int error = flush_ ? flush_folder(folder.fd()) : 0)
      return fail_errno(out, "deleted, but could not flush to disk the folder of", path, error);
    return HOMEBOY_OK;
  }

  // A run of deletes in a batch: each applied in order under its folder's lock, as alone,
  // and each folder flushed once at the end instead of once per delete.
  std::size_t delete_group(const homeboy_op* const* ops, homeboy_result* const* results, homeboy_status* statuses,
                           std::size_t from, std::size_t count) const {
    struct Planned {
      std::size_t op;
      std::string path, name;
      LockedFolder* folder;
    };
    Folders folders;
    std::vector<Planned> planned;
    std::size_t end = from;
    for (; end < count && ops[end]->operation == HOMEBOY_OP_DELETE; ++end) {
      Result out(results[end]);
      std::string path = normalized({ops[end]->path, ops[end]->path_size}), dir, name;
      split(path, dir, name);
      homeboy_status failed = HOMEBOY_OK;
      LockedFolder* folder = join(folders, dir, out, failed);
      if (failed != HOMEBOY_OK) {
        struct stat st {};
        if (::lstat(path.c_str(), &st) != 0) failed = fail_errno(out, "cannot delete", path, errno);
        statuses[end] = failed;
        continue;
      }
      if (!folder) break;
      planned.push_back({end, std::move(path), std::move(name), folder});
    }
    if (int error = lock_all(folders)) {
      for (auto& p : planned) {
        Result out(results[p.op]);
        statuses[p.op] = fail_errno(out, "cannot lock the folder of", p.path, error);
      }
      return end;
    }
    std::set<const LockedFolder*> changed;
    for (auto& p : planned) {
      Result out(results[p.op]);
      auto condition = condition_of(*ops[p.op]);
      statuses[p.op] = remove_locked(p.folder->fd(), p.path, p.name, ops[p.op]->is_directory != 0,
                                     condition ? &*condition : nullptr, out);
      if (statuses[p.op] == HOMEBOY_OK) changed.insert(p.folder);
    }
    std::map<const LockedFolder*, int> folder_errors;
    for (const LockedFolder* folder : changed) folder_errors[folder] = flush_ ? flush_folder(folder->fd()) : 0;
    for (auto& p : planned) {
      if (statuses[p.op] != HOMEBOY_OK) continue;
      if (int error = folder_errors[p.folder]) {
        Result out(results[p.op]);
        statuses[p.op] = fail_errno(out, "deleted, but could not flush to disk the folder of", p.path, error);
      }
    }
    return end;
  }

  // One operation of a batch, run as the helper runs it alone.
  homeboy_status run_one(const homeboy_op& op, homeboy_result* result) noexcept {
    return runner_->run(runner_->store, homeboy::plugin::Operation(&op, HOMEBOY_HAS(&op, homeboy_op, condition)),
                        result);
  }

  bool flush_ = true;  // false: "durability": "process_crash" (no fsync, no syncfs)
  const homeboy::plugin::detail::BatchRunner* runner_ = nullptr;  // the batch's, while run_batch runs
};

}  // namespace

HOMEBOY_STORAGE_PLUGIN(BuiltinFilesystem, "builtin-filesystem")
