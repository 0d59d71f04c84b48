#include "homeboy/transport/native_transport.hpp"

#include "homeboy/contract/limits.hpp"
#include "homeboy/transport/fd.hpp"

#include <homeboy/storage_plugin.h>

#define BOOST_DLL_USE_STD_FS 1
#include <boost/dll/shared_library.hpp>
#include <boost/json.hpp>

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <system_error>

namespace homeboy {

namespace {

using contract::Condition;
using contract::ErrorCode;
using contract::Event;
using contract::Operation;
using contract::Response;

static_assert(limits::content_bytes == HOMEBOY_CONTENT_LIMIT, "the ABI's content limit is the host's");

// While homeboy is inside a call into an in-process plugin: a plugin that calls exit() then
// ends homeboy with status 1 and a message, not with whatever status it chose (exit(0) would
// look like a write that succeeded).
std::atomic<const std::string*> inside_plugin{nullptr};

extern "C" void on_exit_inside_plugin() {
  const std::string* message = inside_plugin.load();
  if (!message) return;
  write_all(STDERR_FILENO, *message);
  ::_exit(1);
}

class InsidePlugin {
 public:
  InsidePlugin(std::string_view module_id, std::string_view what)
      : message_("homeboy: error: native plugin '" + std::string(module_id) + "' ended the process during '" +
                 std::string(what) + "' (storage.provider_crashed); whether that operation took effect is unknown. " +
                 "To keep homeboy running when a plugin fails: HOMEBOY_ISOLATION=process\n") {
    static const bool registered = std::atexit(on_exit_inside_plugin) == 0;
    (void)registered;
    inside_plugin.store(&message_);
  }
  ~InsidePlugin() { inside_plugin.store(nullptr); }
  InsidePlugin(const InsidePlugin&) = delete;
  InsidePlugin& operator=(const InsidePlugin&) = delete;

 private:
  std::string message_;
};

// A status as the version the plugin negotiated defines it: one added by a later version (a
// plugin built against a newer header that forgot to check) is read as io_error.
ErrorCode to_error_code(homeboy_status status, std::uint32_t abi_version) noexcept {
  switch (status) {
    case HOMEBOY_ERR_NOT_FOUND: return ErrorCode::not_found;
    case HOMEBOY_ERR_PERMISSION_DENIED: return ErrorCode::permission_denied;
    case HOMEBOY_ERR_INVALID_ARGUMENT: return ErrorCode::invalid_argument;
    case HOMEBOY_ERR_UNSUPPORTED: return ErrorCode::unsupported;
    case HOMEBOY_ERR_CONFLICT: return ErrorCode::conflict;
    case HOMEBOY_ERR_UNAVAILABLE: return ErrorCode::unavailable;
    case HOMEBOY_ERR_ABORTED: return ErrorCode::aborted;
    case HOMEBOY_ERR_TOO_LARGE: return abi_version >= 3 ? ErrorCode::too_large : ErrorCode::io_error;
    default: return ErrorCode::io_error;
  }
}

std::string status_text(homeboy_status status) {
  if (status == HOMEBOY_OK) return "HOMEBOY_OK";
  return std::to_string(status) + " (" +
         std::string(contract::to_string(to_error_code(status, HOMEBOY_STORAGE_ABI_VERSION))) + ")";
}

homeboy_operation to_abi(Operation op) noexcept {
  switch (op) {
    case Operation::read: return HOMEBOY_OP_READ;
    case Operation::write: return HOMEBOY_OP_WRITE;
    case Operation::list: return HOMEBOY_OP_LIST;
    case Operation::remove: return HOMEBOY_OP_DELETE;
    case Operation::check: return HOMEBOY_OP_CHECK;
    default: return HOMEBOY_OP_ENSURE_DIR;
  }
}

// A host-owned homeboy_result that records exactly what the plugin reported, so the
// validator can judge it (a success with an error, a read without data, data set twice).
struct ResultSink {
  homeboy_result c{};
  std::optional<std::string> data;
  std::optional<std::string> version;
  std::vector<contract::Entry> entries;
  std::optional<std::string> error;
  bool data_set = false, data_set_twice = false;
  bool out_of_memory = false, too_large = false;

  ResultSink() {
    c.struct_size = sizeof(homeboy_result);
    c.host_data = this;
    c.set_data = &set_data;
    c.add_entry = &add_entry;
    c.set_error = &set_error;
    c.data_buffer = &data_buffer;
    c.set_version = &set_version;
  }
  ResultSink(const ResultSink&) = delete;
  ResultSink& operator=(const ResultSink&) = delete;

  static ResultSink& of(homeboy_result* r) noexcept { return *static_cast<ResultSink*>(r->host_data); }

  template <class Body>
  static void guarded(ResultSink& self, Body body) noexcept {
    try {
      body();
    } catch (...) {
      self.out_of_memory = true;
    }
  }

  static void set_data(homeboy_result* r, const char* bytes, size_t size) noexcept {
    auto& self = of(r);
    if (self.data_set) self.data_set_twice = true;
    self.data_set = true;
    if (size > limits::content_bytes) {
      self.too_large = true;
      return;
    }
    guarded(self, [&] { self.data.emplace(bytes ? bytes : "", bytes ? size : 0); });
  }
  static void add_entry(homeboy_result* r, const char* path, size_t size, int32_t is_directory) noexcept {
    auto& self = of(r);
    guarded(self, [&] { self.entries.push_back({std::string(path ? path : "", path ? size : 0), is_directory != 0}); });
  }
  static char* data_buffer(homeboy_result* r, size_t size) noexcept {
    auto& self = of(r);
    if (size > limits::content_bytes) {
      self.too_large = true;
      return nullptr;
    }
    char* out = nullptr;
    guarded(self, [&] {
      if (!self.data) self.data.emplace();
      self.data->resize(size);
      // Give back what a shrink leaves over, so a batch holds only what it carries.
      if (self.data->capacity() > size + size / 2 + 64) self.data->shrink_to_fit();
      out = self.data->data();
    });
    return out;
  }
  static void set_error(homeboy_result* r, const char* message, size_t size) noexcept {
    auto& self = of(r);
    guarded(self, [&] { self.error.emplace(message ? message : "", message ? size : 0); });
  }
  static void set_version(homeboy_result* r, const char* version, size_t size) noexcept {
    auto& self = of(r);
    guarded(self, [&] { self.version.emplace(version ? version : "", version ? size : 0); });
  }

  Response to_response(homeboy_status status, const Event& event, std::string_view module_id,
                       std::uint32_t abi_version) {
    if (data_set_twice)
      throw contract::violation({module_id}, event, contract::rule::data_set_twice,
                                "a read must report its content once (set_data was called twice)", "");
    Response r;
    r.success = status == HOMEBOY_OK;
    if (too_large) {
      return Response::failure(ErrorCode::too_large, "the content is larger than the " +
                                                         std::to_string(limits::content_bytes >> 20) + " MiB limit");
    }
    if (out_of_memory) {
      // The plugin's own failure says more, when it reported one.
      if (r.success || !error) return Response::failure(ErrorCode::io_error, "the host ran out of memory for the answer");
    }
    r.error = std::move(error);
    if (!r.success) r.error_code = to_error_code(status, abi_version);
    r.data = std::move(data);
    r.version = std::move(version);
    if (event.operation == Operation::list && r.success) r.entries = std::move(entries);  // the facade sorts
    return r;
  }
};

// The config handed to create(): JSON text plus scalar look-ups for plain-C plugins.
struct CreateInfo {
  homeboy_create_info c{};
  std::string json_text;
  std::string config_dir, module_dir;
  const boost::json::object* config = nullptr;
  std::deque<std::string> scalars;  // a deque never moves its elements: every answer stays valid

  static const char* get(const homeboy_create_info* info, const char* key) noexcept {
    auto& self = *static_cast<CreateInfo*>(info->host_data);
    try {
      if (!self.config || !key) return nullptr;
      const auto* v = self.config->if_contains(key);
      if (!v) return nullptr;
      if (v->is_string()) {
        self.scalars.emplace_back(v->get_string());
      } else if (v->is_number() || v->is_bool()) {
        self.scalars.push_back(boost::json::serialize(*v));
      } else {
        return nullptr;
      }
      return self.scalars.back().c_str();
    } catch (...) {
      return nullptr;
    }
  }
};

// A homeboy_condition built from the contract's Condition; valid while `source` lives.
struct AbiCondition {
  homeboy_condition c{};
  explicit AbiCondition(const Condition& source) {
    c.struct_size = sizeof(homeboy_condition);
    c.kind = source.kind == Condition::Kind::if_absent ? HOMEBOY_IF_ABSENT : HOMEBOY_IF_VERSION;
    c.version = source.version.data();
    c.version_size = source.version.size();
  }
};

// Copies of host tables laid out at a fixed stride: what a version-1 plugin indexes by.
class StridedArray {
 public:
  StridedArray(std::size_t count, std::size_t stride) : stride_(stride), bytes_(count * stride + 1) {}
  template <class T>
  void put(std::size_t i, const T& table, std::size_t size) {
    std::memcpy(bytes_.data() + i * stride_, &table, std::min(size, sizeof(T)));
  }
  template <class T>
  T* as() noexcept {
    return reinterpret_cast<T*>(bytes_.data());
  }

 private:
  std::size_t stride_;
  std::vector<unsigned char> bytes_;
};

class NativeTransport final : public Transport {
 public:
  NativeTransport(std::string module_id, boost::dll::shared_library library, std::uint32_t abi_version,
                  homeboy_storage* instance, const homeboy_storage_vtable* vtable)
      : module_id_(std::move(module_id)),
        library_(std::move(library)),
        abi_version_(abi_version),
        instance_(instance),
        vtable_(vtable) {
    capabilities_.binary = true;  // the ABI carries bytes
    capabilities_.versions = has_versions();
    capabilities_.atomic_batch = supports_batch() && (vtable_->capabilities & HOMEBOY_CAP_BATCH_ATOMIC);
    // open_native refused the flag without what it needs; batch_v2 is what carries checks.
    capabilities_.transactions = batch_v2() && (vtable_->capabilities & HOMEBOY_CAP_TRANSACTIONS);
  }

  ~NativeTransport() override {
    vtable_->destroy(instance_);
    // library_ is released after the instance: nothing from it outlives it.
  }

  Response send(const Event& event) override {
    std::lock_guard lock(mutex_);
    InsidePlugin inside(module_id_, contract::to_string(event.operation));
    if (event.operation == Operation::batch) return send_batch(event);
    if (event.operation == Operation::check) return lone_check(event);
    ResultSink sink;
    homeboy_status status = call(event, sink.c);
    return sink.to_response(status, event, module_id_, abi_version_);
  }

  bool supports_batch() const noexcept override { return batch_v1() || batch_v2(); }
  contract::Capabilities capabilities() const noexcept override { return capabilities_; }
  TransportKind kind() const noexcept override { return TransportKind::native; }

 private:
  bool offers(std::size_t member_end) const noexcept { return vtable_->struct_size >= member_end; }

  bool has_versions() const noexcept {
    return abi_version_ >= 2 && (vtable_->capabilities & HOMEBOY_CAP_VERSIONS) &&
           offers(HOMEBOY_SIZE_THROUGH(homeboy_storage_vtable, remove_if)) && vtable_->write_if && vtable_->remove_if;
  }
  bool batch_v1() const noexcept {
    return abi_version_ == 1 && (vtable_->capabilities & HOMEBOY_CAP_BATCH) && vtable_->batch;
  }
  bool batch_v2() const noexcept {
    return abi_version_ >= 2 && (vtable_->capabilities & HOMEBOY_CAP_BATCH) &&
           offers(HOMEBOY_SIZE_THROUGH(homeboy_storage_vtable, batch_v2)) && vtable_->batch_v2;
  }

  homeboy_status call(const Event& e, homeboy_result& result) {
    const char* p = e.path.data();
    size_t n = e.path.size();
    std::optional<AbiCondition> condition;
    if (e.condition) {
      if (!capabilities_.versions)
        throw errors::internal("a conditional operation reached a plugin without versions");
      condition.emplace(e.condition);
    }
    switch (e.operation) {
      case Operation::read: return vtable_->read(instance_, p, n, &result);
      case Operation::write:
        if (condition) return vtable_->write_if(instance_, p, n, e.content.data(), e.content.size(), &condition->c, &result);
        return vtable_->write(instance_, p, n, e.content.data(), e.content.size(), &result);
      case Operation::list: return vtable_->list(instance_, p, n, &result);
      case Operation::remove:
        if (condition) return vtable_->remove_if(instance_, p, n, e.is_directory ? 1 : 0, &condition->c, &result);
        return vtable_->remove(instance_, p, n, e.is_directory ? 1 : 0, &result);
      case Operation::ensure_dir: return vtable_->ensure_dir(instance_, p, n, &result);
      default: break;
    }
    throw errors::internal("unexpected operation for a native call");
  }

  homeboy_op make_op(const Event& e, const AbiCondition* condition) const {
    homeboy_op op{};
    op.struct_size = sizeof(homeboy_op);
    op.operation = to_abi(e.operation);
    op.path = e.path.data();
    op.path_size = e.path.size();
    op.content = e.operation == Operation::write ? e.content.data() : nullptr;
    op.content_size = e.operation == Operation::write ? e.content.size() : 0;
    op.is_directory = e.is_directory ? 1 : 0;
    op.condition = condition ? &condition->c : nullptr;
    return op;
  }

  // The ABI has no call of its own for a check: it goes as a batch of one.
  Response lone_check(const Event& event) {
    Response r = send_batch(Event::batch({event}));
    if (!r.success) return r;
    return std::move(r.results->front());
  }

  Response send_batch(const Event& event) {
    const auto count = event.operations.size();
    std::vector<ResultSink> sinks(count);
    std::vector<homeboy_status> statuses(count, HOMEBOY_ERR_IO);
    homeboy_status status;
    if (batch_v2()) {
      std::deque<AbiCondition> conditions;
      std::vector<homeboy_op> ops(count);
      std::vector<const homeboy_op*> op_pointers(count);
      std::vector<homeboy_result*> result_pointers(count);
      for (std::size_t i = 0; i < count; ++i) {
        const auto& e = event.operations[i];
        const AbiCondition* condition = nullptr;
        if (e.condition) {
          if (!capabilities_.versions) throw errors::internal("a conditional operation reached a plugin without versions");
          condition = &conditions.emplace_back(e.condition);
        }
        ops[i] = make_op(e, condition);
        op_pointers[i] = &ops[i];
        result_pointers[i] = &sinks[i].c;
      }
      status = vtable_->batch_v2(instance_, op_pointers.data(), result_pointers.data(), statuses.data(), count);
    } else {
      // A version-1 plugin indexes both arrays by the version-1 sizes it was compiled with.
      StridedArray ops(count, HOMEBOY_OP_V1_SIZE), results(count, HOMEBOY_RESULT_V1_SIZE);
      for (std::size_t i = 0; i < count; ++i) {
        const auto& e = event.operations[i];
        if (e.condition) throw errors::internal("a conditional operation reached a version-1 plugin");
        homeboy_op op = make_op(e, nullptr);
        op.struct_size = HOMEBOY_OP_V1_SIZE;
        ops.put(i, op, HOMEBOY_OP_V1_SIZE);
        homeboy_result r = sinks[i].c;
        r.struct_size = HOMEBOY_RESULT_V1_SIZE;
        results.put(i, r, HOMEBOY_RESULT_V1_SIZE);
      }
      status = vtable_->batch(instance_, ops.as<homeboy_op>(), count, results.as<homeboy_result>(), statuses.data());
    }
    if (status != HOMEBOY_OK) return Response::failure(to_error_code(status, abi_version_), "the plugin could not run the batch");
    Response r = Response::ok();
    r.results.emplace();
    r.results->reserve(count);
    bool all_ok = true;
    for (std::size_t i = 0; i < count; ++i) {
      r.results->push_back(sinks[i].to_response(statuses[i], event.operations[i], module_id_, abi_version_));
      all_ok = all_ok && r.results->back().success;
    }
    r.overall_success = all_ok;
    return r;
  }

  std::string module_id_;
  boost::dll::shared_library library_;
  std::uint32_t abi_version_;
  homeboy_storage* instance_;
  const homeboy_storage_vtable* vtable_;
  contract::Capabilities capabilities_;
  std::mutex mutex_;
};

// The first required member of a version-1 operation table that is missing, or nothing.
std::optional<std::string> missing_member(const homeboy_storage_vtable& v) {
  if (!v.read) return "read";
  if (!v.write) return "write";
  if (!v.list) return "list";
  if (!v.remove) return "remove";
  if (!v.ensure_dir) return "ensure_dir";
  if (!v.destroy) return "destroy";
  if ((v.capabilities & HOMEBOY_CAP_BATCH) && !v.batch &&
      !(v.struct_size >= HOMEBOY_SIZE_THROUGH(homeboy_storage_vtable, batch_v2) && v.batch_v2))
    return "batch (HOMEBOY_CAP_BATCH is set)";
  return std::nullopt;
}

std::optional<std::string> missing_v2_member(const homeboy_storage_vtable& v) {
  if (!(v.capabilities & HOMEBOY_CAP_VERSIONS)) return std::nullopt;
  if (v.struct_size < HOMEBOY_SIZE_THROUGH(homeboy_storage_vtable, remove_if))
    return "write_if and remove_if (HOMEBOY_CAP_VERSIONS is set, but the table is " + std::to_string(v.struct_size) +
           " bytes, too short to hold them)";
  if (!v.write_if) return "write_if (HOMEBOY_CAP_VERSIONS is set)";
  if (!v.remove_if) return "remove_if (HOMEBOY_CAP_VERSIONS is set)";
  return std::nullopt;
}

}  // namespace

std::uint32_t host_abi_version() noexcept { return HOMEBOY_STORAGE_ABI_VERSION; }

std::unique_ptr<Transport> open_native(const Module& module, const std::filesystem::path& config_dir) {
  namespace fs = std::filesystem;
  if (!module.manifest.runtime.library)
    throw NativeLoadError("library_missing", "the manifest names no runtime.library");
  fs::path path = module.dir / *module.manifest.runtime.library;
  std::error_code exists_ec;
  if (!fs::is_regular_file(path, exists_ec))
    throw NativeLoadError("library_missing", "library " + path.string() + " does not exist");

  boost::dll::shared_library library;
  boost::dll::fs::error_code ec;
  // rtld_now: an unresolved symbol is a load failure now, not a crash later.
  library.load(path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, ec);
  if (ec) {
    const char* why = ::dlerror();
    throw NativeLoadError("not_a_library", "library " + path.string() + " cannot be loaded: " +
                                               (why ? std::string(why) : ec.message()));
  }
  if (!library.has(HOMEBOY_STORAGE_ENTRY_SYMBOL))
    throw NativeLoadError("entry_symbol_missing", "library " + path.string() + " does not export " +
                                                      HOMEBOY_STORAGE_ENTRY_SYMBOL);
  const auto& entry = library.get<const homeboy_plugin_entry>(HOMEBOY_STORAGE_ENTRY_SYMBOL);
  auto refuse = [&](const std::string& why) {
    return NativeLoadError("no_common_abi", "library " + path.string() + ": " + why + " (host speaks ABI versions 1 to " +
                                                std::to_string(host_abi_version()) + ")");
  };
  // A later version may have appended members; only the version-1 ones are needed here.
  if (entry.struct_size < HOMEBOY_ENTRY_V1_SIZE)
    throw refuse("its entry declares struct_size " + std::to_string(entry.struct_size) + ", version 1 needs at least " +
                 std::to_string(HOMEBOY_ENTRY_V1_SIZE));
  if (!entry.negotiate) throw refuse("its entry has no negotiate function");
  if (!entry.create) throw refuse("its entry has no create function");
  std::string plugin_name = entry.name ? entry.name : module.id;

  std::uint32_t chosen = 0;
  homeboy_status answer = entry.negotiate(host_abi_version(), &chosen);
  if (answer != HOMEBOY_OK)
    throw refuse("plugin '" + plugin_name + "' refused to negotiate: negotiate(" + std::to_string(host_abi_version()) +
                 ") returned " + status_text(answer));
  if (chosen == 0 || chosen > host_abi_version())
    throw refuse("plugin '" + plugin_name + "' chose ABI version " + std::to_string(chosen) +
                 ", which this host does not speak");

  CreateInfo info;
  const auto& config = module.manifest.storage_provider ? module.manifest.storage_provider->config
                                                        : boost::json::object{};
  info.json_text = boost::json::serialize(config);
  info.config = module.manifest.storage_provider ? &module.manifest.storage_provider->config : nullptr;
  info.config_dir = config_dir.string();
  info.module_dir = module.dir.string();
  info.c = homeboy_create_info{};  // members a later header appends stay zero
  info.c.struct_size = sizeof(homeboy_create_info);
  info.c.abi_version = chosen;
  info.c.config_json = info.json_text.c_str();
  info.c.config_json_size = info.json_text.size();
  info.c.config_dir = info.config_dir.c_str();
  info.c.module_dir = info.module_dir.c_str();
  info.c.config_get = &CreateInfo::get;
  info.c.host_data = &info;
  ResultSink error;
  if (chosen == 1) error.c.struct_size = HOMEBOY_RESULT_V1_SIZE;
  homeboy_storage* instance = nullptr;
  const homeboy_storage_vtable* vtable = nullptr;
  homeboy_status status;
  {
    InsidePlugin inside(module.id, "create");
    status = entry.create(&info.c, &instance, &vtable, &error.c);
  }
  if (status != HOMEBOY_OK || !instance || !vtable) {
    std::string why = error.error.value_or("no reason given");
    if (status == HOMEBOY_OK) why = "create() reported success but returned no instance or no operation table";
    throw NativeLoadError("creation_failed", "plugin '" + plugin_name + "' could not be created: " + why);
  }
  auto incomplete = [&](const std::string& why) {
    // destroy is only called when the plugin gave one: the instance is the plugin's to free.
    if (vtable->struct_size >= HOMEBOY_VTABLE_V1_SIZE && vtable->destroy) vtable->destroy(instance);
    return NativeLoadError("creation_failed", "plugin '" + plugin_name + "' returned an incomplete operation table: " + why);
  };
  if (vtable->struct_size < HOMEBOY_VTABLE_V1_SIZE)
    throw incomplete("it declares struct_size " + std::to_string(vtable->struct_size) + ", version 1 needs at least " +
                     std::to_string(HOMEBOY_VTABLE_V1_SIZE));
  if (auto member = missing_member(*vtable)) throw incomplete("the member " + *member + " is NULL");
  if (chosen >= 2)
    if (auto member = missing_v2_member(*vtable)) throw incomplete("the member " + *member + " is missing");
  // Transactions are all-or-nothing batches with conditions, carried by batch_v2.
  constexpr std::uint32_t transaction_needs = HOMEBOY_CAP_BATCH | HOMEBOY_CAP_BATCH_ATOMIC | HOMEBOY_CAP_VERSIONS;
  if ((vtable->capabilities & HOMEBOY_CAP_TRANSACTIONS) &&
      (chosen < 2 || (vtable->capabilities & transaction_needs) != transaction_needs ||
       vtable->struct_size < HOMEBOY_SIZE_THROUGH(homeboy_storage_vtable, batch_v2) || !vtable->batch_v2))
    throw incomplete("it sets HOMEBOY_CAP_TRANSACTIONS, which needs ABI version 2 (it chose " + std::to_string(chosen) +
                     "), a batch_v2 member, and HOMEBOY_CAP_BATCH, HOMEBOY_CAP_BATCH_ATOMIC and HOMEBOY_CAP_VERSIONS set "
                     "too");
  return std::make_unique<NativeTransport>(module.id, std::move(library), chosen, instance, vtable);
}

}  // namespace homeboy
