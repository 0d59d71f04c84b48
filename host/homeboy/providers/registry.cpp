#include "homeboy/providers/registry.hpp"

#include "homeboy/transport/environment.hpp"

#include "homeboy/transport/daemon_transport.hpp"
#include "homeboy/transport/isolated_transport.hpp"
#include "homeboy/transport/native_transport.hpp"
#include "homeboy/transport/subprocess_transport.hpp"
#include "homeboy/modules/trust.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include <unistd.h>

namespace fs = std::filesystem;

namespace homeboy {

namespace {

// Selection fails closed: a broken module that is (or may be) a provider is never passed
// over for another one, which would send the user's data somewhere else without a word.
Error broken_provider(const std::vector<const RefusedModule*>& broken, const fs::path& config_dir, bool pinned) {
  fs::path settings = config_dir / "homeboy.json";
  std::string message;
  if (pinned) {
    message = "the storage provider picked in " + settings.string() + ", '" + broken.front()->id +
              "', cannot be used: " + broken.front()->reason.what();
  } else {
    message = std::to_string(broken.size()) + (broken.size() == 1 ? " module that is" : " modules that are") +
              " or may be a storage provider cannot be used, so homeboy will not pick a provider on its own: ";
    for (std::size_t i = 0; i < broken.size(); ++i) message += (i ? "; " : "") + std::string(broken[i]->reason.what());
  }
  boost::json::array modules;
  std::vector<std::string> hints;
  for (const auto* r : broken) {
    modules.emplace_back(boost::json::object{{"id", r->id},
                                             {"manifest_path", r->manifest_path.string()},
                                             {"code", r->reason.code()},
                                             {"problem", r->reason.what()},
                                             {"possible_provider", r->possible_provider}});
    hints.insert(hints.end(), r->reason.hints().begin(), r->reason.hints().end());
    if (pinned) continue;
    if (r->dir.parent_path().lexically_normal() == (config_dir / "modules").lexically_normal())
      hints.push_back("Or remove it: homeboy module uninstall " + r->id + " --force");
    else
      hints.push_back("Or take " + r->dir.string() + " off the search path (remove it, or change HOMEBOY_MODULE_PATH).");
  }
  hints.push_back(pinned ? "Or pick another provider: set \"storage\" in " + settings.string() + "."
                         : "Or pick the provider yourself: set \"storage\": \"<module-id>\" in " + settings.string() +
                               ".");
  return Error(Errc::config_broken_provider, std::move(message), {{"modules", std::move(modules)}, {"pinned", pinned}},
               std::move(hints));
}

// storage.invalid_config for a provider config the plugin refused at creation: the plugin's
// message names the setting first, and the hint says where it is written.
Error invalid_config(const Module& module, const std::string& message) {
  auto setting = named_setting(message);
  return Error(Errc::storage_invalid_config, "module '" + module.id + "': its settings are wrong: " + message,
               {{"module", module.id},
                {"setting", setting ? boost::json::value(*setting) : boost::json::value(nullptr)},
                {"manifest_path", module.manifest_path.string()}},
               {setting_hint(message, module.id, module.manifest_path)});
}

}  // namespace

TransportPreference transport_preference_from_env() {
  const char* v = std::getenv("HOMEBOY_STORAGE_TRANSPORT");
  std::string_view value = v ? v : "";
  if (value.empty() || value == "auto") return TransportPreference::automatic;
  if (value == "native") return TransportPreference::native;
  if (value == "subprocess") return TransportPreference::subprocess;
  throw Error(Errc::config_invalid_environment,
              "HOMEBOY_STORAGE_TRANSPORT must be native, subprocess or auto, not '" + std::string(value) + "'",
              {{"variable", "HOMEBOY_STORAGE_TRANSPORT"}, {"value", value}});
}

IsolationPreference isolation_preference_from_env() {
  const char* v = std::getenv("HOMEBOY_ISOLATION");
  std::string_view value = v ? v : "";
  if (value.empty() || value == "auto") return IsolationPreference::automatic;
  if (value == "process") return IsolationPreference::process;
  if (value == "in_process") return IsolationPreference::in_process;
  throw Error(Errc::config_invalid_environment,
              "HOMEBOY_ISOLATION must be process, in_process or auto, not '" + std::string(value) + "'",
              {{"variable", "HOMEBOY_ISOLATION"}, {"value", value}});
}

std::optional<std::string> configured_provider(const fs::path& config_dir) {
  fs::path file = config_dir / "homeboy.json";
  auto bad = [&](const std::string& why) {
    return Error(Errc::config_invalid_config, file.string() + ": " + why, {{"config_path", file.string()}});
  };
  // Only a regular file of sensible size: a FIFO, a device or a link to nothing here would
  // otherwise hang every command, eat memory, or quietly drop the pin.
  std::error_code status_ec;
  auto status = fs::symlink_status(file, status_ec);
  if (!fs::exists(status)) return std::nullopt;
  if (fs::is_symlink(status) && !fs::exists(file, status_ec)) throw bad("is a link to a file that does not exist");
  if (!fs::is_regular_file(fs::status(file, status_ec))) throw bad("is not a regular file");
  if (fs::file_size(file, status_ec) > (std::uintmax_t{1} << 20)) throw bad("is larger than 1 MiB");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw bad("cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  boost::json::error_code ec;
  auto value = boost::json::parse(text.str(), ec);
  if (ec) throw bad("not valid JSON (" + ec.message() + ")");
  if (!value.is_object()) throw bad("must be a JSON object");
  const auto* storage = value.get_object().if_contains("storage");
  if (!storage || storage->is_null()) return std::nullopt;
  if (!storage->is_string() || storage->get_string().empty())
    throw bad("\"storage\" must be the id of an installed storage module");
  return std::string(storage->get_string());
}

namespace {

// The folders of homeboy's config documents: <config>/<kind>s/<id>.json on builtin-filesystem.
constexpr std::array<const char*, 3> config_folders{"projects", "servers", "components"};

std::vector<std::string> config_documents_on_disk(const fs::path& config_dir) {
  std::vector<std::string> found;
  for (const char* kind : config_folders) {
    std::error_code ec;
    for (auto it = fs::directory_iterator(config_dir / kind, ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
      std::string name = it->path().filename().string();
      if (name.size() > 5 && name.front() != '.' && name.ends_with(".json") && it->is_regular_file(ec))
        found.push_back((config_dir / kind / name).string());
    }
  }
  return found;
}

// A provider picked only because it is the one installed (dropped into a modules folder, or
// found on HOMEBOY_MODULE_PATH) must not make the config on disk vanish from view: new
// documents would then go beside the old ones under the same ids. When it does not see the
// documents builtin-filesystem holds there, only a pick in homeboy.json switches.
void refuse_to_hide_config(Storage& storage, const Module& module, const fs::path& config_dir) {
  // A provider of storage_type "filesystem" keeps files where builtin-filesystem does.
  const auto& provider_manifest = module.manifest.storage_provider;
  if (provider_manifest && provider_manifest->storage_type == "filesystem") return;
  auto on_disk = config_documents_on_disk(config_dir);
  if (on_disk.empty()) return;
  std::vector<contract::Event> lists;
  for (const char* kind : config_folders) lists.push_back(contract::Event::list((config_dir / kind).string()));
  std::set<std::string> seen;
  for (auto& answer : storage.batch(std::move(lists))) {
    if (!answer.success && answer.effective_error_code() == contract::ErrorCode::not_found) continue;
    if (!answer.success || !answer.entries)
      throw Error(Errc::storage_provider_failed,
                  "storage module '" + storage.provider().module_id +
                      "' could not list the config folders: " + answer.error.value_or("no entries"),
                  {{"module", storage.provider().module_id}});
    for (auto& entry : *answer.entries) seen.insert(std::move(entry.path));
  }
  std::size_t hidden = std::ranges::count_if(on_disk, [&](const std::string& path) { return !seen.contains(path); });
  if (hidden == 0) return;  // it keeps them where builtin-filesystem does
  const ProviderInfo& provider = storage.provider();
  std::string file = (config_dir / "homeboy.json").string();
  std::string count = std::to_string(hidden) + (hidden == 1 ? " config document" : " config documents");
  throw Error(Errc::config_provider_would_hide_config,
              "storage module '" + provider.module_id + "' (" + provider.manifest_path.string() +
                  ") is the only provider installed besides builtin-filesystem, but it does not see the " + count +
                  " builtin-filesystem holds in " + config_dir.string() + ": homeboy does not switch on its own",
              {{"provider", provider.module_id},
               {"manifest_path", provider.manifest_path.string()},
               {"config_documents", hidden}})
      .with_hint("Keep them where they are: set \"storage\": \"builtin-filesystem\" in " + file + ".")
      .with_hint("Or move them and switch: homeboy storage migrate --from builtin-filesystem --to " +
                 provider.module_id)
      .with_hint("Or, if the module was not meant to be used, remove it from " +
                 provider.manifest_path.parent_path().parent_path().string() + ".");
}

}  // namespace

Selection select_provider(const Catalog& catalog, const fs::path& config_dir) {
  auto providers = catalog.storage_providers();
  auto ids = [&] {
    boost::json::array list;
    for (const auto* m : providers) list.emplace_back(m->id);
    return list;
  };
  if (auto picked = configured_provider(config_dir)) {
    if (const RefusedModule* refused = catalog.find_refused(*picked)) throw broken_provider({refused}, config_dir, true);
    const Module* module = catalog.find(*picked);
    if (!module || !module->is_storage_provider()) {
      std::string what = module ? "is not a storage provider" : "is not installed";
      throw Error(Errc::config_unknown_provider,
                  (config_dir / "homeboy.json").string() + " picks storage module '" + *picked + "', which " + what,
                  {{"storage", *picked}, {"providers", ids()}})
          .with_hint("Run `homeboy module list` to see the installed providers.");
    }
    return {module, SelectedBy::config};
  }
  std::vector<const RefusedModule*> broken;
  for (const auto& r : catalog.refused)
    if (r.possible_provider) broken.push_back(&r);
  if (!broken.empty()) throw broken_provider(broken, config_dir, false);
  std::vector<const Module*> others;
  for (const auto* m : providers)
    if (m->id != default_provider_id) others.push_back(m);
  if (others.size() == 1) return {others.front(), SelectedBy::only_provider};
  if (others.size() > 1) {
    std::string listed;
    boost::json::array list;
    for (const auto* m : others) {
      listed += (listed.empty() ? "" : ", ") + m->id;
      list.emplace_back(m->id);
    }
    Error error(Errc::config_multiple_providers,
                "more than one storage provider is installed (" + listed + "); homeboy uses exactly one",
                {{"providers", list}});
    error.with_hint("Pick one: set \"storage\": \"<module-id>\" in " + (config_dir / "homeboy.json").string() + ".");
    for (const auto* m : others) error.with_hint("Or remove one: homeboy module uninstall " + m->id + " --force");
    throw error;
  }
  if (const Module* builtin = catalog.find(default_provider_id); builtin && builtin->is_storage_provider())
    return {builtin, SelectedBy::default_provider};
  throw Error(Errc::config_no_provider, "no storage provider is installed, not even builtin-filesystem")
      .with_hint("Reinstall homeboy, or set HOMEBOY_MODULE_PATH to a folder holding builtin-filesystem.");
}

std::unique_ptr<Storage> open_provider(const Module& module, const fs::path& config_dir, TransportPreference preference,
                                       IsolationPreference isolation, SelectedBy selected_by) {
  ProviderInfo info{module.id, module.manifest.storage_provider ? module.manifest.storage_provider->storage_type : "",
                    selected_by, std::nullopt, module.manifest_path};
  const auto& runtime = module.manifest.runtime;
  auto subprocess = [&]() -> std::unique_ptr<Transport> {
    // HOMEBOY_STORAGE_TRANSPORT=subprocess runs a daemon module as a plain persistent (or one-shot)
    // one. With a library, runtime.daemon is the library's: its executable, the fallback, runs
    // as runtime.persistent says.
    if (runtime.daemon && !runtime.library && preference == TransportPreference::automatic)
      return std::make_unique<DaemonTransport>(module, config_dir);
    if (runtime.persistent) return std::make_unique<PersistentTransport>(module, config_dir);
    return std::make_unique<OneShotTransport>(module, config_dir);
  };

  if (preference == TransportPreference::subprocess || (!runtime.library && preference == TransportPreference::automatic)) {
    if (!runtime.executable)
      throw Error(Errc::config_transport_unavailable,
                  "module '" + module.id + "' has no runtime.executable, so it cannot run as a subprocess",
                  {{"module", module.id}})
          .with_hint("Unset HOMEBOY_STORAGE_TRANSPORT to use its native library.");
    if (runtime.library) info.fallback_reason = "HOMEBOY_STORAGE_TRANSPORT=subprocess";
    return std::make_unique<Storage>(std::move(info), subprocess());
  }

  if (!runtime.library)
    throw Error(Errc::config_transport_unavailable,
                "module '" + module.id + "' has no runtime.library, so it cannot run natively", {{"module", module.id}})
        .with_hint("Unset HOMEBOY_STORAGE_TRANSPORT to use its executable.");
  // Also when the module did not come through discovery: never load a library from elsewhere.
  if (auto problems = trust::check_library(module.dir, *runtime.library, ::geteuid()); !problems.empty())
    throw trust::untrusted(module.id, module.manifest_path, problems);
  bool isolated = isolation == IsolationPreference::process ||
                  (isolation == IsolationPreference::automatic && runtime.isolation == Isolation::process);
  // A plugin that opts in runs in a daemon of its own, so what it keeps (a connection, a
  // prepared statement) outlives the command. HOMEBOY_ISOLATION=process or in_process asks
  // for a helper of this command's own, or homeboy's process, instead.
  bool daemon = runtime.daemon && isolation == IsolationPreference::automatic;
  try {
    if (daemon) return std::make_unique<Storage>(std::move(info), std::make_unique<DaemonTransport>(module, config_dir));
    if (isolated) return std::make_unique<Storage>(std::move(info), std::make_unique<IsolatedTransport>(module, config_dir));
    return std::make_unique<Storage>(std::move(info), open_native(module, config_dir));
  } catch (const NativeLoadError& e) {
    if (e.kind() == "invalid_config") throw invalid_config(module, e.what());
    if (preference == TransportPreference::native || !runtime.executable) {
      throw Error(Errc::storage_provider_unavailable,
                  "module '" + module.id + "': its native library cannot be used (" + e.kind() + "): " + e.what(),
                  {{"module", module.id}, {"reason", e.kind()}, {"detail", e.what()}});
    }
    info.fallback_reason = e.kind() + ": " + e.what();
    return std::make_unique<Storage>(std::move(info), subprocess());
  }
}

Registry::Registry(Catalog catalog, fs::path config_dir)
    : catalog_(std::move(catalog)), config_dir_(std::move(config_dir)) {}

Storage& Registry::activate(TransportPreference preference, IsolationPreference isolation) {
  if (storage_)
    throw errors::internal("a storage provider ('" + storage_->provider().module_id +
                           "') is already active; homeboy runs exactly one per run");
  Selection selection = select_provider(catalog_, config_dir_);
  auto storage = open_provider(*selection.module, config_dir_, preference, isolation, selection.selected_by);
  if (selection.selected_by == SelectedBy::only_provider) refuse_to_hide_config(*storage, *selection.module, config_dir_);
  storage_ = std::move(storage);
  return *storage_;
}

std::unique_ptr<Storage> Registry::open(const Module& module, TransportPreference preference,
                                        IsolationPreference isolation) const {
  return open_provider(module, config_dir_, preference, isolation, SelectedBy::named);
}

void check_environment() {
  transport_preference_from_env();
  isolation_preference_from_env();
  storage_timeout_override();
}

}  // namespace homeboy
