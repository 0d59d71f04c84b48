// `homeboy module daemons` and `homeboy module stop`: the module daemons of this user
// (docs/module-authoring.md, "Daemons").

#include "cli/daemon_commands.hpp"

#include "cli/output.hpp"
#include "homeboy/transport/daemon.hpp"

#include <boost/json.hpp>

namespace fs = std::filesystem;
namespace json = boost::json;

namespace homeboy::cli {

namespace {

// "current" when a command run now would use this daemon as it is, "stale" when it would
// replace it (its files, config or environment changed, or the module is gone), "unknown"
// for a daemon of another config folder.
std::string fingerprint_status(Context& ctx, const daemon::Daemon& d) {
  if (!daemon::same_folder(d.state.config_dir, ctx.config_dir())) return "unknown";
  const Module* module = ctx.catalog().find(d.state.module_id);
  if (!module || !module->manifest.runtime.daemon) return "stale";
  try {
    auto command = daemon::daemon_command(*module, ctx.config_dir(), d.files);
    return daemon::fingerprint(*module, command) == d.state.fingerprint ? "current" : "stale";
  } catch (const std::exception&) {
    return "stale";  // it could no longer be started (trust checks, no isolation helper)
  }
}

json::object daemon_json(Context& ctx, const daemon::Daemon& d) {
  const auto& s = d.state;
  auto used = daemon::last_used(d.files);
  return {{"id", s.module_id},
          {"config_dir", s.config_dir.string()},
          {"module_dir", s.module_dir.string()},
          {"pid", s.pid},
          {"supervisor_pid", s.supervisor_pid},
          {"socket", s.socket.string()},
          {"log", s.log.string()},
          {"started", daemon::utc_text(s.started)},
          {"last_request", used ? json::value(daemon::utc_text(*used)) : json::value(nullptr)},
          {"idle_secs", seconds_json(s.idle)},
          {"fingerprint", s.fingerprint},
          {"fingerprint_status", fingerprint_status(ctx, d)}};
}

json::array stopped_json(const std::vector<daemon::State>& stopped) {
  json::array out;
  for (const auto& s : stopped)
    out.emplace_back(json::object{{"id", s.module_id}, {"config_dir", s.config_dir.string()}, {"pid", s.pid}});
  return out;
}

// The daemons of this config folder; with --all, every daemon of this user (the runtime folder
// is the user's, shared by every HOME and config folder the user runs homeboy with), and the
// answer says which it is.
json::object daemons(Context& ctx, const po::variables_map& vm) {
  bool all = vm["all"].as<bool>();
  fs::path runtime = daemon::runtime_dir();
  json::array list;
  std::int64_t elsewhere = 0;
  for (const auto& d : daemon::list(runtime)) {
    if (all || daemon::same_folder(d.state.config_dir, ctx.config_dir()))
      list.emplace_back(daemon_json(ctx, d));
    else
      ++elsewhere;
  }
  json::object out{{"command", "module.daemons"},
                   {"scope", all ? "every_config_folder" : "this_config_folder"},
                   {"config_dir", ctx.config_dir().string()},
                   {"runtime_dir", runtime.string()},
                   {"daemons", std::move(list)}};
  if (!all) out["other_config_folders_daemons"] = elsewhere;
  return out;
}

json::object stop(Context& ctx, const po::variables_map& vm) {
  bool all = vm["all"].as<bool>();
  bool has_id = vm.count("id") != 0;
  if (all && has_id)
    throw errors::invalid_argument("give a module id or --all, not both");
  if (!all && !has_id)
    throw errors::invalid_argument("give a module id, or --all to stop every module daemon of yours");
  std::string id = has_id ? vm["id"].as<std::string>() : std::string();
  auto stopped = daemon::stop_where(daemon::runtime_dir(), [&](const daemon::State& s) {
    return all || (s.module_id == id && daemon::same_folder(s.config_dir, ctx.config_dir()));
  });
  if (has_id && stopped.empty() && !ctx.catalog().find(id) && !ctx.catalog().find_refused(id))
    throw Error(Errc::module_not_found, "no module '" + id + "' is installed, and no daemon of that name runs",
                {{"id", id}}, {"Run `homeboy module daemons` to see the daemons that run."});
  return {{"command", "module.stop"}, {"stopped", stopped_json(stopped)}};
}

}  // namespace

std::vector<CommandSpec> daemon_commands() {
  return {
      {"daemons",
       "List the module daemons of this config folder (--all: of every config folder of this user).",
       "[--all]",
       {flag("all", "every daemon of this user, whichever HOME or config folder started it")},
       daemons},
      {"stop",
       "Stop a module's daemon (or every one of yours with --all).",
       "<id> | --all",
       {argument("id", "id", "the module id").optional().completing(Completion::module),
        flag("all", "stop every module daemon of this user, for every config folder")},
       stop},
  };
}

json::array stop_module_daemons(Context& ctx, const std::string& id, const fs::path& dir) {
  auto runtime = daemon::existing_runtime_dir();
  if (!runtime) return {};
  auto stopped = daemon::stop_where(*runtime, [&](const daemon::State& s) {
    bool same_module = s.module_id == id && daemon::same_folder(s.config_dir, ctx.config_dir());
    return same_module || daemon::same_folder(s.module_dir, dir);
  });
  return stopped_json(stopped);
}

}  // namespace homeboy::cli
