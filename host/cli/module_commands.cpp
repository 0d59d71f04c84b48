// `homeboy module ...`: what is installed and how each module runs.

#include "cli/app.hpp"
#include "cli/progress.hpp"

#include "homeboy/config/config_tree.hpp"
#include "cli/daemon_commands.hpp"
#include "homeboy/ids.hpp"
#include "homeboy/suggest.hpp"
#include "homeboy/text.hpp"
#include "cli/output.hpp"
#include "homeboy/providers/conformance.hpp"
#include "homeboy/providers/provider_pin.hpp"

#include <boost/json.hpp>

#include <stdlib.h>

#include <chrono>
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
                                {"isolation", rt.isolation == Isolation::process ? "process" : "in_process"},
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

// The modules shipped with homeboy for `module install <id>` (share/homeboy/available-modules).
Catalog available_modules() { return discover({available_modules_dir()}); }

json::object list(Context& ctx, const po::variables_map& vm) {
  const bool shipped = vm["available"].as<bool>();
  Catalog available = shipped ? available_modules() : Catalog{};
  const auto& catalog = shipped ? available : ctx.catalog();
  json::array modules, refused;
  modules.reserve(catalog.modules.size());
  for (const auto& m : catalog.modules) {
    json::object module = module_json(m, false);
    if (shipped) module["installed"] = ctx.catalog().find(m.id) != nullptr;
    modules.emplace_back(std::move(module));
  }
  for (const auto& r : catalog.refused) refused.emplace_back(refused_json(r));
  json::object out{{"command", "module.list"},
                   {"modules", std::move(modules)},
                   {"refused", std::move(refused)},
                   {"warnings", warnings_json(catalog)}};
  if (shipped) {
    out["available"] = true;
    out["available_dir"] = available_modules_dir().string();
  }
  return out;
}

// "Did you mean" and where to look, for an id that is not installed: the ids installed and
// those shipped with homeboy.
Error not_installed(Context& ctx, const std::string& id, const Catalog& shipped) {
  const auto& catalog = ctx.catalog();
  std::vector<std::string> ids;
  for (const auto& m : catalog.modules) ids.push_back(m.id);
  for (const auto& r : catalog.refused) ids.push_back(r.id);
  for (const auto& m : shipped.modules) ids.push_back(m.id);
  Error error(Errc::module_not_found, "no module '" + id + "' is installed", {{"id", id}});
  if (shipped.find(id))
    error.with_hint("'" + id + "' ships with homeboy; install it: homeboy module install " + id);
  else if (auto guess = did_you_mean(suggest(id, ids)); !guess.empty())
    error.with_hint(guess);
  error.with_hint("Run `homeboy module list` to see the installed modules, `homeboy module list --available` those "
                  "that ship with homeboy.");
  return error;
}

// A module found on the search path; for a refused one, the reason it was refused.
const Module& installed(Context& ctx, const std::string& id) {
  const auto& catalog = ctx.catalog();
  if (const Module* module = catalog.find(id)) return *module;
  if (const RefusedModule* refused = catalog.find_refused(id)) {
    Error reason = refused->reason;
    throw std::move(reason).with_hint("Or remove it: homeboy module uninstall " + id + " --force");
  }
  throw not_installed(ctx, id, available_modules());
}

// A word on the command line that names a folder: a slash, or "." or "..".
bool names_a_folder(const std::string& word) { return word.find('/') != std::string::npos || word == "." || word == ".."; }

// What `module install` copies: a folder, or the folder of a module shipped with homeboy. A
// bare word that is a folder here is that folder, as it always was.
fs::path install_source(const std::string& given) {
  std::error_code ec;
  if (names_a_folder(given) || fs::is_directory(given, ec)) return fs::absolute(given).lexically_normal();
  Catalog shipped = available_modules();
  if (const Module* module = shipped.find(given)) return module->dir;
  if (const RefusedModule* refused = shipped.find_refused(given)) throw refused->reason;
  std::vector<std::string> ids;
  for (const auto& m : shipped.modules) ids.push_back(m.id);
  Error error(Errc::module_not_found,
              "'" + given + "' is neither a module folder nor a module shipped with homeboy",
              {{"id", given}, {"available_dir", available_modules_dir().string()}});
  if (auto guess = did_you_mean(suggest(given, ids)); !guess.empty()) error.with_hint(guess);
  std::string names;
  for (const auto& id : ids) names += (names.empty() ? "" : ", ") + id;
  if (!names.empty()) error.with_hint("The modules shipped with homeboy: " + names + " (homeboy module list --available).");
  throw std::move(error).with_hint("To install a folder, name it with a slash: homeboy module install ./" + given);
}

json::object show(Context& ctx, const po::variables_map& vm) {
  return {{"command", "module.show"}, {"module", module_json(installed(ctx, vm["id"].as<std::string>()), true)}};
}

// The active provider and how many config documents it holds (config_tree.hpp). What cannot
// be told is left empty, with the reason: the callers then assume the worst.
struct ActiveProvider {
  std::optional<std::string> id;
  std::optional<std::size_t> documents;
  std::string problem;
};

ActiveProvider active_provider(Context& ctx) {
  ActiveProvider active;
  try {
    Storage& storage = ctx.storage();
    active.id = storage.provider().module_id;
    active.documents = ConfigTree(ctx.config_dir(), ctx.catalog()).documents(storage).size();
  } catch (const Error& e) {
    if (e.errc() == Errc::cli_interrupted) throw;
    active.problem = e.what();
  }
  return active;
}

// The provider active before a storage provider is installed, pinned before anything is
// copied: an install that is interrupted or fails later never leaves the choice to the
// provider count, which could pick the new module.
struct Kept {
  ActiveProvider active;
  std::optional<PinChange> pin;
};

Kept keep_active_provider(Context& ctx) {
  Kept kept{active_provider(ctx), std::nullopt};
  if (kept.active.id) kept.pin = pin_provider(ctx.config_dir(), kept.active.id);
  return kept;
}

std::string config_documents(std::optional<std::size_t> count) {
  if (!count) return "config documents";
  return std::to_string(*count) + (*count == 1 ? " config document" : " config documents");
}

json::object pin_json(const PinChange& pin) {
  return {{"file", pin.file.string()},
          {"storage", pin.after ? json::value(*pin.after) : json::value(nullptr)},
          {"previous", pin.before ? json::value(*pin.before) : json::value(nullptr)}};
}

// Runs the conformance suite on a freshly installed provider, in scratch folders.
struct Check {
  json::object report;
  bool passed = false;
  std::string failed_cases;
};

// A native plugin under test runs isolated, so a case that crashes or hangs it fails by name
// and the others still run; HOMEBOY_ISOLATION=in_process tests it in-process.
IsolationPreference conformance_isolation() {
  return isolation_preference_from_env() == IsolationPreference::in_process ? IsolationPreference::in_process
                                                                            : IsolationPreference::process;
}

Check check_provider(const Module& module, bool quiet) {
  Check check;
  TerminalProgress progress("module install", quiet);
  auto started = std::chrono::steady_clock::now();
  std::size_t ran = 0;
  try {
    auto report = run_conformance(module, transport_preference_from_env(), conformance_isolation(),
                                  [&](const CaseResult&) { progress.show("checking " + module.id, ++ran, 0); });
    json::array failed;
    std::size_t skipped = 0;
    for (const auto& c : report.cases) {
      skipped += c.skipped ? 1 : 0;
      if (!c.passed && !c.skipped) {
        failed.emplace_back(json::object{{"name", c.name}, {"reason", c.reason}});
        check.failed_cases += (check.failed_cases.empty() ? "" : ", ") + c.name;
      }
    }
    check.passed = report.failed() == 0;
    // Counted as `module test` counts them: a skipped case neither passed nor failed.
    check.report = {{"ran", true},
                    {"transport", to_string(report.transport)},
                    {"passed", report.cases.size() - report.failed() - skipped},
                    {"failed", report.failed()},
                    {"skipped", skipped},
                    {"failed_cases", std::move(failed)}};
  } catch (const Error& e) {
    if (e.errc() == Errc::cli_interrupted) throw;
    check.failed_cases = std::string("the module could not be opened: ") + e.what();
    check.report = {{"ran", true}, {"error", json::object{{"code", e.code()}, {"message", e.what()}}}};
  }
  auto took = std::chrono::steady_clock::now() - started;
  check.report["millis"] = std::chrono::duration_cast<std::chrono::milliseconds>(took).count();
  return check;
}

// After a storage provider is installed: check it, then decide which provider is active and
// write that down in homeboy.json, so installing never hides the config the user has.
void settle_active_provider(Context& ctx, const Module& installed_module, const po::variables_map& vm,
                            const Kept& kept, json::object& out) {
  const std::string& id = installed_module.id;
  const ActiveProvider& before = kept.active;
  Check check;
  const bool unchecked = vm["no-check"].as<bool>();
  if (unchecked)
    check.report = {{"ran", false}};  // not checked is not passed: only --activate makes it active
  else
    check = check_provider(installed_module, ctx.quiet());
  bool activate = vm["activate"].as<bool>() ||
                  (check.passed && before.id && before.documents && *before.documents == 0);
  std::optional<PinChange> pin = kept.pin;
  if (activate) {
    pin = pin_provider(ctx.config_dir(), id);
    if (kept.pin) pin->before = kept.pin->before;  // what homeboy.json said before the install
  }
  std::vector<std::string> hints;
  std::string documents = config_documents(before.documents);
  if (!activate && before.id && (!before.documents || *before.documents > 0))
    hints.push_back("'" + *before.id + "' holds your " + documents + " and stays the active provider. To move " +
                    "them to '" + id + "' and make it active: homeboy storage migrate --to " + id);
  if (unchecked && !activate)
    hints.push_back("'" + id + "' was not checked (--no-check), so it was not activated. Check it: homeboy module test " +
                    id + "; then make it active: homeboy storage migrate --to " + id);
  if (!check.passed && !unchecked)
    hints.push_back("'" + id + "' did not pass the storage conformance suite (" + check.failed_cases + "), so it " +
                    (activate ? "was activated only because --activate was given" : "was not activated") +
                    ". Details: homeboy module test " + id);
  if (!activate && !before.id)
    hints.push_back("homeboy could not tell which provider is active (" + before.problem + "); '" + id +
                    "' was installed but not activated. Pick one: set \"storage\" in " +
                    (ctx.config_dir() / "homeboy.json").string() + ".");
  if (activate && before.id && *before.id != id && (!before.documents || *before.documents > 0))
    hints.push_back("The " + documents + " on '" + *before.id + "' cannot be seen through '" + id +
                    "'. To copy them over: homeboy storage migrate --from " + *before.id + " --to " + id);
  json::array hints_json;
  for (auto& h : hints) {
    ctx.warn(h);
    hints_json.emplace_back(json::object{{"message", std::move(h)}});
  }
  out["check"] = std::move(check.report);
  out["activated"] = activate;
  out["active_provider"] = activate ? json::value(id) : before.id ? json::value(*before.id) : json::value(nullptr);
  out["config_documents"] = before.documents ? json::value(*before.documents) : json::value(nullptr);
  out["pinned"] = pin ? json::value(pin_json(*pin)) : json::value(nullptr);
  out["hints"] = std::move(hints_json);
}

json::object install(Context& ctx, const po::variables_map& vm) {
  fs::path source = install_source(vm["folder"].as<std::string>());
  if (!source.has_filename()) source = source.parent_path();
  if (!fs::is_directory(source))
    throw errors::invalid_argument("'" + source.string() + "' is not a module folder", {{"folder", source.string()}});
  Module module = load_module(source);  // validates the manifest before anything is copied
  std::string id = vm.count("id") ? vm["id"].as<std::string>() : module.id;
  check_id(id, "module");
  bool link = vm["link"].as<bool>();
  if (link && id != module.id)
    throw errors::invalid_argument("--link keeps the folder's own name; it cannot be combined with a different --id");
  const Module* existing = ctx.catalog().find(id);
  const RefusedModule* refused = ctx.catalog().find_refused(id);
  if (existing || refused)
    throw Error(
        Errc::module_already_installed,
        "a module '" + id + "' is already installed at " + (existing ? existing->dir : refused->dir).string(),
        {{"id", id}, {"manifest_path", (existing ? existing->manifest_path : refused->manifest_path).string()}},
        {"Install it under another id with --id NEW_ID, or remove the other one with `homeboy module uninstall " + id +
         " --force`."});

  std::optional<Kept> kept;
  if (module.is_storage_provider()) kept = keep_active_provider(ctx);

  fs::path modules = ctx.config_dir() / "modules";
  ensure_config_dir(ctx.config_dir());
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
  json::object out{{"command", "module.install"}, {"module", module_json(result, false)},
                   {"installed_to", target.string()}, {"linked", link}};
  if (kept) settle_active_provider(ctx, result, vm, *kept, out);
  return out;
}

// The provider homeboy.json picks, or the one selection picks without it.
bool provider_in_use(Context& ctx, const std::string& id) {
  if (configured_provider(ctx.config_dir()) == id) return true;
  try {
    return select_provider(ctx.catalog(), ctx.config_dir()).module->id == id;
  } catch (const Error&) {
    return false;  // nothing is in use until the user picks: removing one cannot hide anything
  }
}

Error holds_config(Context& ctx, const std::string& id, const ActiveProvider& active) {
  std::string what = active.documents ? config_documents(active.documents)
                                      : "config documents (how many could not be told: " + active.problem + ")";
  Error error(
      Errc::module_holds_config,
      "module '" + id + "' is the active storage provider and holds " + what +
          "; uninstalling it would hide them, so it is refused even with --force",
      {{"id", id}, {"config_documents", active.documents ? json::value(*active.documents) : json::value(nullptr)}});
  for (const auto* other : ctx.catalog().storage_providers())
    if (other->id != id)
      error.with_hint("Move them first: homeboy storage migrate --to " + other->id + ", then uninstall.");
  error.with_hint("Or keep a copy: homeboy storage export homeboy-config.jsonl");
  error.with_hint("To remove it anyway, leaving its data where it is and out of homeboy's sight: homeboy module uninstall " +
                  id + " --force --discard-data");
  return error;
}

json::object uninstall(Context& ctx, const po::variables_map& vm) {
  std::string id = vm["id"].as<std::string>();
  // A refused module can be uninstalled too: that is one way to fix it.
  const RefusedModule* refused = ctx.catalog().find_refused(id);
  fs::path dir = refused ? refused->dir : installed(ctx, id).dir;
  fs::path modules = ctx.config_dir() / "modules";
  fs::path location = modules / id;
  if (dir.lexically_normal() != location.lexically_normal())
    throw Error(Errc::module_not_removable,
                "module '" + id + "' lives at " + dir.string() + ", outside " + modules.string() +
                    "; only modules installed with `homeboy module install` can be uninstalled",
                {{"id", id}, {"dir", dir.string()}});
  std::optional<std::size_t> left_behind;
  if (provider_in_use(ctx, id)) {
    ActiveProvider active = refused ? ActiveProvider{id, std::nullopt, refused->reason.what()} : active_provider(ctx);
    if ((!active.documents || *active.documents > 0) && !vm["discard-data"].as<bool>())
      throw holds_config(ctx, id, active);
    left_behind = active.documents;
  }
  if (!vm["force"].as<bool>())
    throw Error(
        Errc::cli_confirmation_required, "uninstalling removes " + location.string() + "; pass --force to confirm",
        {{"id", id}, {"dir", location.string()}}, {"To remove it: homeboy module uninstall " + id + " --force"});
  if (fs::is_symlink(location)) {
    fs::remove(location);
  } else {
    fs::path doomed = modules / ("." + id + ".removing");
    fs::remove_all(doomed);
    fs::rename(location, doomed);  // gone from the search path at once, even if removal is interrupted
    fs::remove_all(doomed);
  }
  json::object out{{"command", "module.uninstall"}, {"id", id}, {"removed", location.string()}, {"unpinned", nullptr}};
  if (configured_provider(ctx.config_dir()) == id) out["unpinned"] = pin_json(pin_provider(ctx.config_dir(), std::nullopt));
  if (left_behind) out["left_behind_documents"] = *left_behind;
  out["daemons_stopped"] = stop_module_daemons(ctx, id, dir);  // no daemon outlives its module
  return out;
}

json::object test(Context& ctx, const po::variables_map& vm) {
  std::string target = vm["target"].as<std::string>();
  bool is_folder = names_a_folder(target);
  // An id: installed, else shipped with homeboy (tested where it ships, without installing it).
  std::optional<Module> shipped;
  if (!is_folder && !ctx.catalog().find(target) && !ctx.catalog().find_refused(target)) {
    Catalog available = available_modules();
    if (const Module* m = available.find(target)) shipped = load_trusted_module(m->dir);
  }
  if (!is_folder && !shipped && !ctx.catalog().find(target) && fs::is_directory(target))
    throw Error(Errc::module_not_found, "no module '" + target + "' is installed", {{"id", target}},
                {"To test the folder '" + target + "', pass it with a slash: homeboy module test ./" + target});
  Module module = is_folder ? load_trusted_module(target) : shipped ? *shipped : installed(ctx, target);
  std::ostream* text = ctx.raw_output() ? &ctx.out() : nullptr;
  if (text) *text << "module test " << module.id << " (" << module.manifest_path.string() << ")\n";
  // With the envelope, stdout stays quiet until the end: progress goes to stderr instead.
  TerminalProgress progress("module test", ctx.quiet() || text);
  std::size_t ran = 0;
  auto report =
      run_conformance(module, transport_preference_from_env(), conformance_isolation(), [&](const CaseResult& r) {
        progress.show(module.id + ": " + r.name, ++ran, 0);
        if (!text) return;
        *text << (r.skipped ? "SKIP  " : r.passed ? "PASS  " : "FAIL  ") << r.name;
        if (!r.passed) *text << ": " << homeboy::text::escape_controls(r.reason);  // it may quote the module
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
    *text << module.id << " over " << to_string(report.transport) << ": " << passed << " of " << (total - skipped)
          << " conformance cases passed";
    if (skipped) *text << " (" << skipped << " skipped: capabilities the module does not declare)";
    *text << '\n';
  }
  json::object data{{"command", "module.test"}, {"module", module.id}, {"transport", to_string(report.transport)},
                    {"passed", passed},         {"failed", failed},    {"skipped", skipped},
                    {"cases", std::move(cases)}};
  if (failed)
    throw Error(Errc::module_conformance_failed,
                "module '" + module.id + "' failed " + std::to_string(failed) + " of " + std::to_string(total) +
                    " conformance cases: " + failed_names,
                std::move(data));
  return data;
}

OptionSpec module_argument(std::string help) {
  return argument("id", "id", std::move(help)).completing(Completion::module);
}

}  // namespace

GroupSpec module_group() {
  CommandSpec test_command{
      "test",
      "Run the storage conformance suite against a module or plugin.",
      "<id|folder> [--json]",
      {argument("target", "id|folder",
                "an installed module id, the id of one shipped with homeboy, or a module folder (a path with a slash)")
           .completing(Completion::testable),
       flag("json", "print the JSON envelope instead of text (the same as -o json)")},
      test,
      "Prints one line per case (PASS, FAIL or SKIP) as it runs, then a summary; exit 1 when a case fails."};
  test_command.default_output = OutputMode::text;
  test_command.raw_when = [](const po::variables_map&, OutputMode output) { return output == OutputMode::text; };
  GroupSpec group{
      "module",
      "Inspect, install, remove and check modules.",
      {
          {"list",
           "List the installed modules and those refused, or those shipped with homeboy.",
           "[--available]",
           {flag("available", "list the modules shipped with homeboy, installed or not (`module install <id>`)")},
           list},
          {"show", "Show one module's manifest and where it lives.", "<id>", {module_argument("the module id")}, show},
          {"install",
           "Install a module folder, or a shipped module by id; a storage provider is checked first.",
           "<id|folder> [--id ID] [--link] [--activate] [--no-check]",
           {argument("folder", "id|folder",
                     "the id of a module shipped with homeboy (module list --available), or a module folder (holding "
                     "<name>.json)")
                .completing(Completion::installable),
            option("id", "ID", "install under this id instead"),
            flag("link", "link to the folder instead of copying it"),
            flag("activate",
                 "make a storage provider active even when the current one holds config, or it fails the check"),
            flag("no-check", "do not run the conformance suite on a storage provider")},
           install},
          {"uninstall",
           "Remove a module installed in <config>/modules.",
           "<id> --force [--discard-data]",
           {module_argument("the module id"), flag("force", "really remove it"),
            flag("discard-data",
                 "remove the provider in use even though it holds config (the data stays, out of sight)")},
           uninstall},
          std::move(test_command),
      }};
  for (auto& command : daemon_commands()) group.commands.push_back(std::move(command));
  group.commands.push_back(module_new_command());
  return group;
}

}  // namespace homeboy::cli
