// `homeboy module ...`: what is installed and how each module runs.

#include "cli/app.hpp"

#include "cli/daemon_commands.hpp"
#include "cli/output.hpp"
#include "homeboy/conformance.hpp"

#include <boost/json.hpp>

#include <stdlib.h>

#include <ostream>

namespace fs = std::filesystem;
namespace json = boost::json;

namespace homeboy::cli {

namespace {

json::object module_json(const Module& m, bool full) {
  json::object out{{"id", m.id}, {"name", m.manifest.name}, {"version", m.manifest.version}};
  out["storage_provider"] = m.is_storage_provider();
  out["storage_type"] = m.is_storage_provider() ? json::value(m.manifest.storage_provider->storage_type) : nullptr;
  out["manifest_path"] = m.manifest_path.string();
  if (!full) return out;
  const auto& rt = m.manifest.runtime;
  out["dir"] = m.dir.string();
  out["runtime"] = json::object{{"library", rt.library ? json::value(*rt.library) : nullptr},
                                {"executable", rt.executable ? json::value(*rt.executable) : nullptr},
                                {"supports_batch", rt.supports_batch},
                                {"persistent", rt.persistent},
                                {"daemon", rt.daemon},
                                {"idle_secs", seconds_json(rt.idle)},
                                {"timeout_secs", seconds_json(rt.timeout)}};
  if (m.is_storage_provider()) out["config"] = m.manifest.storage_provider->config;
  return out;
}

json::array warnings_json(const Catalog& catalog) {
  json::array out;
  for (const auto& w : catalog.warnings) out.emplace_back(w);
  return out;
}

json::object refused_json(const RefusedModule& r) {
  json::array hints;
  for (const auto& h : r.reason.hints()) hints.emplace_back(h);
  return {{"id", r.id},
          {"dir", r.dir.string()},
          {"manifest_path", r.manifest_path.string()},
          {"code", r.reason.code()},
          {"problem", r.reason.what()},
          {"details", r.reason.details()},
          {"hints", std::move(hints)},
          {"possible_provider", r.possible_provider}};
}

json::object list(Context& ctx, const po::variables_map&) {
  const auto& catalog = ctx.catalog();
  json::array modules, refused;
  modules.reserve(catalog.modules.size());
  for (const auto& m : catalog.modules) modules.emplace_back(module_json(m, false));
  for (const auto& r : catalog.refused) refused.emplace_back(refused_json(r));
  return {{"command", "module.list"},
          {"modules", std::move(modules)},
          {"refused", std::move(refused)},
          {"warnings", warnings_json(catalog)}};
}

// A module found on the search path; for a refused one, the reason it was refused.
const Module& installed(Context& ctx, const std::string& id) {
  const auto& catalog = ctx.catalog();
  if (const Module* module = catalog.find(id)) return *module;
  if (const RefusedModule* refused = catalog.find_refused(id)) {
    Error reason = refused->reason;
    throw std::move(reason).with_hint("Or remove it: homeboy module uninstall " + id + " --force");
  }
  std::vector<std::string> hints;
  for (const auto& m : catalog.modules)
    if (m.id.find(id) != std::string::npos || id.find(m.id) != std::string::npos)
      hints.push_back("Did you mean '" + m.id + "'?");
  hints.push_back("Run `homeboy module list` to see the installed modules.");
  throw Error("module.not_found", "no module '" + id + "' is installed", ExitCode::not_found, {{"id", id}},
              std::move(hints));
}

json::object show(Context& ctx, const po::variables_map& vm) {
  return {{"command", "module.show"}, {"module", module_json(installed(ctx, vm["id"].as<std::string>()), true)}};
}

void check_module_id(const std::string& id) {
  if (id.empty() || id.front() == '.' || id.find_first_of("/\\") != std::string::npos ||
      std::any_of(id.begin(), id.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; }))
    throw errors::invalid_argument("'" + id + "' is not a usable module id (no slashes, control characters or leading dot)",
                                   {{"id", id}});
}

json::object install(Context& ctx, const po::variables_map& vm) {
  fs::path source = fs::absolute(vm["folder"].as<std::string>()).lexically_normal();
  if (!source.has_filename()) source = source.parent_path();
  if (!fs::is_directory(source))
    throw errors::invalid_argument("'" + source.string() + "' is not a module folder", {{"folder", source.string()}});
  Module module = load_module(source);  // validates the manifest before anything is copied
  std::string id = vm.count("id") ? vm["id"].as<std::string>() : module.id;
  check_module_id(id);
  bool link = vm["link"].as<bool>();
  if (link && id != module.id)
    throw errors::invalid_argument("--link keeps the folder's own name; it cannot be combined with a different --id");
  const Module* existing = ctx.catalog().find(id);
  const RefusedModule* refused = ctx.catalog().find_refused(id);
  if (existing || refused)
    throw Error("module.already_installed",
                "a module '" + id + "' is already installed at " + (existing ? existing->dir : refused->dir).string(),
                ExitCode::invalid,
                {{"id", id}, {"manifest_path", (existing ? existing->manifest_path : refused->manifest_path).string()}},
                {"Install it under another id with --id NEW_ID, or remove the other one with `homeboy module uninstall " +
                 id + " --force`."});

  fs::path modules = ctx.config_dir() / "modules";
  fs::create_directories(modules);
  fs::path target = modules / id;
  if (link) {
    fs::create_directory_symlink(source, target);
  } else {
    // Copy next to the target, then rename: an interrupted install leaves nothing half-written.
    std::string staging_pattern = (modules / ("." + id + ".installing-XXXXXX")).string();
    if (!::mkdtemp(staging_pattern.data())) throw errors::internal("cannot create a staging folder in " + modules.string());
    fs::path staging = staging_pattern;
    try {
      fs::copy(source, staging, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
      // The copy is the user's: nobody else may change it (docs/security.md).
      for (const auto& entry : fs::recursive_directory_iterator(staging))
        if (!entry.is_symlink())
          fs::permissions(entry.path(), fs::perms::group_write | fs::perms::others_write, fs::perm_options::remove);
      if (id != module.id) fs::rename(staging / (module.id + ".json"), staging / (id + ".json"));
      fs::rename(staging, target);
    } catch (...) {
      std::error_code ec;
      fs::remove_all(staging, ec);
      throw;
    }
  }
  // The same checks discovery makes; an install that would be refused is taken back.
  Catalog after = discover({modules});
  if (const RefusedModule* refused_install = after.find_refused(id)) {
    Error reason = refused_install->reason;
    std::error_code ec;
    link ? fs::remove(target, ec) : fs::remove_all(target, ec);
    throw reason;
  }
  Module result = load_module(target);
  return {{"command", "module.install"}, {"module", module_json(result, false)}, {"installed_to", target.string()},
          {"linked", link}};
}

json::object uninstall(Context& ctx, const po::variables_map& vm) {
  std::string id = vm["id"].as<std::string>();
  // A refused module can be uninstalled too: that is one way to fix it.
  const RefusedModule* refused = ctx.catalog().find_refused(id);
  fs::path dir = refused ? refused->dir : installed(ctx, id).dir;
  fs::path modules = ctx.config_dir() / "modules";
  fs::path location = modules / id;
  if (dir.lexically_normal() != location.lexically_normal())
    throw Error("module.not_removable",
                "module '" + id + "' lives at " + dir.string() + ", outside " + modules.string() +
                    "; only modules installed with `homeboy module install` can be uninstalled",
                ExitCode::invalid, {{"id", id}, {"dir", dir.string()}});
  if (configured_provider(ctx.config_dir()) == id)
    throw Error("module.in_use", "module '" + id + "' is the storage provider picked in " +
                                     (ctx.config_dir() / "homeboy.json").string(),
                ExitCode::invalid, {{"id", id}},
                {"Set \"storage\" in homeboy.json to another provider (or remove the key), then uninstall."});
  if (!vm["force"].as<bool>())
    throw Error("cli.confirmation_required", "uninstalling removes " + location.string() + "; pass --force to confirm",
                ExitCode::invalid, {{"id", id}, {"dir", location.string()}});
  if (fs::is_symlink(location)) {
    fs::remove(location);
  } else {
    fs::path doomed = modules / ("." + id + ".removing");
    fs::remove_all(doomed);
    fs::rename(location, doomed);  // gone from the search path at once, even if removal is interrupted
    fs::remove_all(doomed);
  }
  auto daemons_stopped = stop_module_daemons(ctx, id, dir);  // no daemon outlives its module
  return {{"command", "module.uninstall"}, {"id", id}, {"removed", location.string()},
          {"daemons_stopped", std::move(daemons_stopped)}};
}

json::object test(Context& ctx, const po::variables_map& vm) {
  std::string target = vm["target"].as<std::string>();
  bool is_folder = target.find('/') != std::string::npos || target == "." || target == "..";
  if (!is_folder && !ctx.catalog().find(target) && fs::is_directory(target))
    throw Error("module.not_found", "no module '" + target + "' is installed", ExitCode::not_found, {{"id", target}},
                {"To test the folder '" + target + "', pass it with a slash: homeboy module test ./" + target});
  Module module = is_folder ? load_trusted_module(target) : installed(ctx, target);
  std::ostream* text = ctx.raw_output() ? &ctx.out() : nullptr;
  if (text) *text << "module test " << module.id << " (" << module.manifest_path.string() << ")\n";
  auto report = run_conformance(module, transport_preference_from_env(), [&](const CaseResult& r) {
    if (!text) return;
    *text << (r.skipped ? "SKIP  " : r.passed ? "PASS  " : "FAIL  ") << r.name;
    if (!r.passed) *text << ": " << r.reason;
    *text << '\n';
    text->flush();
  });
  json::array cases;
  std::string failed_names;
  std::size_t skipped = 0;
  for (const auto& c : report.cases) {
    cases.emplace_back(json::object{{"name", c.name}, {"rule", c.rule}, {"passed", c.passed}, {"skipped", c.skipped},
                                    {"reason", c.passed ? json::value(nullptr) : json::value(c.reason)},
                                    {"millis", static_cast<std::int64_t>(c.millis + 0.5)}});
    if (!c.passed && !c.skipped) failed_names += (failed_names.empty() ? "" : ", ") + c.name;
    skipped += c.skipped ? 1 : 0;
  }
  std::size_t total = report.cases.size(), failed = report.failed(), passed = total - failed - skipped;
  if (text) {
    *text << module.id << " over " << report.transport << ": " << passed << " of " << (total - skipped)
          << " conformance cases passed";
    if (skipped) *text << " (" << skipped << " skipped: capabilities the module does not declare)";
    *text << '\n';
  }
  json::object data{{"command", "module.test"}, {"module", module.id}, {"transport", report.transport},
                    {"passed", passed},          {"failed", failed},   {"skipped", skipped},
                    {"cases", std::move(cases)}};
  if (failed)
    throw Error("module.conformance_failed",
                "module '" + module.id + "' failed " + std::to_string(failed) + " of " + std::to_string(total) +
                    " conformance cases: " + failed_names,
                ExitCode::failure, std::move(data));
  return data;
}

}  // namespace

Group module_group() {
  Group group{"module",
               "Inspect, install, remove and check modules.",
               {
                   {"list", "List the installed modules.", "", nullptr, list},
                   {"show", "Show one module's manifest and where it lives.", "<id>",
                    [](auto& desc, auto& pos) {
                      desc.add_options()("id", po::value<std::string>()->required()->value_name("ID"), "the module id");
                      pos.add("id", 1);
                    },
                    show},
                   {"install", "Install a module folder into <config>/modules.", "<folder> [--id ID] [--link]",
                    [](auto& desc, auto& pos) {
                      desc.add_options()("folder", po::value<std::string>()->required()->value_name("FOLDER"),
                                         "the module folder (holding <name>.json)")(
                          "id", po::value<std::string>()->value_name("ID"), "install under this id instead")(
                          "link", po::bool_switch(), "link to the folder instead of copying it");
                      pos.add("folder", 1);
                    },
                    install},
                   {"uninstall", "Remove a module installed in <config>/modules.", "<id> --force",
                    [](auto& desc, auto& pos) {
                      desc.add_options()("id", po::value<std::string>()->required()->value_name("ID"), "the module id")(
                          "force", po::bool_switch(), "really remove it");
                      pos.add("id", 1);
                    },
                    uninstall},
                   {"test", "Run the storage conformance suite against a module or plugin.", "<id|folder> [--json]",
                    [](auto& desc, auto& pos) {
                      desc.add_options()("target", po::value<std::string>()->required()->value_name("ID|FOLDER"),
                                         "an installed module id, or a module folder (with a slash)")(
                          "json", po::bool_switch(), "print the JSON envelope instead of text");
                      pos.add("target", 1);
                    },
                    test, true},
               }};
  for (auto& command : daemon_commands()) group.commands.push_back(std::move(command));
  return group;
}

}  // namespace homeboy::cli
