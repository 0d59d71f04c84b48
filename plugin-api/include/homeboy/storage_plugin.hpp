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
 *     // Optional, a batch as one unit of work (a database transaction): see Batch below.
 *     homeboy_status batch(homeboy::plugin::Batch& batch);
 *     static constexpr bool atomic_batches = true;  // declares HOMEBOY_CAP_BATCH_ATOMIC
 *     // Or, optional and instead of batch: runs a whole batch itself, below Batch (to make
 *     // its writes durable together, say), with batch_v2's arrays, filling every status;
 *     // run.run(run.store, op, result) runs one operation as the helper would.
 *     homeboy_status run_batch(const homeboy_op* const* ops, homeboy_result* const* results,
 *                              homeboy_status* statuses, size_t count,
 *                              const homeboy::plugin::detail::BatchRunner& run) noexcept;
 *   };
 *   HOMEBOY_STORAGE_PLUGIN(MyStore, "my-store")
 *
 * A class whose operations do not have these signatures does not compile, with a message
 * that names the one to fix: a write_if the helper could not call would otherwise drop
 * versions without a word. Without a batch member, batches are offered all the same: the
 * helper runs their operations in order. The helper speaks every ABI version this header
 * describes (HOMEBOY_STORAGE_ABI_VERSION) and the earlier ones, so the plugin loads in older
 * hosts as well; a HOMEBOY_ERR_TOO_LARGE becomes HOMEBOY_ERR_INVALID_ARGUMENT for a host that
 * negotiated a version before 3.
 */
#ifndef HOMEBOY_STORAGE_PLUGIN_HPP
#define HOMEBOY_STORAGE_PLUGIN_HPP

#include <homeboy/storage_plugin.h>

#include <concepts>
#include <exception>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// A condition on a write, delete or check.
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

// One operation of a batch, as a batch hook sees it.
class Operation {
 public:
  Operation(const homeboy_op* op, bool has_condition) noexcept : op_(op), has_condition_(has_condition) {}
  homeboy_operation kind() const noexcept { return op_->operation; }
  std::string_view path() const noexcept { return {op_->path, op_->path_size}; }
  std::string_view content() const noexcept { return {op_->content, op_->content_size}; }  // write only
  bool is_directory() const noexcept { return op_->is_directory != 0; }
  std::optional<Condition> condition() const noexcept {
    if (!has_condition_ || !op_->condition) return std::nullopt;
    return Condition::from(op_->condition);
  }
  // A write, delete, ensure_dir or check: what an all-or-nothing batch undoes or refuses.
  bool is_change() const noexcept { return kind() != HOMEBOY_OP_READ && kind() != HOMEBOY_OP_LIST; }
  const homeboy_op& c() const noexcept { return *op_; }

 private:
  const homeboy_op* op_;
  bool has_condition_;
};

class Batch;

namespace detail {

// What a batch hook's run needs from the adapter: one operation through the store's own members.
struct BatchRunner {
  void* store;
  homeboy_status (*run)(void* store, const Operation& op, homeboy_result* result) noexcept;
};

// A change's outcome, kept until the batch ends: an all-or-nothing batch that fails reports
// its earlier changes aborted, not done with a version.
struct Held {
  homeboy_result c{};
  std::optional<std::string> version, error;

  Held() noexcept {
    c.struct_size = sizeof(homeboy_result);
    c.host_data = this;
    c.set_data = [](homeboy_result*, const char*, size_t) noexcept {};  // a change reports no data
    c.add_entry = [](homeboy_result*, const char*, size_t, int32_t) noexcept {};
    c.data_buffer = [](homeboy_result*, size_t) noexcept -> char* { return nullptr; };
    c.set_error = [](homeboy_result* r, const char* m, size_t n) noexcept {
      try {
        static_cast<Held*>(r->host_data)->error.emplace(m, n);
      } catch (...) {  // out of memory: the status still tells the failure
      }
    };
    c.set_version = [](homeboy_result* r, const char* v, size_t n) noexcept {
      try {
        static_cast<Held*>(r->host_data)->version.emplace(v, n);
      } catch (...) {
      }
    };
  }
  Held(const Held&) = delete;
  Held& operator=(const Held&) = delete;
};

}  // namespace detail

/*
 * A batch handed to the store's batch hook, `homeboy_status batch(homeboy::plugin::Batch&)`.
 * The hook wraps the operations in its own unit of work and runs them through `run()`:
 *
 *   homeboy_status batch(homeboy::plugin::Batch& batch) {
 *     begin();                                   // BEGIN IMMEDIATE, a lock, ...
 *     if (auto failed = batch.run()) {           // in order; stops at the first failed change
 *       rollback();
 *       batch.abort(*failed);                    // the others report HOMEBOY_ERR_ABORTED
 *     } else {
 *       commit();                                // if this fails: rollback(), batch.fail_all(...)
 *     }
 *     return HOMEBOY_OK;
 *   }
 *
 * With `static constexpr bool atomic_batches = true` the class promises what
 * HOMEBOY_CAP_BATCH_ATOMIC says: after abort(), nothing of the batch remains. Changes report
 * to the host only when the batch ends: abort() and fail_all() replace what they reported.
 * A hook that returns without reporting an operation leaves it failed with HOMEBOY_ERR_IO.
 */
class Batch {
 public:
  Batch(detail::BatchRunner runner, std::vector<Operation> ops, homeboy_result* const* results,
        homeboy_status* statuses) noexcept
      : runner_(runner), ops_(std::move(ops)), results_(results), statuses_(statuses), held_(ops_.size()) {}
  Batch(const Batch&) = delete;  // the hook takes it by reference
  Batch& operator=(const Batch&) = delete;

  std::size_t size() const noexcept { return ops_.size(); }
  const Operation& operator[](std::size_t i) const noexcept { return ops_[i]; }
  homeboy_status status(std::size_t i) const noexcept { return statuses_[i]; }

  // Runs operation `i` through the store's own members, as the single operation would, and
  // returns its status. Run them in order.
  homeboy_status run(std::size_t i) noexcept {
    bool change = ops_[i].is_change();
    homeboy_result* target = change ? &held_[i].c : results_[i];
    statuses_[i] = runner_.run(runner_.store, ops_[i], target);
    ran_[i] = true;
    return statuses_[i];
  }

  // Runs every operation in order; stops at the first change (write, delete, ensure_dir or
  // check) that fails and returns its index. Reads and lists that fail do not stop it.
  std::optional<std::size_t> run() noexcept {
    for (std::size_t i = 0; i < ops_.size(); ++i)
      if (run(i) != HOMEBOY_OK && ops_[i].is_change()) return i;
    return std::nullopt;
  }

  // After the store undid the batch: operation `failed` keeps its own error; every other
  // change, and every operation after it, reports HOMEBOY_ERR_ABORTED naming it.
  void abort(std::size_t failed) noexcept {
    std::string message = "not applied: operation " + std::to_string(failed + 1) + " of the batch (" +
                          std::string(ops_[failed].path()) + ") failed";
    for (std::size_t i = 0; i < ops_.size(); ++i)
      if (i != failed && (i > failed || ops_[i].is_change())) report(i, HOMEBOY_ERR_ABORTED, message);
  }

  // Fails every operation with `status` (the store could not begin or commit its unit of work).
  void fail_all(homeboy_status status, std::string_view message) noexcept {
    for (std::size_t i = 0; i < ops_.size(); ++i) report(i, status, message);
  }

  // Hands what the changes reported to the host. The adapter calls it when the hook returns.
  void finish() noexcept {
    for (std::size_t i = 0; i < ops_.size(); ++i) {
      if (reported_[i] || !ops_[i].is_change()) continue;
      if (!ran_[i]) {
        report(i, HOMEBOY_ERR_IO, "the plugin's batch did not run this operation");
        continue;
      }
      Result out(results_[i]);
      if (held_[i].error) out.fail(statuses_[i], *held_[i].error);
      if (held_[i].version && statuses_[i] == HOMEBOY_OK) out.version(*held_[i].version);
    }
  }

 private:
  void report(std::size_t i, homeboy_status status, std::string_view message) noexcept {
    if (reported_[i]) return;
    statuses_[i] = status;
    Result(results_[i]).fail(status, message);  // a change's own outcome was held back, and is dropped
    reported_[i] = true;
  }

  detail::BatchRunner runner_;
  std::vector<Operation> ops_;
  homeboy_result* const* results_;
  homeboy_status* statuses_;
  std::vector<detail::Held> held_;
  std::vector<bool> ran_ = std::vector<bool>(ops_.size(), false);
  std::vector<bool> reported_ = std::vector<bool>(ops_.size(), false);
};

// What the helper calls on the class; each concept names one member and its signature.
template <class Store>
concept HasCoreOperations = requires(Store& s, std::string_view p, Result& r) {
  { s.read(p, r) } -> std::same_as<homeboy_status>;
  { s.write(p, p, r) } -> std::same_as<homeboy_status>;
  { s.list(p, r) } -> std::same_as<homeboy_status>;
  { s.remove(p, true, r) } -> std::same_as<homeboy_status>;
  { s.ensure_dir(p, r) } -> std::same_as<homeboy_status>;
};
template <class Store>
concept HasWriteIf = requires(Store& s, std::string_view p, const Condition& c, Result& r) {
  { s.write_if(p, p, c, r) } -> std::same_as<homeboy_status>;
};
template <class Store>
concept HasRemoveIf = requires(Store& s, std::string_view p, const Condition& c, Result& r) {
  { s.remove_if(p, true, c, r) } -> std::same_as<homeboy_status>;
};
template <class Store>
concept HasVersions = HasWriteIf<Store> && HasRemoveIf<Store>;
template <class Store>
concept HasBatch = requires(Store& s, Batch& b) {
  { s.batch(b) } -> std::same_as<homeboy_status>;
};
// The class names a member, whatever its signature (a single, non-template member).
template <class Store>
concept NamesWriteIf = requires { &Store::write_if; };
template <class Store>
concept NamesRemoveIf = requires { &Store::remove_if; };
template <class Store>
concept NamesBatch = requires { &Store::batch; };
template <class Store>
concept DeclaresAtomicBatches = requires {
  { Store::atomic_batches } -> std::convertible_to<bool>;
};

// A class that runs a whole batch itself, below Batch: batch_v2's arrays, every status filled.
template <class Store>
concept RunsBatchesItself = requires(Store& s, const homeboy_op* const* ops, homeboy_result* const* results,
                                     homeboy_status* statuses, size_t count, const detail::BatchRunner& run) {
  { s.run_batch(ops, results, statuses, count, run) } noexcept -> std::same_as<homeboy_status>;
};

template <class Store>
struct Adapter {
  static_assert(HasCoreOperations<Store>,
                "homeboy::plugin: the store class needs read, write, list, remove and ensure_dir with these signatures: "
                "homeboy_status read(std::string_view path, homeboy::plugin::Result&); "
                "homeboy_status write(std::string_view path, std::string_view content, homeboy::plugin::Result&); "
                "homeboy_status list(std::string_view path, homeboy::plugin::Result&); "
                "homeboy_status remove(std::string_view path, bool is_directory, homeboy::plugin::Result&); "
                "homeboy_status ensure_dir(std::string_view path, homeboy::plugin::Result&)");
  static_assert(HasWriteIf<Store> || !NamesWriteIf<Store>,
                "homeboy::plugin: write_if does not have the signature the helper calls, so versions would be "
                "dropped: homeboy_status write_if(std::string_view path, std::string_view content, "
                "const homeboy::plugin::Condition&, homeboy::plugin::Result&)");
  static_assert(HasRemoveIf<Store> || !NamesRemoveIf<Store>,
                "homeboy::plugin: remove_if does not have the signature the helper calls, so versions would be "
                "dropped: homeboy_status remove_if(std::string_view path, bool is_directory, "
                "const homeboy::plugin::Condition&, homeboy::plugin::Result&)");
  static_assert(HasWriteIf<Store> == HasRemoveIf<Store>,
                "homeboy::plugin: versions need both write_if and remove_if (HOMEBOY_CAP_VERSIONS promises both)");
  static_assert(HasBatch<Store> || !NamesBatch<Store>,
                "homeboy::plugin: batch does not have the signature the helper calls: "
                "homeboy_status batch(homeboy::plugin::Batch&)");
  static_assert(!(HasBatch<Store> && RunsBatchesItself<Store>),
                "homeboy::plugin: a store class has either batch(Batch&) or run_batch(...), not both");
  static_assert(!DeclaresAtomicBatches<Store> || HasBatch<Store>,
                "homeboy::plugin: atomic_batches needs a batch member that undoes a failed batch "
                "(homeboy_status batch(homeboy::plugin::Batch&))");

  static constexpr bool atomic = [] {
    if constexpr (DeclaresAtomicBatches<Store>)
      return static_cast<bool>(Store::atomic_batches);
    else
      return false;
  }();

  // The instance the host holds: the store, and the version it negotiated.
  struct Instance {
    uint32_t abi_version;
    Store store;
  };
  static Instance& self(homeboy_storage* s) noexcept { return *reinterpret_cast<Instance*>(s); }

  // A status the negotiated version defines (storage_plugin.h: statuses are negotiated too).
  static homeboy_status for_host(homeboy_status status, uint32_t abi_version) noexcept {
    return status == HOMEBOY_ERR_TOO_LARGE && abi_version < 3 ? HOMEBOY_ERR_INVALID_ARGUMENT : status;
  }

  template <class Body>
  static homeboy_status guarded(homeboy_storage* s, homeboy_result* r, Body&& body) noexcept {
    Result out(r);
    homeboy_status status;
    try {
      status = body(out);
    } catch (const Failure& f) {
      status = out.fail(f.status(), f.what());
    } catch (const std::bad_alloc&) {
      status = out.fail(HOMEBOY_ERR_IO, "out of memory");
    } catch (const std::exception& e) {
      status = out.fail(HOMEBOY_ERR_IO, e.what());
    } catch (...) {
      status = out.fail(HOMEBOY_ERR_IO, "unexpected failure");
    }
    return s ? for_host(status, self(s).abi_version) : status;
  }

  static homeboy_status read(homeboy_storage* s, const char* p, size_t n, homeboy_result* r) noexcept {
    return guarded(s, r, [&](Result& out) { return self(s).store.read({p, n}, out); });
  }
  static homeboy_status write(homeboy_storage* s, const char* p, size_t n, const char* c, size_t cn,
                              homeboy_result* r) noexcept {
    return guarded(s, r, [&](Result& out) { return self(s).store.write({p, n}, {c, cn}, out); });
  }
  static homeboy_status list(homeboy_storage* s, const char* p, size_t n, homeboy_result* r) noexcept {
    return guarded(s, r, [&](Result& out) { return self(s).store.list({p, n}, out); });
  }
  static homeboy_status remove(homeboy_storage* s, const char* p, size_t n, int32_t dir, homeboy_result* r) noexcept {
    return guarded(s, r, [&](Result& out) { return self(s).store.remove({p, n}, dir != 0, out); });
  }
  static homeboy_status ensure_dir(homeboy_storage* s, const char* p, size_t n, homeboy_result* r) noexcept {
    return guarded(s, r, [&](Result& out) { return self(s).store.ensure_dir({p, n}, out); });
  }
  static homeboy_status write_if(homeboy_storage* s, const char* p, size_t n, const char* c, size_t cn,
                                 const homeboy_condition* condition, homeboy_result* r) noexcept {
    return guarded(s, r, [&](Result& out) {
      if constexpr (HasVersions<Store>)
        return self(s).store.write_if({p, n}, {c, cn}, Condition::from(condition), out);
      return out.fail(HOMEBOY_ERR_UNSUPPORTED, "this plugin has no versions");
    });
  }
  static homeboy_status remove_if(homeboy_storage* s, const char* p, size_t n, int32_t dir,
                                  const homeboy_condition* condition, homeboy_result* r) noexcept {
    return guarded(s, r, [&](Result& out) {
      if constexpr (HasVersions<Store>)
        return self(s).store.remove_if({p, n}, dir != 0, Condition::from(condition), out);
      return out.fail(HOMEBOY_ERR_UNSUPPORTED, "this plugin has no versions");
    });
  }

  // One operation of a batch, through the members above.
  static homeboy_status run(homeboy_storage* s, const Operation& op, homeboy_result* r) noexcept {
    const homeboy_op& c = op.c();
    const homeboy_condition* condition = op.condition() ? c.condition : nullptr;
    switch (op.kind()) {
      case HOMEBOY_OP_READ: return read(s, c.path, c.path_size, r);
      case HOMEBOY_OP_WRITE:
        if (condition) return write_if(s, c.path, c.path_size, c.content, c.content_size, condition, r);
        return write(s, c.path, c.path_size, c.content, c.content_size, r);
      case HOMEBOY_OP_LIST: return list(s, c.path, c.path_size, r);
      case HOMEBOY_OP_DELETE:
        if (condition) return remove_if(s, c.path, c.path_size, c.is_directory, condition, r);
        return remove(s, c.path, c.path_size, c.is_directory, r);
      case HOMEBOY_OP_ENSURE_DIR: return ensure_dir(s, c.path, c.path_size, r);
      default: return Result(r).fail(HOMEBOY_ERR_UNSUPPORTED, "unknown operation");
    }
  }

  // The whole batch: the store's hook when it has one, else each operation in order.
  static homeboy_status run_batch(homeboy_storage* s, std::vector<Operation> ops, homeboy_result* const* results,
                                  homeboy_status* statuses) noexcept {
    if constexpr (HasBatch<Store>) {
      for (std::size_t i = 0; i < ops.size(); ++i) statuses[i] = HOMEBOY_ERR_IO;
      detail::BatchRunner runner{s, [](void* store, const Operation& op, homeboy_result* r) noexcept {
                                   return run(static_cast<homeboy_storage*>(store), op, r);
                                 }};
      try {
        Batch batch(runner, std::move(ops), results, statuses);
        homeboy_status status = HOMEBOY_ERR_IO;
        try {
          status = self(s).store.batch(batch);
        } catch (const Failure& f) {
          batch.fail_all(f.status(), f.what());
          status = HOMEBOY_OK;
        } catch (const std::exception& e) {
          batch.fail_all(HOMEBOY_ERR_IO, e.what());
          status = HOMEBOY_OK;
        } catch (...) {
          batch.fail_all(HOMEBOY_ERR_IO, "unexpected failure");
          status = HOMEBOY_OK;
        }
        batch.finish();
        for (std::size_t i = 0; i < batch.size(); ++i) statuses[i] = for_host(statuses[i], self(s).abi_version);
        return status;
      } catch (...) {
        return HOMEBOY_ERR_IO;  // out of memory before the batch could start
      }
    } else {
      for (std::size_t i = 0; i < ops.size(); ++i) statuses[i] = run(s, ops[i], results[i]);
      return HOMEBOY_OK;
    }
  }

  // Version 1: the arrays are laid out at the version-1 strides, whatever this header's sizes.
  static homeboy_status batch(homeboy_storage* s, const homeboy_op* ops, size_t count, homeboy_result* results,
                              homeboy_status* statuses) noexcept {
    try {
      const char* op_bytes = reinterpret_cast<const char*>(ops);
      char* result_bytes = reinterpret_cast<char*>(results);
      std::vector<Operation> view;
      std::vector<homeboy_result*> sinks;
      view.reserve(count);
      sinks.reserve(count);
      for (size_t i = 0; i < count; ++i) {
        view.emplace_back(reinterpret_cast<const homeboy_op*>(op_bytes + i * HOMEBOY_OP_V1_SIZE), false);
        sinks.push_back(reinterpret_cast<homeboy_result*>(result_bytes + i * HOMEBOY_RESULT_V1_SIZE));
      }
      return run_batch(s, std::move(view), sinks.data(), statuses);
    } catch (...) {
      return HOMEBOY_ERR_IO;
    }
  }

  static homeboy_status batch_v2(homeboy_storage* s, const homeboy_op* const* ops, homeboy_result* const* results,
                                 homeboy_status* statuses, size_t count) noexcept {
    if constexpr (RunsBatchesItself<Store>) {
      detail::BatchRunner runner{s, [](void* store, const Operation& op, homeboy_result* r) noexcept {
                                   return run(static_cast<homeboy_storage*>(store), op, r);
                                 }};
      homeboy_status status = self(s).store.run_batch(ops, results, statuses, count, runner);
      for (size_t i = 0; i < count; ++i) statuses[i] = for_host(statuses[i], self(s).abi_version);
      return status;
    } else {
      try {
        std::vector<Operation> view;
        view.reserve(count);
        for (size_t i = 0; i < count; ++i) view.emplace_back(ops[i], HOMEBOY_HAS(ops[i], homeboy_op, condition));
        return run_batch(s, std::move(view), results, statuses);
      } catch (...) {
        return HOMEBOY_ERR_IO;
      }
    }
  }
  static void destroy(homeboy_storage* s) noexcept { delete &self(s); }

  static constexpr homeboy_storage_vtable vtable = {
      sizeof(homeboy_storage_vtable),
      HOMEBOY_CAP_BATCH | (HasVersions<Store> ? HOMEBOY_CAP_VERSIONS : 0u) | (atomic ? HOMEBOY_CAP_BATCH_ATOMIC : 0u),
      &read, &write, &list, &remove, &ensure_dir, &batch, &destroy,
      HasVersions<Store> ? &write_if : nullptr, HasVersions<Store> ? &remove_if : nullptr, &batch_v2};

  static homeboy_status negotiate(uint32_t host_max_version, uint32_t* chosen) noexcept {
    if (host_max_version < 1) return HOMEBOY_ERR_UNSUPPORTED;
    // The versions this header describes, up to the host's.
    *chosen = host_max_version < HOMEBOY_STORAGE_ABI_VERSION ? host_max_version : HOMEBOY_STORAGE_ABI_VERSION;
    return HOMEBOY_OK;
  }

  static homeboy_status create(const homeboy_create_info* info, homeboy_storage** instance,
                               const homeboy_storage_vtable** table, homeboy_result* error) noexcept {
    return guarded(nullptr, error, [&](Result&) {
      *instance = reinterpret_cast<homeboy_storage*>(new Instance{info->abi_version, Store(CreateInfo(info))});
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
