// `homeboy storage ...`: the storage contract from the command line.

#include "cli/app.hpp"
#include "cli/progress.hpp"

#include "homeboy/config/config_store.hpp"
#include "homeboy/text.hpp"

#include <boost/json.hpp>

#include <deque>
#include <memory>
#include <optional>
#include <ostream>

namespace json = boost::json;

namespace homeboy::cli {

namespace {

OptionSpec path_argument(std::string help) {
  return argument("path", "path", std::move(help) + " (a relative path is taken from the working directory)")
      .completing(Completion::file);
}

std::string path_of(const po::variables_map& vm) { return absolute_path(vm["path"].as<std::string>()); }

// The start of a command's answer: its name and the path it worked on (as path_base64 when
// the path is not UTF-8, so the bytes can be told apart from a name that holds "\xff").
json::object answer(std::string_view command, std::string_view path) {
  json::object data{{"command", command}};
  contract::put_bytes(data, "path", path);
  return data;
}


// A raw change of the config's documents skips their rules (a delete would leave projects
// naming a server that is gone): refused, naming the command that keeps them, unless --force.
void guard_config(Context& ctx, const po::variables_map& vm, const contract::Event& event) {
  if (vm["force"].as<bool>()) return;
  auto kind = config_kind_touched(ctx.config_dir(), event);
  if (!kind) return;
  std::string k(to_string(*kind)), folder = (ctx.config_dir() / plural(*kind)).string();
  std::string id;
  if (event.path.starts_with(folder + "/") && event.path.ends_with(".json") &&
      event.path.find('/', folder.size() + 1) == std::string::npos)
    id = event.path.substr(folder.size() + 1, event.path.size() - folder.size() - 6);
  std::string hint =
      id.empty() ? "Change " + std::string(plural(*kind)) + " with `homeboy " + k + " create|set|rename|delete`, which keep the config's rules."
      : event.operation == contract::Operation::remove
          ? "Use `homeboy " + k + " delete " + id + "`: it refuses while a project still refers to it."
          : "Use `homeboy " + k + " set " + id + " '{...}'` (or `homeboy " + k + " create " + id + "`): they check references and ids.";
  throw Error(Errc::storage_config_protected,
              "storage " + std::string(event.operation == contract::Operation::remove ? "delete" : contract::to_string(event.operation)) +
                  " " + event.path + " would change homeboy's " + std::string(plural(*kind)) +
                  " behind the config's rules; nothing was done",
              {{"path", event.path}, {"kind", k}},
              {std::move(hint), "Pass --force to do it anyway."});
}

OptionSpec force_flag() { return flag("force", "change homeboy's config documents directly, skipping their rules"); }

Reply status(Context& ctx, const po::variables_map& vm) {
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
  if (caps.transactions) capabilities.emplace_back("transactions");
  provider["capabilities"] = std::move(capabilities);
  // How the config's rules are kept against concurrent commands, and for whom (docs/config.md).
  auto concurrency = concurrency_of(storage);
  provider["concurrency"] = to_string(concurrency);
  provider["concurrency_scope"] = scope_of(concurrency);
  // What an acknowledged change survives: the provider's promise, or the user's choice of
  // speed in its config (docs/storage-contract.md, "Durability").
  const StorageProvider* sp = module && module->manifest.storage_provider ? &*module->manifest.storage_provider : nullptr;
  bool chosen = sp && sp->durability_chosen == Durability::process_crash;
  std::optional<Durability> durability = chosen ? sp->durability_chosen : sp ? sp->durability : std::nullopt;
  provider["durability"] = durability ? json::value(to_string(*durability)) : json::value(nullptr);
  provider["durability_set_by"] = chosen ? json::value("config") : durability ? json::value("provider") : json::value(nullptr);
  // Whether the provider answers: a set-up check must fail when nothing would work (a database
  // that is down, a wrong password), naming where it tried. One listing of the config folder.
  json::value reachable = nullptr;
  if (!vm["offline"].as<bool>()) {
    try {
      storage.list(ctx.config_dir().string());
      reachable = true;
    } catch (const Error& e) {
      if (e.errc() == Errc::cli_interrupted) throw;
      json::object details = e.details();
      details["reachable"] = false;
      details["provider"] = provider;
      throw Error(e.errc(), "storage provider '" + p.module_id + "' cannot be used: " + e.what(), std::move(details),
                  e.hints());
    }
  }
  return {{"command", "storage.status"},
          {"config_dir", ctx.config_dir().string()},
          {"provider", std::move(provider)},
          {"reachable", reachable}};
}

Reply read(Context& ctx, const po::variables_map& vm) {
  std::string path = path_of(vm);
  auto got = std::make_shared<Versioned>(ctx.storage().read_versioned(path));
  if (ctx.raw_output()) {
    ctx.out().write(got->content.data(), static_cast<std::streamsize>(got->content.size()));
    return {};
  }
  Reply reply(answer("storage.read", path));
  // JSON text carries UTF-8 only: other bytes go as base64, never altered. The content is
  // written from where it lies, never copied into the envelope.
  if (text::is_utf8(got->content))
    reply.stream("content", [got](JsonWriter& out) { out.string(got->content); });
  else
    reply.stream("content_base64", [got](JsonWriter& out) { out.base64_string(got->content); });
  reply.data()["version"] = got->version ? json::value(*got->version) : json::value(nullptr);
  return reply;
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

Reply write(Context& ctx, const po::variables_map& vm) {
  std::string path = path_of(vm);
  if (vm.count("source") && vm["source"].as<std::string>() != "-")
    throw errors::invalid_argument("unexpected argument '" + vm["source"].as<std::string>() +
                                   "' (use --content TEXT, --file F or - for stdin)");
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
    content = read_input("-");
  }
  std::size_t bytes = content.size();
  guard_config(ctx, vm, contract::Event::write(path, {}));
  auto version = ctx.storage().write(path, std::move(content), condition_of(vm));
  json::object data = answer("storage.write", path);
  data["bytes"] = bytes;
  data["version"] = version ? json::value(*version) : json::value(nullptr);
  return data;
}

Reply list(Context& ctx, const po::variables_map& vm) {
  std::string path = path_of(vm);
  auto entries = std::make_shared<std::vector<contract::Entry>>(ctx.storage().list(path));
  Reply reply(answer("storage.list", path));
  reply.stream("entries", [entries](JsonWriter& out) {
    out.begin_array();
    for (const auto& e : *entries) {
      out.begin_object();
      out.bytes_member("path", e.path);  // path_base64 for names that are not UTF-8
      out.key("is_directory");
      out.boolean(e.is_directory);
      out.end_object();
    }
    out.end_array();
  });
  return reply;
}

Reply remove(Context& ctx, const po::variables_map& vm) {
  std::string path = path_of(vm);
  bool recursive = vm["recursive"].as<bool>();
  guard_config(ctx, vm, contract::Event::remove(path, recursive));
  ctx.storage().remove(path, recursive, condition_of(vm));
  json::object data = answer("storage.delete", path);
  data["recursive"] = recursive;
  return data;
}

Reply ensure_dir(Context& ctx, const po::variables_map& vm) {
  std::string path = path_of(vm);
  guard_config(ctx, vm, contract::Event::ensure_dir(path));
  ctx.storage().ensure_dir(path);
  return answer("storage.ensure-dir", path);
}

// A batch's results as the envelope shows them, each packed into one small record: its
// operation, its path (as given) and what the answer says, the strings back to back in one
// buffer. A batch of 100,000 small results then holds ~150 bytes each, not a Response
// (~220 bytes before its strings) and a copy of its event.
class BatchResults {
 public:
  // `given`: the paths of the events that the facade will normalize (a trailing slash
  // dropped), by index, in order: results show paths as given.
  explicit BatchResults(std::vector<std::pair<std::size_t, std::string>> given) : given_(std::move(given)) {}

  void add(const contract::Event& op, contract::Response&& r) {
    Record record;
    record.operation = op.operation;
    record.success = r.success;
    record.code = r.effective_error_code();
    failed_ += r.success ? 0 : 1;
    std::string_view path = op.path;
    if (next_given_ < given_.size() && given_[next_given_].first == records_.size()) path = given_[next_given_++].second;
    record.text.reserve(path.size() + (r.data ? r.data->size() : 0) + (r.version ? r.version->size() : 0) +
                        (r.error ? r.error->size() : 0));
    record.text = path;
    auto pack = [&](std::optional<std::string>& field, std::optional<std::uint32_t>& size) {
      if (!field) return;
      size = static_cast<std::uint32_t>(field->size());
      record.text += *field;
      field.reset();
    };
    pack(r.data, record.data);
    pack(r.version, record.version);
    pack(r.error, record.error);
    // An answer with more than these (a list's entries) is kept as it is.
    if (r.entries || r.results || r.overall_success) record.rest = std::make_unique<contract::Response>(std::move(r));
    records_.push_back(std::move(record));
  }

  std::size_t size() const noexcept { return records_.size(); }
  std::size_t failed() const noexcept { return failed_; }

  // Each result: the event's operation and path, then the answer as the contract lays it out.
  void write(JsonWriter& out) const {
    out.begin_array();
    for (const auto& record : records_) {
      std::string_view text = record.text;
      auto take_back = [&](const std::optional<std::uint32_t>& size) -> std::optional<std::string> {
        if (!size) return std::nullopt;
        std::string field(text.substr(text.size() - *size));
        text.remove_suffix(*size);
        return field;
      };
      contract::Response r = record.rest ? *record.rest : contract::Response{};
      r.success = record.success;
      if (!record.success) r.error_code = record.code;
      r.error = take_back(record.error);
      r.version = take_back(record.version);
      r.data = take_back(record.data);
      out.begin_object();
      out.key("operation");
      out.string(contract::to_string(record.operation));
      out.bytes_member("path", text);
      contract::write_members(out, r);
      out.end_object();
    }
    out.end_array();
  }

 private:
  struct Record {
    std::string text;  // the path, then the data, the version and the error
    std::optional<std::uint32_t> data, version, error;  // their sizes, when the answer has them
    contract::Operation operation = contract::Operation::read;
    contract::ErrorCode code = contract::ErrorCode::io_error;
    bool success = false;
    std::unique_ptr<contract::Response> rest;
  };
  std::vector<std::pair<std::size_t, std::string>> given_;
  std::size_t next_given_ = 0;
  std::deque<Record> records_;  // grows without moving what it holds
  std::size_t failed_ = 0;
};

Reply batch(Context& ctx, const po::variables_map& vm) {
  std::string source = vm.count("file") ? vm["file"].as<std::string>() : "-";
  if (vm.count("file") && vm.count("source"))
    throw errors::invalid_argument("storage batch takes --file F or - (stdin), not both");
  if (vm.count("source") && vm["source"].as<std::string>() != "-")
    throw errors::invalid_argument("unexpected argument '" + vm["source"].as<std::string>() +
                                   "' (use --file F, or - for stdin)");
  auto events = contract::parse_events(read_input(source), source == "-" ? "stdin" : source);
  std::vector<std::pair<std::size_t, std::string>> given;  // the paths the facade will show otherwise
  for (std::size_t i = 0; i < events.size(); ++i) {
    auto& e = events[i];
    e.path = absolute_path(e.path);
    try {
      std::string checked = checked_path(e.path);
      if (checked != e.path) given.emplace_back(i, e.path);
      contract::Event normal = e;
      normal.path = std::move(checked);
      try {
        guard_config(ctx, vm, normal);
      } catch (Error& refused) {
        throw Error(refused.errc(), "event " + std::to_string(i + 1) + ": " + refused.what(), refused.details(),
                    refused.hints());
      }
    } catch (const Error& e2) {
      if (e2.errc() == Errc::storage_config_protected) throw;
      // The facade refuses it, naming the problem, before anything runs.
    }
  }
  // A large batch through a slow provider takes a while: say how far it has come.
  TerminalProgress progress("storage batch", ctx.quiet());
  BatchProgress told;
  if (events.size() >= progress_from_operations)
    told = [&progress](std::size_t done, std::size_t total) { progress.show("operations", done, total); };
  auto results = std::make_shared<BatchResults>(std::move(given));
  ctx.storage().batch(
      std::move(events), [&](const contract::Event& op, contract::Response&& r) { results->add(op, std::move(r)); },
      told);
  std::size_t failed = results->failed();
  Reply reply{{"command", "storage.batch"},
              {"overall_success", failed == 0},
              {"succeeded", results->size() - failed},
              {"failed", failed}};
  reply.stream("results", [results](JsonWriter& out) { results->write(out); });
  // A failure never hides behind a success: the results are then the error's details.
  if (failed)
    reply.fail(Error(Errc::storage_batch_failed,
                     std::to_string(failed) + " of " + std::to_string(results->size()) + " batch operations failed"));
  return reply;
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
          {"status",
           "Show the active provider, its transport and why it was chosen, and check that it answers.",
           "[--offline]",
           {flag("offline", "do not check that the provider answers (no connection, no daemon started)")},
           status},
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
           "<path> (--content TEXT | --file F | -) [--if-version V | --if-absent] [--force]",
           {path_argument("the file"), stdin_argument("- to take the content from stdin"),
            option("content", "TEXT", "the content"),
            option("file", "F", "take the content from file F").completing(Completion::file),
            option("if-version", "V",
                   "write only if the file is still at version V (from `storage read`); else storage.conflict"),
            flag("if-absent", "write only if nothing is at the path yet; else storage.conflict"), force_flag()},
           write},
          {"list", "List a folder's immediate children, sorted.", "<path>", {path_argument("the folder")}, list},
          {"delete",
           "Delete a file, or a folder and its contents with --recursive.",
           "<path> [--recursive] [--if-version V] [--force]",
           {path_argument("the file or folder"),
            flag("recursive", "the path is a folder: delete it and everything in it").also('r'),
            option("if-version", "V", "delete only if the file is still at version V; else storage.conflict"),
            force_flag()},
           remove},
          {"ensure-dir",
           "Create a folder and its parents; fine if it exists.",
           "<path> [--force]",
           {path_argument("the folder"), force_flag()},
           ensure_dir},
          {"batch",
           "Run a JSON array of events in one go, strictly in order.",
           "[--file F | -] [--force]",
           {stdin_argument("- to read the events from stdin (the default)"),
            option("file", "F", "read the events from file F").completing(Completion::file), force_flag()},
           batch,
           "Each event is as in the storage contract: {\"operation\": \"write\", \"path\": \"/a\", \"content\": "
           "\"x\"}; events may carry content_base64, if_version and if_absent, and may be checks ({\"operation\": "
           "\"check\", \"path\": \"/a\", \"if_absent\": true}) for a provider with transactions."},
      }};
  for (auto& command : migration_commands()) group.commands.push_back(std::move(command));
  return group;
}

}  // namespace homeboy::cli
