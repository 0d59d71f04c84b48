// `homeboy module ...`: what is installed and how each module runs.

#include "cli/app.hpp"

#include <boost/json.hpp>

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
                                {"timeout_secs", static_cast<double>(rt.timeout.count()) / 1000.0}};
  if (m.is_storage_provider()) out["config"] = m.manifest.storage_provider->config;
  return out;
}

json::array warnings_json(const Catalog& catalog) {
  json::array out;
  for (const auto& w : catalog.warnings) out.emplace_back(w);
  return out;
}

json::object list(Context& ctx, const po::variables_map&) {
  const auto& catalog = ctx.catalog();
  json::array modules;
  modules.reserve(catalog.modules.size());
  for (const auto& m : catalog.modules) modules.emplace_back(module_json(m, false));
  return {{"command", "module.list"}, {"modules", std::move(modules)}, {"warnings", warnings_json(catalog)}};
}

json::object show(Context& ctx, const po::variables_map& vm) {
  std::string id = vm["id"].as<std::string>();
  const auto& catalog = ctx.catalog();
  const Module* module = catalog.find(id);
  if (!module) {
    std::vector<std::string> hints;
    for (const auto& m : catalog.modules)
      if (m.id.find(id) != std::string::npos || id.find(m.id) != std::string::npos)
        hints.push_back("Did you mean '" + m.id + "'?");
    hints.push_back("Run `homeboy module list` to see the installed modules.");
    throw Error("module.not_found", "no module '" + id + "' is installed", ExitCode::not_found, {{"id", id}},
                std::move(hints));
  }
  return {{"command", "module.show"}, {"module", module_json(*module, true)}};
}

}  // namespace

Group module_group() {
  return Group{"module",
               "Inspect the installed modules.",
               {
                   {"list", "List the installed modules.", "", nullptr, list},
                   {"show", "Show one module's manifest and where it lives.", "<id>",
                    [](auto& desc, auto& pos) {
                      desc.add_options()("id", po::value<std::string>()->required()->value_name("ID"), "the module id");
                      pos.add("id", 1);
                    },
                    show},
               }};
}

}  // namespace homeboy::cli
