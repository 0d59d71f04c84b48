#include "homeboy/native_transport.hpp"

#include <homeboy/storage_plugin.h>

#define BOOST_DLL_USE_STD_FS 1
#include <boost/dll/shared_library.hpp>
#include <boost/json.hpp>

#include <dlfcn.h>

#include <algorithm>
#include <mutex>
#include <system_error>

namespace homeboy {

namespace {

using contract::ErrorCode;
using contract::Event;
using contract::Operation;
using contract::Response;

ErrorCode to_error_code(homeboy_status status) noexcept {
  switch (status) {
    case HOMEBOY_ERR_NOT_FOUND: return ErrorCode::not_found;
    case HOMEBOY_ERR_PERMISSION_DENIED: return ErrorCode::permission_denied;
    case HOMEBOY_ERR_INVALID_ARGUMENT: return ErrorCode::invalid_argument;
    case HOMEBOY_ERR_UNSUPPORTED: return ErrorCode::unsupported;
    case HOMEBOY_ERR_CONFLICT: return ErrorCode::conflict;
    default: return ErrorCode::io_error;
  }
}

homeboy_operation to_abi(Operation op) noexcept {
  switch (op) {
    case Operation::read: return HOMEBOY_OP_READ;
    case Operation::write: return HOMEBOY_OP_WRITE;
    case Operation::list: return HOMEBOY_OP_LIST;
    case Operation::remove: return HOMEBOY_OP_DELETE;
    default: return HOMEBOY_OP_ENSURE_DIR;
  }
}

// A host-owned homeboy_result that records exactly what the plugin reported, so the
// validator can judge it (a success with an error, a read without data, ...).
struct ResultSink {
  homeboy_result c{};
  std::optional<std::string> data;
  std::vector<contract::Entry> entries;
  std::optional<std::string> error;
  bool out_of_memory = false;

  ResultSink() {
    c.struct_size = sizeof(homeboy_result);
    c.host_data = this;
    c.set_data = &set_data;
    c.add_entry = &add_entry;
    c.set_error = &set_error;
    c.data_buffer = &data_buffer;
  }
  ResultSink(const ResultSink&) = delete;
  ResultSink& operator=(const ResultSink&) = delete;

  static ResultSink& of(homeboy_result* r) noexcept { return *static_cast<ResultSink*>(r->host_data); }

  static void set_data(homeboy_result* r, const char* bytes, size_t size) noexcept {
    auto& self = of(r);
    try {
      self.data.emplace(bytes ? bytes : "", bytes ? size : 0);
    } catch (...) {
      self.out_of_memory = true;
    }
  }
  static void add_entry(homeboy_result* r, const char* path, size_t size, int32_t is_directory) noexcept {
    auto& self = of(r);
    try {
      self.entries.push_back({std::string(path ? path : "", path ? size : 0), is_directory != 0});
    } catch (...) {
      self.out_of_memory = true;
    }
  }
  static char* data_buffer(homeboy_result* r, size_t size) noexcept {
    auto& self = of(r);
    try {
      if (!self.data) self.data.emplace();
      self.data->resize(size);
      return self.data->data();
    } catch (...) {
      self.out_of_memory = true;
      return nullptr;
    }
  }
  static void set_error(homeboy_result* r, const char* message, size_t size) noexcept {
    auto& self = of(r);
    try {
      self.error.emplace(message ? message : "", message ? size : 0);
    } catch (...) {
      self.out_of_memory = true;
    }
  }

  Response to_response(homeboy_status status, Operation op) {
    if (out_of_memory) throw std::bad_alloc();
    Response r;
    r.success = status == HOMEBOY_OK;
    r.error = std::move(error);
    if (!r.success) r.error_code = to_error_code(status);
    r.data = std::move(data);
    if (op == Operation::list && r.success) {
      std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
      r.entries = std::move(entries);
    }
    return r;
  }
};

// The config handed to create(): JSON text plus scalar look-ups for plain-C plugins.
struct CreateInfo {
  homeboy_create_info c{};
  std::string json_text;
  std::string config_dir, module_dir;
  const boost::json::object* config = nullptr;
  std::vector<std::string> scalars;  // keeps config_get's answers alive until create() returns

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

class NativeTransport final : public Transport {
 public:
  NativeTransport(std::string module_id, boost::dll::shared_library library, homeboy_storage* instance,
                  const homeboy_storage_vtable* vtable)
      : module_id_(std::move(module_id)), library_(std::move(library)), instance_(instance), vtable_(vtable) {}

  ~NativeTransport() override {
    if (vtable_->destroy) vtable_->destroy(instance_);
    // library_ is released after the instance: nothing from it outlives it.
  }

  Response send(const Event& event) override {
    std::lock_guard lock(mutex_);
    if (event.operation == Operation::batch) return send_batch(event);
    ResultSink sink;
    homeboy_status status = call(event, sink.c);
    return sink.to_response(status, event.operation);
  }

  bool supports_batch() const noexcept override { return batch_available(); }
  std::string_view kind() const noexcept override { return "native"; }

 private:
  bool batch_available() const noexcept {
    return (vtable_->capabilities & HOMEBOY_CAP_BATCH) &&
           vtable_->struct_size >= offsetof(homeboy_storage_vtable, batch) + sizeof(vtable_->batch) &&
           vtable_->batch != nullptr;
  }

  homeboy_status call(const Event& e, homeboy_result& result) {
    const char* p = e.path.data();
    size_t n = e.path.size();
    switch (e.operation) {
      case Operation::read: return vtable_->read(instance_, p, n, &result);
      case Operation::write: return vtable_->write(instance_, p, n, e.content.data(), e.content.size(), &result);
      case Operation::list: return vtable_->list(instance_, p, n, &result);
      case Operation::remove: return vtable_->remove(instance_, p, n, e.is_directory ? 1 : 0, &result);
      case Operation::ensure_dir: return vtable_->ensure_dir(instance_, p, n, &result);
      default: break;
    }
    throw errors::internal("unexpected operation for a native call");
  }

  Response send_batch(const Event& event) {
    const auto count = event.operations.size();
    std::vector<homeboy_op> ops(count);
    std::vector<ResultSink> sinks(count);
    std::vector<homeboy_result> results(count);
    std::vector<homeboy_status> statuses(count, HOMEBOY_ERR_IO);
    for (std::size_t i = 0; i < count; ++i) {
      const auto& e = event.operations[i];
      ops[i] = homeboy_op{sizeof(homeboy_op), to_abi(e.operation), e.path.data(), e.path.size(),
                          e.operation == Operation::write ? e.content.data() : nullptr, e.content.size(),
                          e.is_directory ? 1 : 0};
      results[i] = sinks[i].c;
    }
    homeboy_status status = vtable_->batch(instance_, ops.data(), count, results.data(), statuses.data());
    if (status != HOMEBOY_OK) return Response::failure(to_error_code(status), "the plugin could not run the batch");
    Response r = Response::ok();
    r.results.emplace();
    r.results->reserve(count);
    bool all_ok = true;
    for (std::size_t i = 0; i < count; ++i) {
      r.results->push_back(sinks[i].to_response(statuses[i], event.operations[i].operation));
      all_ok = all_ok && statuses[i] == HOMEBOY_OK;
    }
    r.overall_success = all_ok;
    return r;
  }

  std::string module_id_;
  boost::dll::shared_library library_;
  homeboy_storage* instance_;
  const homeboy_storage_vtable* vtable_;
  std::mutex mutex_;
};

constexpr std::size_t vtable_v1_size = offsetof(homeboy_storage_vtable, destroy) + sizeof(void*);

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
  std::string plugin_name = entry.name ? entry.name : module.id;

  std::uint32_t chosen = 0;
  if (entry.struct_size < sizeof(homeboy_plugin_entry) || !entry.negotiate || !entry.create ||
      entry.negotiate(host_abi_version(), &chosen) != HOMEBOY_OK || chosen == 0 || chosen > host_abi_version())
    throw NativeLoadError("no_common_abi", "plugin '" + plugin_name + "' speaks no ABI version this host speaks (host: 1.." +
                                               std::to_string(host_abi_version()) + ")");

  CreateInfo info;
  const auto& config = module.manifest.storage_provider ? module.manifest.storage_provider->config
                                                        : boost::json::object{};
  info.json_text = boost::json::serialize(config);
  info.config = module.manifest.storage_provider ? &module.manifest.storage_provider->config : nullptr;
  info.config_dir = config_dir.string();
  info.module_dir = module.dir.string();
  info.c = homeboy_create_info{sizeof(homeboy_create_info), chosen,
                               info.json_text.c_str(), info.json_text.size(),
                               info.config_dir.c_str(), info.module_dir.c_str(),
                               &CreateInfo::get, &info};
  ResultSink error;
  homeboy_storage* instance = nullptr;
  const homeboy_storage_vtable* vtable = nullptr;
  homeboy_status status = entry.create(&info.c, &instance, &vtable, &error.c);
  if (status != HOMEBOY_OK || !instance || !vtable) {
    std::string why = error.error.value_or("no reason given");
    if (status == HOMEBOY_OK) why = "create() reported success but returned no instance";
    throw NativeLoadError("creation_failed", "plugin '" + plugin_name + "' could not be created: " + why);
  }
  if (vtable->struct_size < vtable_v1_size || !vtable->read || !vtable->write || !vtable->list ||
      !vtable->remove || !vtable->ensure_dir || !vtable->destroy) {
    if (vtable->struct_size >= vtable_v1_size && vtable->destroy) vtable->destroy(instance);
    throw NativeLoadError("creation_failed", "plugin '" + plugin_name + "' returned an incomplete operation table");
  }
  return std::make_unique<NativeTransport>(module.id, std::move(library), instance, vtable);
}

}  // namespace homeboy
