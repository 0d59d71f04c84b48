/*
 * Optional C++17 helper for writing a homeboy storage plugin in C++.
 *
 * Write a class with the five operations and a constructor taking the creation info, then
 * HOMEBOY_STORAGE_PLUGIN(MyStore, "my-store") defines the exported entry point. This header
 * only adapts the class to the C tables of storage_plugin.h: no C++ type, exception or
 * allocator crosses the ABI. Every callback is noexcept; an exception thrown by the class
 * becomes an error status with its message (homeboy::plugin::Failure picks the status).
 *
 *   class MyStore {
 *    public:
 *     explicit MyStore(const homeboy::plugin::CreateInfo& info);
 *     homeboy_status read(std::string_view path, homeboy::plugin::Result& out);
 *     homeboy_status write(std::string_view path, std::string_view content, homeboy::plugin::Result& out);
 *     homeboy_status list(std::string_view path, homeboy::plugin::Result& out);
 *     homeboy_status remove(std::string_view path, bool is_directory, homeboy::plugin::Result& out);
 *     homeboy_status ensure_dir(std::string_view path, homeboy::plugin::Result& out);
 *   };
 *   HOMEBOY_STORAGE_PLUGIN(MyStore, "my-store")
 *
 * Batches are offered too: the host gets one call, the helper runs the operations in order.
 */
#ifndef HOMEBOY_STORAGE_PLUGIN_HPP
#define HOMEBOY_STORAGE_PLUGIN_HPP

#include <homeboy/storage_plugin.h>

#include <exception>
#include <new>
#include <string>
#include <string_view>

namespace homeboy::plugin {

// Throw from a constructor or an operation to fail with a specific status.
class Failure : public std::exception {
 public:
  Failure(homeboy_status status, std::string message) : status_(status), message_(std::move(message)) {}
  homeboy_status status() const noexcept { return status_; }
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  homeboy_status status_;
  std::string message_;
};

// The host's result sink for one operation.
class Result {
 public:
  explicit Result(homeboy_result* result) noexcept : r_(result) {}

  void data(std::string_view bytes) noexcept { r_->set_data(r_, bytes.data(), bytes.size()); }
  // Host-owned buffer of `size` bytes that becomes the read's content (see data_buffer in the C header).
  char* data_buffer(size_t size) noexcept { return r_->data_buffer(r_, size); }
  void entry(std::string_view path, bool is_directory) noexcept {
    r_->add_entry(r_, path.data(), path.size(), is_directory ? 1 : 0);
  }
  // Reports the failure and returns `status`, for `return out.fail(...)`.
  homeboy_status fail(homeboy_status status, std::string_view message) noexcept {
    r_->set_error(r_, message.data(), message.size());
    return status;
  }

 private:
  homeboy_result* r_;
};

// What create() is told, with typed accessors.
class CreateInfo {
 public:
  explicit CreateInfo(const homeboy_create_info* info) noexcept : info_(info) {}
  std::string_view config_json() const noexcept { return {info_->config_json, info_->config_json_size}; }
  const char* config(const char* key) const noexcept { return info_->config_get(info_, key); }  // NULL when absent
  std::string_view config_dir() const noexcept { return info_->config_dir; }
  std::string_view module_dir() const noexcept { return info_->module_dir; }
  uint32_t abi_version() const noexcept { return info_->abi_version; }

 private:
  const homeboy_create_info* info_;
};

template <class Store>
struct Adapter {
  static Store& self(homeboy_storage* s) noexcept { return *reinterpret_cast<Store*>(s); }

  template <class Body>
  static homeboy_status guarded(homeboy_result* r, Body&& body) noexcept {
    Result out(r);
    try {
      return body(out);
    } catch (const Failure& f) {
      return out.fail(f.status(), f.what());
    } catch (const std::bad_alloc&) {
      return out.fail(HOMEBOY_ERR_IO, "out of memory");
    } catch (const std::exception& e) {
      return out.fail(HOMEBOY_ERR_IO, e.what());
    } catch (...) {
      return out.fail(HOMEBOY_ERR_IO, "unexpected failure");
    }
  }

  static homeboy_status read(homeboy_storage* s, const char* p, size_t n, homeboy_result* r) noexcept {
    return guarded(r, [&](Result& out) { return self(s).read({p, n}, out); });
  }
  static homeboy_status write(homeboy_storage* s, const char* p, size_t n, const char* c, size_t cn,
                              homeboy_result* r) noexcept {
    return guarded(r, [&](Result& out) { return self(s).write({p, n}, {c, cn}, out); });
  }
  static homeboy_status list(homeboy_storage* s, const char* p, size_t n, homeboy_result* r) noexcept {
    return guarded(r, [&](Result& out) { return self(s).list({p, n}, out); });
  }
  static homeboy_status remove(homeboy_storage* s, const char* p, size_t n, int32_t dir, homeboy_result* r) noexcept {
    return guarded(r, [&](Result& out) { return self(s).remove({p, n}, dir != 0, out); });
  }
  static homeboy_status ensure_dir(homeboy_storage* s, const char* p, size_t n, homeboy_result* r) noexcept {
    return guarded(r, [&](Result& out) { return self(s).ensure_dir({p, n}, out); });
  }
  static homeboy_status batch(homeboy_storage* s, const homeboy_op* ops, size_t count, homeboy_result* results,
                              homeboy_status* statuses) noexcept {
    for (size_t i = 0; i < count; ++i) {
      const homeboy_op& op = ops[i];
      homeboy_result* r = &results[i];
      switch (op.operation) {
        case HOMEBOY_OP_READ: statuses[i] = read(s, op.path, op.path_size, r); break;
        case HOMEBOY_OP_WRITE: statuses[i] = write(s, op.path, op.path_size, op.content, op.content_size, r); break;
        case HOMEBOY_OP_LIST: statuses[i] = list(s, op.path, op.path_size, r); break;
        case HOMEBOY_OP_DELETE: statuses[i] = remove(s, op.path, op.path_size, op.is_directory, r); break;
        case HOMEBOY_OP_ENSURE_DIR: statuses[i] = ensure_dir(s, op.path, op.path_size, r); break;
        default: statuses[i] = Result(r).fail(HOMEBOY_ERR_UNSUPPORTED, "unknown operation");
      }
    }
    return HOMEBOY_OK;
  }
  static void destroy(homeboy_storage* s) noexcept { delete &self(s); }

  static constexpr homeboy_storage_vtable vtable = {
      sizeof(homeboy_storage_vtable), HOMEBOY_CAP_BATCH, &read, &write, &list, &remove, &ensure_dir, &batch,
      &destroy};

  static homeboy_status negotiate(uint32_t host_max_version, uint32_t* chosen) noexcept {
    if (host_max_version < 1) return HOMEBOY_ERR_UNSUPPORTED;
    *chosen = 1;  // the version this header describes
    return HOMEBOY_OK;
  }

  static homeboy_status create(const homeboy_create_info* info, homeboy_storage** instance,
                               const homeboy_storage_vtable** table, homeboy_result* error) noexcept {
    return guarded(error, [&](Result&) {
      *instance = reinterpret_cast<homeboy_storage*>(new Store(CreateInfo(info)));
      *table = &vtable;
      return HOMEBOY_OK;
    });
  }
};

}  // namespace homeboy::plugin

// Defines the exported entry point for `Store`. Use once, at namespace scope.
#define HOMEBOY_STORAGE_PLUGIN(Store, plugin_name)                                                        \
  extern "C" HOMEBOY_PLUGIN_EXPORT const homeboy_plugin_entry homeboy_storage_plugin_entry = {           \
      sizeof(homeboy_plugin_entry), plugin_name, &::homeboy::plugin::Adapter<Store>::negotiate,          \
      &::homeboy::plugin::Adapter<Store>::create};

#endif /* HOMEBOY_STORAGE_PLUGIN_HPP */
