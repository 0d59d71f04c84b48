// `homeboy storage ...`: the storage contract from the command line.

#include "cli/app.hpp"
#include "cli/progress.hpp"

#include "homeboy/config_store.hpp"
#include "homeboy/text.hpp"

#include <boost/json.hpp>

#include <ostream>

namespace json = boost::json;

namespace homeboy::cli {

namespace {

// Batches of fewer operations finish too soon for progress to be worth a line.
constexpr std::size_t progress_from_operations = 1000;

OptionSpec path_argument(std::string help) {
  return argument("path", "path", std::move(help) + " (a relative path is taken from the working directory)")
      .completing(Completion::file);
}

std::string path_of(const po::variables_map& vm) { return absolute_path(vm["path"].as<std::string>()); }

json::array entries_json(const std::vector<contract::Entry>& entries) {
  json::array out;
  out.reserve(entries.size());
  for (const auto& e : entries) out.emplace_back(contract::to_json(e));  // path_base64 for names that are not UTF-8
  return out;
}

json::object status(Context& ctx, const po::variables_map&) {
  Storage& storage = ctx.storage();
  const auto& p = storage.provider();
  json::object provider{{"module_id", p.module_id},
                        {"storage_type", p.storage_type},
                        {"transport", to_string(storage.transport_kind())},
                        {"fallback_reason", p.fallback_reason ? json::value(*p.fallback_reason) : json::value(nullptr)},
                        {"selected_by", to_string(p.selected_by)},
                        {"manifest_path", p.manifest_path.string()}};
  const Module* module = ctx.catalog().find(p.module_id);
  provider["overrides"] = module && module->overrides ? json::value(module->overrides->string()) : json::value(nullptr);
  auto caps = storage.capabilities();
  json::array capabilities;
  if (caps.versions) capabilities.emplace_back("versions");
  if (caps.binary) capabilities.emplace_back("binary");
  if (caps.atomic_batch) capabilities.emplace_back("atomic_batch");
  provider["capabilities"] = std::move(capabilities);
  // How concurrent config changes are kept from losing each other (docs/config.md).
  provider["concurrency"] = to_string(concurrency_of(storage));
  return {{"command", "storage.status"}, {"config_dir", ctx.config_dir().string()}, {"provider", std::move(provider)}};
}

json::object read(Context& ctx, const po::variables_map& vm) {
  std::string path = path_of(vm);
  auto got = ctx.storage().read_versioned(path);
  if (ctx.raw_output()) {
    ctx.out().write(got.content.data(), static_cast<std::streamsize>(got.content.size()));
    return {};
  }
  json::object data{{"command", "storage.read"}, {"path", path}};
  // JSON text carries UTF-8 only: other bytes go as base64, never altered.
  if (text::is_utf8(got.content))
    data["content"] = std::move(got.content);
  else
    data["content_base64"] = text::base64_encode(got.content);
  data["version"] = got.version ? json::value(*got.version) : json::value(nullptr);
  return data;
}

contract::Condition condition_of(const po::variables_map& vm) {
  bool absent = vm.count("if-absent") && vm["if-absent"].as<bool>();
  if (vm.count("if-version")) {
    if (absent) throw errors::invalid_argument("--if-version and --if-absent cannot be combined");
    std::string version = vm["if-version"].as<std::string>();
    if (version.empty()) throw errors::invalid_argument("--if-version needs the version an earlier `storage read` showed");
    return contract::Condition::matching(std::move(version));
  }
  return absent ? contract::Condition::absent() : contract::Condition{};
}

json::object write(Context& ctx, const po::variables_map& vm) {
  std::string path = path_of(vm);
  int sources = static_cast<int>(vm.count("content")) + static_cast<int>(vm.count("file")) +
                static_cast<int>(vm.count("source"));
  if (sources != 1)
    throw errors::invalid_argument("storage write needs exactly one of --content TEXT, --file F or - (stdin)");
  std::string content;
  if (vm.count("content")) {
    content = vm["content"].as<std::string>();
  } else if (vm.count("file")) {
    content = read_input(vm["file"].as<std::string>());
  } else {
    if (vm["source"].as<std::string>() != "-")
      throw errors::invalid_argument("unexpected argument '" + vm["source"].as<std::string>() +
                                     "' (use --content TEXT, --file F or - for stdin)");
    content = read_input("-");
  }
  std::size_t bytes = content.size();
  auto version = ctx.storage().write(path, std::move(content), condition_of(vm));
  return {{"command", "storage.write"}, {"path", path}, {"bytes", bytes},
          {"version", version ? json::value(*version) : json::value(nullptr)}};
}

json::object list(Context& ctx, const po::variables_map& vm) {
  std::string path = path_of(vm);
  auto entries = ctx.storage().list(path);
  return {{"command", "storage.list"}, {"path", path}, {"entries", entries_json(entries)}};
}

json::object remove(Context& ctx, const po::variables_map& vm) {
  std::string path = path_of(vm);
  bool recursive = vm["recursive"].as<bool>();
  ctx.storage().remove(path, recursive, condition_of(vm));
  return {{"command", "storage.delete"}, {"path", path}, {"recursive", recursive}};
}

json::object ensure_dir(Context& ctx, const po::variables_map& vm) {
  std::string path = path_of(vm);
  ctx.storage().ensure_dir(path);
  return {{"command", "storage.ensure-dir"}, {"path", path}};
}

json::object batch(Context& ctx, const po::variables_map& vm) {
  std::string source = vm.count("file") ? vm["file"].as<std::string>() : "-";
  if (vm.count("file") && vm.count("source"))
    throw errors::invalid_argument("storage batch takes --file F or - (stdin), not both");
  if (vm.count("source") && vm["source"].as<std::string>() != "-")
    throw errors::invalid_argument("unexpected argument '" + vm["source"].as<std::string>() +
                                   "' (use --file F, or - for stdin)");
  auto events = contract::parse_events(read_input(source), source == "-" ? "stdin" : source);
  std::vector<std::pair<contract::Operation, std::string>> shown;  // the events move into the batch
  shown.reserve(events.size());
  for (auto& e : events) {
    e.path = absolute_path(e.path);
    shown.emplace_back(e.operation, e.path);
  }
  // A large batch through a slow provider takes a while: say how far it has come.
  TerminalProgress progress("storage batch", ctx.quiet());
  BatchProgress told;
  if (events.size() >= progress_from_operations)
    told = [&progress](std::size_t done, std::size_t total) { progress.show("operations", done, total); };
  auto responses = ctx.storage().batch(std::move(events), told);
  json::array results;
  std::size_t failed = 0;
  for (std::size_t i = 0; i < responses.size(); ++i) {
    json::object r{{"operation", contract::to_string(shown[i].first)}, {"path", shown[i].second}};
    for (auto& kv : contract::to_json(responses[i])) r[kv.key()] = std::move(kv.value());
    if (!responses[i].success) ++failed;
    results.emplace_back(std::move(r));
  }
  json::object summary{{"command", "storage.batch"},
                       {"overall_success", failed == 0},
                       {"succeeded", responses.size() - failed},
                       {"failed", failed},
                       {"results", std::move(results)}};
  if (failed) {
    throw Error(Errc::storage_batch_failed,
                std::to_string(failed) + " of " + std::to_string(responses.size()) + " batch operations failed",
                std::move(summary));
  }
  return summary;
}

OptionSpec stdin_argument(std::string help) { return argument("source", "-", std::move(help)).optional(); }

bool raw_read(const po::variables_map& vm, OutputMode output) {
  return vm["raw"].as<bool>() || output == OutputMode::text;
}

}  // namespace

GroupSpec storage_group() {
  GroupSpec group{
      "storage",
      "Read and write through the active storage provider.",
      {
          {"status", "Show the active provider, its transport and why it was chosen.", "", {}, status},
          {"read",
           "Print a file's content.",
           "<path> [--raw]",
           {path_argument("the file"),
            flag("raw", "print only the content's bytes, as they are (what -o text does too)")},
           read,
           "With -o text or --raw, stdout holds the content and nothing else; errors then go to stderr.",
           OutputMode::json,
           raw_read},
          {"write",
           "Write a file atomically (its folder must exist).",
           "<path> (--content TEXT | --file F | -) [--if-version V | --if-absent]",
           {path_argument("the file"), stdin_argument("- to take the content from stdin"),
            option("content", "TEXT", "the content"),
            option("file", "F", "take the content from file F").completing(Completion::file),
            option("if-version", "V",
                   "write only if the file is still at version V (from `storage read`); else storage.conflict"),
            flag("if-absent", "write only if nothing is at the path yet; else storage.conflict")},
           write},
          {"list", "List a folder's immediate children, sorted.", "<path>", {path_argument("the folder")}, list},
          {"delete",
           "Delete a file, or a folder and its contents with --recursive.",
           "<path> [--recursive] [--if-version V]",
           {path_argument("the file or folder"),
            flag("recursive", "the path is a folder: delete it and everything in it").also('r'),
            option("if-version", "V", "delete only if the file is still at version V; else storage.conflict")},
           remove},
          {"ensure-dir",
           "Create a folder and its parents; fine if it exists.",
           "<path>",
           {path_argument("the folder")},
           ensure_dir},
          {"batch",
           "Run a JSON array of events in one go, strictly in order.",
           "[--file F | -]",
           {stdin_argument("- to read the events from stdin (the default)"),
            option("file", "F", "read the events from file F").completing(Completion::file)},
           batch,
           "Each event is as in the storage contract: {\"operation\": \"write\", \"path\": \"/a\", \"content\": "
           "\"x\"}; events may carry content_base64, if_version and if_absent."},
      }};
  for (auto& command : migration_commands()) group.commands.push_back(std::move(command));
  return group;
}

}  // namespace homeboy::cli
