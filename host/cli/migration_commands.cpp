// `homeboy storage migrate|export|import`: moving homeboy's config to another provider, into
// an archive, and back (docs/config.md, "Changing where homeboy keeps its data").

#include "cli/app.hpp"
#include "cli/progress.hpp"

#include "homeboy/config/archive.hpp"
#include "homeboy/config/config_tree.hpp"
#include "homeboy/transport/interrupt.hpp"
#include "homeboy/config/migration.hpp"
#include "homeboy/providers/provider_pin.hpp"
#include "homeboy/suggest.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace json = boost::json;

namespace homeboy::cli {

namespace {

using migration::Outcome;

migration::Existing existing_policy(const po::variables_map& vm) {
  bool replace = vm["replace"].as<bool>(), skip = vm["skip-existing"].as<bool>();
  if (replace && skip) throw errors::invalid_argument("--replace and --skip-existing exclude each other; pick one");
  return replace ? migration::Existing::replace : skip ? migration::Existing::skip : migration::Existing::refuse;
}

std::vector<OptionSpec> with_policy(std::vector<OptionSpec> options) {
  options.push_back(flag("replace", "overwrite documents the target holds with other content"));
  options.push_back(flag("skip-existing", "keep documents the target holds with other content"));
  options.push_back(flag("dry-run", "write nothing; list every document and what would happen to it"));
  return options;
}

// The counts, the failures and conflicts by path, and in a dry run every document's fate.
json::object report_json(const migration::Report& report, bool dry_run) {
  json::object out{{"documents", report.documents.size()}};
  for (Outcome o : {Outcome::copied, Outcome::replaced, Outcome::unchanged, Outcome::skipped, Outcome::conflict,
                    Outcome::failed})
    out[o == Outcome::conflict ? "conflicts" : std::string(to_string(o))] = report.count(o);
  json::array failures, conflicts, plan;
  for (const auto& d : report.documents) {
    if (d.outcome == Outcome::failed) {
      json::object failure;
      contract::put_bytes(failure, "path", d.path);
      failure["reason"] = d.reason;
      failures.emplace_back(std::move(failure));
    }
    if (d.outcome == Outcome::conflict) conflicts.emplace_back(d.path);
    if (dry_run) {
      json::object step;
      contract::put_bytes(step, "path", d.path);
      step["outcome"] = to_string(d.outcome);
      plan.emplace_back(std::move(step));
    }
  }
  out["failures"] = std::move(failures);
  out["conflict_paths"] = std::move(conflicts);
  if (dry_run) out["plan"] = std::move(plan);
  return out;
}

const Module& storage_module(Context& ctx, const std::string& id, const std::string& option) {
  const auto& catalog = ctx.catalog();
  const Module* module = catalog.find(id);
  if (module && module->is_storage_provider()) return *module;
  std::vector<std::string> hints, ids;
  std::string providers;
  for (const auto* m : catalog.storage_providers()) {
    providers += (providers.empty() ? "" : ", ") + m->id;
    ids.push_back(m->id);
  }
  if (auto guess = did_you_mean(suggest(id, ids)); !guess.empty()) hints.push_back(std::move(guess));
  if (module)
    throw Error(Errc::module_not_a_provider, option + " '" + id + "': module '" + id + "' is not a storage provider",
                {{"id", id}}, {"Storage providers installed: " + providers + "."});
  hints.push_back("Install it first: homeboy module install <folder>; providers installed now: " + providers + ".");
  throw Error(Errc::module_not_found, option + " '" + id + "': no module '" + id + "' is installed", {{"id", id}},
              std::move(hints));
}

Error same_provider(const Storage& source) {
  const auto& id = source.provider().module_id;
  return Error(Errc::storage_same_provider,
               "'" + id + "' is already the provider the documents come from; there is nothing to migrate" +
                   (source.provider().fallback_reason
                        ? " (homeboy reaches it through its script here, but its native library and its script keep "
                          "the same documents in the same place)"
                        : ""),
               {{"module", id}},
               {"Give --to the id of another storage provider (homeboy module list).",
                "To choose how homeboy reaches a provider, set HOMEBOY_STORAGE_TRANSPORT=native|subprocess|auto; "
                "nothing needs copying for that."});
}

json::object migrate(Context& ctx, const po::variables_map& vm) {
  auto policy = existing_policy(vm);
  bool dry_run = vm["dry-run"].as<bool>();
  std::string to = vm["to"].as<std::string>();
  const Module& target_module = storage_module(ctx, to, "--to");
  std::unique_ptr<Storage> named_source;
  if (vm.count("from"))
    named_source = ctx.registry().open(storage_module(ctx, vm["from"].as<std::string>(), "--from"),
                                       transport_preference_from_env());
  Storage& source = named_source ? *named_source : ctx.storage();
  if (source.provider().module_id == to) throw same_provider(source);

  ConfigTree tree(ctx.config_dir(), ctx.catalog());
  std::vector<std::string> roots{tree.root()};
  if (vm.count("path"))
    for (const auto& p : vm["path"].as<std::vector<std::string>>()) roots.push_back(checked_path(absolute_path(p)));
  TerminalProgress progress("storage migrate", ctx.quiet());
  auto paths = tree.documents(source, roots);
  auto sourced = migration::read_documents(source, paths, progress.callback());
  auto target = ctx.registry().open(target_module, transport_preference_from_env());
  auto report = migration::copy_into(*target, std::move(sourced), {policy, dry_run, progress.callback()});

  json::array roots_json;
  for (const auto& r : roots) roots_json.emplace_back(r);
  json::object data{{"command", "storage.migrate"},
                    {"from", source.provider().module_id},
                    {"to", to},
                    {"dry_run", dry_run},
                    {"roots", std::move(roots_json)}};
  for (auto& kv : report_json(report, dry_run)) data[kv.key()] = std::move(kv.value());
  data["pinned"] = nullptr;
  if (dry_run) return data;
  if (!report.complete()) {
    const auto& first = *std::find_if(report.documents.begin(), report.documents.end(),
                                      [](const auto& d) { return d.outcome == Outcome::failed; });
    throw Error(Errc::storage_migrate_incomplete,
                std::to_string(report.count(Outcome::failed)) + " of " + std::to_string(report.documents.size()) +
                    " documents could not be copied to '" + to + "' (first: " + first.path + ": " + first.reason +
                    "); nothing was pinned, and '" + source.provider().module_id + "' still holds every document",
                std::move(data),
                {"Fix the cause (see details.failures), then run the same command again: documents already copied "
                 "count as unchanged."});
  }
  throw_if_interrupted();  // an interrupted migration pins nothing, even after a step that ran to its end
  auto pin = pin_provider(ctx.config_dir(), to);
  data["pinned"] = json::object{{"file", pin.file.string()},
                                {"storage", to},
                                {"previous", pin.before ? json::value(*pin.before) : json::value(nullptr)}};
  return data;
}

json::object export_archive(Context& ctx, const po::variables_map& vm) {
  std::string output = vm.count("file") ? vm["file"].as<std::string>() : "-";
  Storage& storage = ctx.storage();
  ConfigTree tree(ctx.config_dir(), ctx.catalog());
  TerminalProgress progress("storage export", ctx.quiet());
  auto sourced = migration::read_documents(storage, tree.documents(storage), progress.callback());
  if (!sourced.failures.empty()) {
    json::array failures;
    for (const auto& f : sourced.failures) {
      json::object failure;
      contract::put_bytes(failure, "path", f.path);
      failure["reason"] = f.reason;
      failures.emplace_back(std::move(failure));
    }
    throw Error(Errc::storage_export_failed,
                std::to_string(sourced.failures.size()) +
                    " documents could not be read (first: " + sourced.failures.front().path + ": " +
                    sourced.failures.front().reason + "); no archive was written",
                {{"failures", std::move(failures)}});
  }
  std::vector<archive::Document> documents;
  documents.reserve(sourced.documents.size());
  for (auto& d : sourced.documents) documents.push_back({*tree.relative(d.path), std::move(d.content)});
  std::size_t count = documents.size();
  std::string text = archive::write({storage.provider().module_id, archive::now_utc(), 0}, std::move(documents));
  if (output == "-") {
    ctx.out().write(text.data(), static_cast<std::streamsize>(text.size()));
    return {};
  }
  std::string file = absolute_path(output);
  try {
    replace_file(file, text, 0600);  // config may hold secrets: the archive is the user's alone
  } catch (const Error& e) {
    // replace_file names homeboy.json's code; here the archive is what failed.
    throw Error(Errc::storage_export_failed, std::string(e.what()) + "; no archive was written", {{"output", file}});
  }
  return {{"command", "storage.export"},     {"output", file},
          {"format", archive::format_name}, {"version", archive::format_version},
          {"source_provider", storage.provider().module_id}, {"documents", count},
          {"bytes", text.size()}};
}

json::object import_archive(Context& ctx, const po::variables_map& vm) {
  auto policy = existing_policy(vm);
  bool dry_run = vm["dry-run"].as<bool>();
  std::string file = vm["file"].as<std::string>();
  std::string source = file == "-" ? "stdin" : file;
  auto parsed = archive::parse(read_input(file), source);

  ConfigTree tree(ctx.config_dir(), ctx.catalog());
  migration::Sourced sourced;
  sourced.documents.reserve(parsed.documents.size());
  for (std::size_t i = 0; i < parsed.documents.size(); ++i) {
    auto& doc = parsed.documents[i];
    std::string path = tree.absolute(doc.path);
    if (auto why = tree.excluded(path))
      throw Error(Errc::archive_unsafe_path,
                  source + ", line " + std::to_string(i + 2) + ": '" + excerpt(doc.path, 200) +
                      "' is not part of homeboy's config: " + *why,
                  {{"source", source}, {"line", i + 2}, {"path", doc.path}});
    sourced.documents.push_back({checked_path(path), std::move(doc.content)});
  }
  // Documents may hold secrets: the config folder is made (or closed) 0700 first, so the
  // filesystem providers make the folders and documents in it private, as `create` does.
  if (!dry_run) ensure_config_dir(ctx.config_dir());
  Storage& storage = ctx.storage();
  TerminalProgress progress("storage import", ctx.quiet());
  auto report = migration::copy_into(storage, std::move(sourced), {policy, dry_run, progress.callback()});
  json::object data{{"command", "storage.import"},
                    {"source", source},
                    {"dry_run", dry_run},
                    {"provider", storage.provider().module_id},
                    {"archive", json::object{{"format", archive::format_name},
                                             {"version", archive::format_version},
                                             {"source_provider", parsed.header.source_provider},
                                             {"created_at", parsed.header.created_at}}}};
  for (auto& kv : report_json(report, dry_run)) data[kv.key()] = std::move(kv.value());
  if (!dry_run && !report.complete())
    throw Error(Errc::storage_import_incomplete,
                std::to_string(report.count(Outcome::failed)) + " of " + std::to_string(report.documents.size()) +
                    " documents could not be imported into '" + storage.provider().module_id + "'",
                std::move(data),
                {"Fix the cause (see details.failures), then import again: documents already imported count as "
                 "unchanged."});
  return data;
}

}  // namespace

std::vector<CommandSpec> migration_commands() {
  return {
      {"migrate", "Copy homeboy's config to another provider, check it, then make that provider active.",
       "--to <module-id> [--path P]... [--from <module-id>] [--dry-run] [--replace | --skip-existing]",
       with_policy(
           {option("to", "ID", "the storage provider to move the config to").needed().completing(Completion::provider),
            option("path", "P", "also copy this folder tree (repeatable)").repeat().completing(Completion::folder),
            option("from", "ID", "copy from this provider instead of the active one")
                .completing(Completion::provider)}),
       migrate,
       "Nothing is deleted from the source; the target is made active only when every document reads back the same."},
      {"export",
       "Write homeboy's config to a portable archive (JSON Lines).",
       "[FILE]",
       {argument("file", "FILE", "where to write the archive; without it (or with -), to stdout with no envelope")
            .optional()
            .completing(Completion::file)},
       export_archive,
       "To stdout, the archive is all that is printed; errors then go to stderr.",
       OutputMode::json,
       [](const po::variables_map& vm, OutputMode) {
         return !vm.count("file") || vm["file"].as<std::string>() == "-";
       },
       Errc::storage_export_failed},
      {"import", "Check a whole archive, then write its documents through the active provider.",
       "FILE [--dry-run] [--replace | --skip-existing]",
       with_policy({argument("file", "FILE", "the archive, or - to read it from stdin").completing(Completion::file)}),
       import_archive},
  };
}

}  // namespace homeboy::cli
