// builtin-filesystem as a native plugin: homeboy's default provider, as fast as plain
// file I/O. Same semantics as modules/builtin-filesystem/storage.sh: byte-exact content,
// atomic writes (unique temp file in the same folder, fsync, rename), sorted immediate
// children, not_found for a missing read or delete target.

#include <homeboy/storage_plugin.h>

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

struct Instance {};  // stateless: the filesystem is the state

homeboy_status fail(homeboy_result* r, homeboy_status status, const std::string& message) noexcept {
  r->set_error(r, message.data(), message.size());
  return status;
}

homeboy_status status_of(int error) noexcept {
  switch (error) {
    case ENOENT: case ENOTDIR: return HOMEBOY_ERR_NOT_FOUND;
    case EACCES: case EPERM: case EROFS: return HOMEBOY_ERR_PERMISSION_DENIED;
    case EISDIR: case EINVAL: case ENAMETOOLONG: return HOMEBOY_ERR_INVALID_ARGUMENT;
    case EEXIST: case ENOTEMPTY: return HOMEBOY_ERR_CONFLICT;
    default: return HOMEBOY_ERR_IO;
  }
}

homeboy_status fail_errno(homeboy_result* r, const char* what, const std::string& path, int error) noexcept {
  try {
    return fail(r, status_of(error), std::string(what) + " " + path + ": " + std::strerror(error));
  } catch (...) {
    return status_of(error);
  }
}

struct FdGuard {
  int fd;
  ~FdGuard() {
    if (fd >= 0) ::close(fd);
  }
};

homeboy_status do_read(const std::string& path, homeboy_result* r) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail_errno(r, "cannot read", path, errno);
  FdGuard guard{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return fail_errno(r, "cannot read", path, errno);
  if (S_ISDIR(st.st_mode)) return fail(r, HOMEBOY_ERR_INVALID_ARGUMENT, "is a folder, not a file: " + path);
  // Read straight into the host's buffer: one allocation, no copy.
  std::size_t capacity = static_cast<std::size_t>(st.st_size);
  char* buffer = r->data_buffer(r, capacity);
  if (!buffer && capacity) return fail(r, HOMEBOY_ERR_IO, "out of memory reading " + path);
  std::size_t filled = 0;
  for (;;) {
    if (filled == capacity) {  // the file grew while we read it
      capacity += 65536;
      if (!(buffer = r->data_buffer(r, capacity))) return fail(r, HOMEBOY_ERR_IO, "out of memory reading " + path);
    }
    ssize_t n = ::read(fd, buffer + filled, capacity - filled);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno(r, "cannot read", path, errno);
    }
    if (n == 0) break;
    filled += static_cast<std::size_t>(n);
  }
  if (filled != capacity || filled == 0) r->data_buffer(r, filled);
  return HOMEBOY_OK;
}

std::string temp_name(const std::string& dir, const std::string& name) {
  static std::atomic<unsigned> counter{0};
  thread_local std::mt19937_64 rng{std::random_device{}() ^ static_cast<unsigned long>(::getpid())};
  return dir + "/." + name + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++) + "." +
         std::to_string(rng() % 1000000007ULL);
}

homeboy_status do_write(const std::string& path, const char* content, std::size_t size, homeboy_result* r) {
  auto slash = path.rfind('/');
  std::string dir = slash == 0 ? "/" : path.substr(0, slash);
  std::string name = path.substr(slash + 1);
  if (name.empty()) return fail(r, HOMEBOY_ERR_INVALID_ARGUMENT, "not a file path: " + path);
  struct stat dst {};
  if (::stat(dir.c_str(), &dst) != 0 || !S_ISDIR(dst.st_mode))
    return fail(r, HOMEBOY_ERR_NOT_FOUND, "folder does not exist: " + dir);
  struct stat existing {};
  bool exists = ::stat(path.c_str(), &existing) == 0;
  if (exists && S_ISDIR(existing.st_mode)) return fail(r, HOMEBOY_ERR_INVALID_ARGUMENT, "is a folder, not a file: " + path);

  std::string tmp;
  int fd = -1;
  for (int attempt = 0; attempt < 8 && fd < 0; ++attempt) {
    tmp = temp_name(dir, name);
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST) return fail_errno(r, "cannot write in", dir, errno);
  }
  if (fd < 0) return fail(r, HOMEBOY_ERR_IO, "cannot find a free temp name in " + dir);
  FdGuard guard{fd};
  auto abandon = [&](int error) {
    ::unlink(tmp.c_str());
    return fail_errno(r, "cannot write", path, error);
  };
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = ::write(fd, content + done, size - done);
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

homeboy_status do_list(const std::string& path, homeboy_result* r) {
  DIR* d = ::opendir(path.c_str());
  if (!d) {
    if (errno == ENOENT) return HOMEBOY_OK;  // a missing folder lists as empty
    if (errno == ENOTDIR) return fail(r, HOMEBOY_ERR_INVALID_ARGUMENT, "is a file, not a folder: " + path);
    return fail_errno(r, "cannot list", path, errno);
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
    r->add_entry(r, child.data(), child.size(), is_dir ? 1 : 0);
  }
  ::closedir(d);
  return HOMEBOY_OK;
}

homeboy_status do_remove(const std::string& path, bool is_directory, homeboy_result* r) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return fail_errno(r, "cannot delete", path, errno);
  if (S_ISDIR(st.st_mode)) {
    if (!is_directory)
      return fail(r, HOMEBOY_ERR_INVALID_ARGUMENT,
                  "is a folder: " + path + " (set is_directory to delete it with its contents)");
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
    if (ec) return fail_errno(r, "cannot delete", path, ec.value());
    return HOMEBOY_OK;
  }
  if (::unlink(path.c_str()) != 0) return fail_errno(r, "cannot delete", path, errno);
  return HOMEBOY_OK;
}

homeboy_status do_ensure_dir(const std::string& path, homeboy_result* r) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return HOMEBOY_OK;
    return fail(r, HOMEBOY_ERR_CONFLICT, "a file is in the way: " + path);
  }
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return fail_errno(r, "cannot create folder", path, ec.value());
  return HOMEBOY_OK;
}

// Paths arrive absolute; trailing slashes are dropped so "/a/b/" and "/a/b" agree.
std::string normalized(const char* path, std::size_t size) {
  std::string p(path, size);
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

template <class F>
homeboy_status guarded(homeboy_result* r, F&& body) noexcept {
  try {
    return body();
  } catch (const std::exception& e) {
    return fail(r, HOMEBOY_ERR_IO, e.what());
  } catch (...) {
    return fail(r, HOMEBOY_ERR_IO, "unexpected failure");
  }
}

homeboy_status op_read(homeboy_storage*, const char* p, size_t n, homeboy_result* r) {
  return guarded(r, [&] { return do_read(normalized(p, n), r); });
}
homeboy_status op_write(homeboy_storage*, const char* p, size_t n, const char* c, size_t cn, homeboy_result* r) {
  return guarded(r, [&] { return do_write(normalized(p, n), c, cn, r); });
}
homeboy_status op_list(homeboy_storage*, const char* p, size_t n, homeboy_result* r) {
  return guarded(r, [&] { return do_list(normalized(p, n), r); });
}
homeboy_status op_remove(homeboy_storage*, const char* p, size_t n, int32_t dir, homeboy_result* r) {
  return guarded(r, [&] { return do_remove(normalized(p, n), dir != 0, r); });
}
homeboy_status op_ensure_dir(homeboy_storage*, const char* p, size_t n, homeboy_result* r) {
  return guarded(r, [&] { return do_ensure_dir(normalized(p, n), r); });
}

homeboy_status op_batch(homeboy_storage* self, const homeboy_op* ops, size_t count, homeboy_result* results,
                        homeboy_status* statuses) {
  for (size_t i = 0; i < count; ++i) {
    const homeboy_op& op = ops[i];
    homeboy_result* r = &results[i];
    switch (op.operation) {
      case HOMEBOY_OP_READ: statuses[i] = op_read(self, op.path, op.path_size, r); break;
      case HOMEBOY_OP_WRITE:
        statuses[i] = op_write(self, op.path, op.path_size, op.content, op.content_size, r);
        break;
      case HOMEBOY_OP_LIST: statuses[i] = op_list(self, op.path, op.path_size, r); break;
      case HOMEBOY_OP_DELETE: statuses[i] = op_remove(self, op.path, op.path_size, op.is_directory, r); break;
      case HOMEBOY_OP_ENSURE_DIR: statuses[i] = op_ensure_dir(self, op.path, op.path_size, r); break;
      default: statuses[i] = fail(r, HOMEBOY_ERR_UNSUPPORTED, "unknown operation " + std::to_string(op.operation));
    }
  }
  return HOMEBOY_OK;
}

void destroy(homeboy_storage* self) { delete reinterpret_cast<Instance*>(self); }

const homeboy_storage_vtable vtable = {
    sizeof(homeboy_storage_vtable), HOMEBOY_CAP_BATCH, op_read, op_write, op_list, op_remove, op_ensure_dir,
    op_batch, destroy};

homeboy_status negotiate(uint32_t host_max_version, uint32_t* chosen) {
  if (host_max_version < 1) return HOMEBOY_ERR_UNSUPPORTED;
  *chosen = 1;
  return HOMEBOY_OK;
}

homeboy_status create(const homeboy_create_info*, homeboy_storage** instance, const homeboy_storage_vtable** table,
                      homeboy_result* error) {
  try {
    *instance = reinterpret_cast<homeboy_storage*>(new Instance{});
    *table = &vtable;
    return HOMEBOY_OK;
  } catch (...) {
    return fail(error, HOMEBOY_ERR_IO, "out of memory");
  }
}

}  // namespace

extern "C" HOMEBOY_PLUGIN_EXPORT const homeboy_plugin_entry homeboy_storage_plugin_entry = {
    sizeof(homeboy_plugin_entry), "builtin-filesystem", negotiate, create};
