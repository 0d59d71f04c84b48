/*
 * Optional C++20 helper for writing a homeboy storage plugin in C++.
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
 *
 *     // Optional, for versions (compare-and-swap): report versions with out.version(...) from
 *     // read and write, and offer both of these. The plugin then declares HOMEBOY_CAP_VERSIONS.
 *     homeboy_status write_if(std::string_view path, std::string_view content,
 *                             const homeboy::plugin::Condition& condition, homeboy::plugin::Result& out);
 *     homeboy_status remove_if(std::string_view path, bool is_directory,
 *                              const homeboy::plugin::Condition& condition, homeboy::plugin::Result& out);
 *
 *     // Optional: runs a whole batch itself (to make its writes durable together, say), as
 *     // batch_v2 in storage_plugin.h, filling every status. Adapter<MyStore>::run_one runs
 *     // one operation as the helper would.
 *     homeboy_status batch(const homeboy_op* const* ops, homeboy_result* const* results,
 *                          homeboy_status* statuses, size_t count) noexcept;
 *   };
 *   HOMEBOY_STORAGE_PLUGIN(MyStore, "my-store")
 *
 * Batches are offered too: the host gets one call, the helper runs the operations in order
 * (or hands the batch to the class's own `batch`).
 * The helper speaks ABI versions 1 and 2, so the plugin loads in older hosts as well.
 */
#ifndef HOMEBOY_STORAGE_PLUGIN_HPP
#define HOMEBOY_STORAGE_PLUGIN_HPP

#include <homeboy/storage_plugin.h>

#include <concepts>
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
  // The version of what was read or written; ignored by a host that does not take versions.
  void version(std::string_view token) noexcept {
    if (HOMEBOY_HAS(r_, homeboy_result, set_version) && r_->set_version)
      r_->set_version(r_, token.data(), token.size());
  }
  // Reports the failure and returns `status`, for `return out.fail(...)`.
  homeboy_status fail(homeboy_status status, std::string_view message) noexcept {
    r_->set_error(r_, message.data(), message.size());
    return status;
  }

 private:
  homeboy_result* r_;
};

// A condition on a write or delete.
struct Condition {
  enum class Kind { if_version, if_absent };
  Kind kind = Kind::if_version;
  std::string_view version;  // if_version

  static Condition from(const homeboy_condition* c) noexcept {
    Condition out;
    out.kind = c->kind == HOMEBOY_IF_ABSENT ? Kind::if_absent : Kind::if_version;
    if (out.kind == Kind::if_version) out.version = {c->version, c->version_size};
    return out;
  }
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
concept HasVersions = requires(Store& s, std::string_view p, const Condition& c, Result& r) {
  { s.write_if(p, p, c, r) } -> std::same_as<homeboy_status>;
  { s.remove_if(p, true, c, r) } -> std::same_as<homeboy_status>;
};

template <class Store>
concept RunsBatches = requires(Store& s, const homeboy_op* const* ops, homeboy_result* const* results,
                               homeboy_status* statuses, size_t count) {
  { s.batch(ops, results, statuses, count) } noexcept -> std::same_as<homeboy_status>;
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
  static homeboy_status write_if(homeboy_storage* s, const char* p, size_t n, const char* c, size_t cn,
                                 const homeboy_condition* condition, homeboy_result* r) noexcept {
    return guarded(r, [&](Result& out) {
      if constexpr (HasVersions<Store>) return self(s).write_if({p, n}, {c, cn}, Condition::from(condition), out);
      return out.fail(HOMEBOY_ERR_UNSUPPORTED, "this plugin has no versions");
    });
  }
  static homeboy_status remove_if(homeboy_storage* s, const char* p, size_t n, int32_t dir,
                                  const homeboy_condition* condition, homeboy_result* r) noexcept {
    return guarded(r, [&](Result& out) {
      if constexpr (HasVersions<Store>) return self(s).remove_if({p, n}, dir != 0, Condition::from(condition), out);
      return out.fail(HOMEBOY_ERR_UNSUPPORTED, "this plugin has no versions");
    });
  }

  // One operation of a batch; `has_condition` is false for version-1 tables, which end
  // before the condition member.
  static homeboy_status run(homeboy_storage* s, const homeboy_op& op, bool has_condition, homeboy_result* r) noexcept {
    const homeboy_condition* condition = has_condition ? op.condition : nullptr;
    switch (op.operation) {
      case HOMEBOY_OP_READ: return read(s, op.path, op.path_size, r);
      case HOMEBOY_OP_WRITE:
        if (condition) return write_if(s, op.path, op.path_size, op.content, op.content_size, condition, r);
        return write(s, op.path, op.path_size, op.content, op.content_size, r);
      case HOMEBOY_OP_LIST: return list(s, op.path, op.path_size, r);
      case HOMEBOY_OP_DELETE:
        if (condition) return remove_if(s, op.path, op.path_size, op.is_directory, condition, r);
        return remove(s, op.path, op.path_size, op.is_directory, r);
      case HOMEBOY_OP_ENSURE_DIR: return ensure_dir(s, op.path, op.path_size, r);
      default: return Result(r).fail(HOMEBOY_ERR_UNSUPPORTED, "unknown operation");
    }
  }

  // Version 1: the arrays are laid out at the version-1 strides, whatever this header's sizes.
  static homeboy_status batch(homeboy_storage* s, const homeboy_op* ops, size_t count, homeboy_result* results,
                              homeboy_status* statuses) noexcept {
    const char* op_bytes = reinterpret_cast<const char*>(ops);
    char* result_bytes = reinterpret_cast<char*>(results);
    for (size_t i = 0; i < count; ++i) {
      const auto* op = reinterpret_cast<const homeboy_op*>(op_bytes + i * HOMEBOY_OP_V1_SIZE);
      auto* r = reinterpret_cast<homeboy_result*>(result_bytes + i * HOMEBOY_RESULT_V1_SIZE);
      statuses[i] = run(s, *op, false, r);
    }
    return HOMEBOY_OK;
  }
  // One operation of a batch, for a class that runs its batches itself.
  static homeboy_status run_one(Store& store, const homeboy_op& op, homeboy_result* r) noexcept {
    return run(reinterpret_cast<homeboy_storage*>(&store), op, HOMEBOY_HAS(&op, homeboy_op, condition), r);
  }

  static homeboy_status batch_v2(homeboy_storage* s, const homeboy_op* const* ops, homeboy_result* const* results,
                                 homeboy_status* statuses, size_t count) noexcept {
    if constexpr (RunsBatches<Store>) return self(s).batch(ops, results, statuses, count);
    for (size_t i = 0; i < count; ++i)
      statuses[i] = run(s, *ops[i], HOMEBOY_HAS(ops[i], homeboy_op, condition), results[i]);
    return HOMEBOY_OK;
  }
  static void destroy(homeboy_storage* s) noexcept { delete &self(s); }

  static constexpr homeboy_storage_vtable vtable = {
      sizeof(homeboy_storage_vtable),
      HOMEBOY_CAP_BATCH | (HasVersions<Store> ? HOMEBOY_CAP_VERSIONS : 0u),
      &read, &write, &list, &remove, &ensure_dir, &batch, &destroy,
      HasVersions<Store> ? &write_if : nullptr, HasVersions<Store> ? &remove_if : nullptr, &batch_v2};

  static homeboy_status negotiate(uint32_t host_max_version, uint32_t* chosen) noexcept {
    if (host_max_version < 1) return HOMEBOY_ERR_UNSUPPORTED;
    *chosen = host_max_version < 2 ? host_max_version : 2;  // the versions this header describes
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
