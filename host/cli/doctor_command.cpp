// `homeboy doctor`: is the active provider answering, and does the config it holds keep its
// rules? Every problem comes with its fix (docs/config.md, "Checking the config").

#include "cli/app.hpp"

#include "homeboy/config/config_check.hpp"
#include "homeboy/config/config_store.hpp"
#include "homeboy/providers/registry.hpp"

#include <boost/json.hpp>

namespace json = boost::json;

namespace homeboy::cli {

namespace {

json::array problems_json(const std::vector<Problem>& problems) {
  json::array out;
  for (const auto& p : problems) out.emplace_back(p.to_json());
  return out;
}

// The first problem's fix, and where the others are: each problem carries its own.
std::vector<std::string> fixes(const std::vector<Problem>& problems) {
  std::vector<std::string> hints{"To mend " + problems.front().text() + ": " + problems.front().fix};
  if (problems.size() > 1) hints.push_back("Every problem and its fix: details.problems (or `homeboy -o text doctor`).");
  return hints;
}

Reply doctor(Context& ctx, const po::variables_map&) {
  check_environment();
  auto problems = check_folders(ctx.config_dir());
  Storage& storage = ctx.storage();
  const auto& p = storage.provider();
  auto concurrency = concurrency_of(storage);
  json::object data{{"command", "doctor"},
                    {"config_dir", ctx.config_dir().string()},
                    {"provider", json::object{{"module_id", p.module_id},
                                              {"transport", to_string(storage.transport_kind())},
                                              {"concurrency", to_string(concurrency)},
                                              {"concurrency_scope", scope_of(concurrency)}}}};
  std::vector<ConfigFile> files;
  try {
    files = entity_files(storage, ctx.config_dir(), problems);
  } catch (const Error& e) {
    // Nothing of the config can be checked without the provider: that comes first.
    json::object details = data;
    details["reachable"] = false;
    details["problems"] = problems_json(problems);
    std::vector<std::string> hints{"The config is checked once '" + p.module_id +
                                   "' answers; `homeboy storage status` shows how it is reached."};
    for (auto& h : e.hints()) hints.push_back(h);
    throw Error(e.errc(), "the storage provider '" + p.module_id + "' does not answer: " + e.what(), std::move(details),
                std::move(hints));
  }
  auto rules = check_documents(files);
  problems.insert(problems.end(), rules.begin(), rules.end());
  data["reachable"] = true;
  data["documents"] = files.size();
  data["problems"] = problems_json(problems);
  if (problems.empty()) return data;
  std::size_t n = problems.size();
  std::string message = std::to_string(n) + (n == 1 ? " problem" : " problems") + " in the config: " +
                        problems.front().text() + (n > 1 ? " (and " + std::to_string(n - 1) + " more)" : "");
  throw Error(Errc::config_unhealthy, std::move(message), std::move(data), fixes(problems));
}

}  // namespace

CommandSpec doctor_command() {
  return {"doctor",
          "Check that the provider answers and that the config keeps its rules; list each problem with its fix.",
          "",
          {},
          doctor,
          "Checks the config folder and its entity folders on disk (links, owners, modes), that the active provider "
          "answers, and every project, server and component document: JSON objects with each key once, named "
          "<id>.json with a valid id matching their \"id\", no id in two kinds, no reference to a missing id, nothing "
          "else in their folders. Exit 0 when all is well, 2 (config.unhealthy) with every problem and its fix, or "
          "the provider's own error (exit 1) when it does not answer."};
}

}  // namespace homeboy::cli
