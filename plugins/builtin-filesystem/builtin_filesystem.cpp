// builtin-filesystem as a native plugin: homeboy's default provider, as fast as plain
// file I/O. Same semantics as modules/builtin-filesystem/storage.sh: byte-exact content,
// atomic writes (unique temp file in the same folder, fsync, rename), immediate children
// on list, not_found for a missing read or delete target. Written with the optional C++
// helper, homeboy/storage_plugin.hpp.

#include <homeboy/storage_plugin.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <system_error>

namespace {

using homeboy::plugin::Result;

homeboy_status status_of(int error) noexcept {
  switch (error) {
    case ENOENT: case ENOTDIR: return HOMEBOY_ERR_NOT_FOUND;
    case EACCES: case EPERM: case EROFS: return HOMEBOY_ERR_PERMISSION_DENIED;
    case EISDIR: case EINVAL: case ENAMETOOLONG: return HOMEBOY_ERR_INVALID_ARGUMENT;
    case EEXIST: case ENOTEMPTY: return HOMEBOY_ERR_CONFLICT;
    default: return HOMEBOY_ERR_IO;
  }
}

homeboy_status fail_errno(Result& out, const char* what, const std::string& path, int error) {
  return out.fail(status_of(error), std::string(what) + " " + path + ": " + std::strerror(error));
}

struct FdGuard {
  int fd;
  ~FdGuard() {
    if (fd >= 0) ::close(fd);
  }
};

// Paths arrive absolute; trailing slashes are dropped so "/a/b/" and "/a/b" agree.
std::string normalized(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return std::string(path);
}

std::string temp_name(const std::string& dir, const std::string& name) {
  static std::atomic<unsigned> counter{0};
  thread_local std::mt19937_64 rng{std::random_device{}() ^ static_cast<unsigned long>(::getpid())};
  return dir + "/." + name + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++) + "." +
         std::to_string(rng() % 1000000007ULL);
}

class BuiltinFilesystem {
 public:
  explicit BuiltinFilesystem(const homeboy::plugin::CreateInfo&) {}  // stateless: the filesystem is the state

  homeboy_status read(std::string_view raw_path, Result& out) {
    std::string path = normalized(raw_path);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail_errno(out, "cannot read", path, errno);
    FdGuard guard{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0) return fail_errno(out, "cannot read", path, errno);
    if (S_ISDIR(st.st_mode)) return out.fail(HOMEBOY_ERR_INVALID_ARGUMENT, "is a folder, not a file: " + path);
    // Read straight into the host's buffer: one allocation, no copy.
    std::size_t capacity = static_cast<std::size_t>(st.st_size);
    char* buffer = out.data_buffer(capacity);
    if (!buffer && capacity) return out.fail(HOMEBOY_ERR_IO, "out of memory reading " + path);
    std::size_t filled = 0;
    for (;;) {
      if (filled == capacity) {  // the file grew while we read it
        capacity += 65536;
        if (!(buffer = out.data_buffer(capacity))) return out.fail(HOMEBOY_ERR_IO, "out of memory reading " + path);
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
    return HOMEBOY_OK;
  }

  homeboy_status write(std::string_view raw_path, std::string_view content, Result& out) {
    std::string path = normalized(raw_path);
    auto slash = path.rfind('/');
    std::string dir = slash == 0 ? "/" : path.substr(0, slash);
    std::string name = path.substr(slash + 1);
    if (name.empty()) return out.fail(HOMEBOY_ERR_INVALID_ARGUMENT, "not a file path: " + path);
    struct stat dst {};
    if (::stat(dir.c_str(), &dst) != 0 || !S_ISDIR(dst.st_mode))
      return out.fail(HOMEBOY_ERR_NOT_FOUND, "folder does not exist: " + dir);
    struct stat existing {};
    bool exists = ::stat(path.c_str(), &existing) == 0;
    if (exists && S_ISDIR(existing.st_mode)) return out.fail(HOMEBOY_ERR_INVALID_ARGUMENT, "is a folder, not a file: " + path);

    std::string tmp;
    int fd = -1;
    for (int attempt = 0; attempt < 8 && fd < 0; ++attempt) {
      tmp = temp_name(dir, name);
      fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
      if (fd < 0 && errno != EEXIST) return fail_errno(out, "cannot write in", dir, errno);
    }
    if (fd < 0) return out.fail(HOMEBOY_ERR_IO, "cannot find a free temp name in " + dir);
    FdGuard guard{fd};
    auto abandon = [&](int error) {
      ::unlink(tmp.c_str());
      return fail_errno(out, "cannot write", path, error);
    };
    std::size_t done = 0;
    while (done < content.size()) {
      ssize_t n = ::write(fd, content.data() + done, content.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        return abandon(errno);
      }
      done += static_cast<std::size_t>(n);
    }
    if (exists) ::fchmod(fd, existing.st_mode & 07777);
    if (::fsync(fd) != 0) return abandon(errno);
    if (::rename(tmp.c_str(), path.c_str()) != 0) return abandon(errno);
    return HOMEBOY_OK;
  }

  homeboy_status list(std::string_view raw_path, Result& out) {
    std::string path = normalized(raw_path);
    DIR* d = ::opendir(path.c_str());
    if (!d) {
      if (errno == ENOENT) return HOMEBOY_OK;  // a missing folder lists as empty
      if (errno == ENOTDIR) return out.fail(HOMEBOY_ERR_INVALID_ARGUMENT, "is a file, not a folder: " + path);
      return fail_errno(out, "cannot list", path, errno);
    }
    std::string prefix = path == "/" ? "/" : path + "/";
    while (dirent* e = ::readdir(d)) {
      if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
      std::string child = prefix + e->d_name;
      bool is_dir = e->d_type == DT_DIR;
      if (e->d_type == DT_UNKNOWN || e->d_type == DT_LNK) {
        struct stat st {};
        is_dir = ::stat(child.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
      }
      out.entry(child, is_dir);  // the host sorts
    }
    ::closedir(d);
    return HOMEBOY_OK;
  }

  homeboy_status remove(std::string_view raw_path, bool is_directory, Result& out) {
    std::string path = normalized(raw_path);
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return fail_errno(out, "cannot delete", path, errno);
    if (S_ISDIR(st.st_mode)) {
      if (!is_directory)
        return out.fail(HOMEBOY_ERR_INVALID_ARGUMENT,
                        "is a folder: " + path + " (set is_directory to delete it with its contents)");
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
      if (ec) return fail_errno(out, "cannot delete", path, ec.value());
      return HOMEBOY_OK;
    }
    if (::unlink(path.c_str()) != 0) return fail_errno(out, "cannot delete", path, errno);
    return HOMEBOY_OK;
  }

  homeboy_status ensure_dir(std::string_view raw_path, Result& out) {
    std::string path = normalized(raw_path);
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
      if (S_ISDIR(st.st_mode)) return HOMEBOY_OK;
      return out.fail(HOMEBOY_ERR_CONFLICT, "a file is in the way: " + path);
    }
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec) return fail_errno(out, "cannot create folder", path, ec.value());
    return HOMEBOY_OK;
  }
};

}  // namespace

HOMEBOY_STORAGE_PLUGIN(BuiltinFilesystem, "builtin-filesystem")
