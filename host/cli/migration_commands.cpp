// `homeboy storage migrate|export|import`: moving homeboy's config to another provider, into
// an archive, and back (docs/config.md, "Changing where homeboy keeps its data").

#include "cli/app.hpp"
#include "cli/progress.hpp"

#include "homeboy/config/archive.hpp"
#include "homeboy/config/config_check.hpp"
#include "homeboy/config/config_store.hpp"
#include "homeboy/config/config_tree.hpp"
#include "homeboy/transport/interrupt.hpp"
#include "homeboy/config/migration.hpp"
#include "homeboy/providers/provider_pin.hpp"
#include "homeboy/suggest.hpp"

#include <boost/json.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

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
                    Outcome::failed, Outcome::extra, Outcome::pruned})
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

// The config's rules on `storage` once a migration or an import is done: reported, and warned
// about, never undone (what was wrong was wrong on the source, or on the target before).
json::object config_check(Context& ctx, Storage& storage) {
  std::vector<Problem> problems;
  auto files = entity_files(storage, ctx.config_dir(), problems);
  auto rules = check_documents(files);
  problems.insert(problems.end(), rules.begin(), rules.end());
  json::array list;
  for (const auto& p : problems) {
    ctx.warn("on '" + storage.provider().module_id + "': " + p.text() + " (fix: " + p.fix + ")");
    list.emplace_back(p.to_json());
  }
  return {{"documents", files.size()}, {"healthy", problems.empty()}, {"problems", std::move(list)}};
}

// Where --prune keeps what it removes: <config>/.backups/, a hidden folder (outside the
// config tree, so it never moves), 0700, one archive per run, 0600.
std::string write_backup(Context& ctx, const std::string& provider, std::vector<archive::Document> documents) {
  std::filesystem::path folder = ctx.config_dir() / ".backups";
  std::error_code ec;
  std::filesystem::create_directory(folder, ec);
  ::chmod(folder.c_str(), 0700);
  std::string stamp = archive::now_utc();
  std::replace(stamp.begin(), stamp.end(), ':', '-');
  std::string file = (folder / ("pruned-from-" + provider + "-" + stamp + ".jsonl")).string();
  for (int n = 2; std::filesystem::exists(file); ++n)
    file = (folder / ("pruned-from-" + provider + "-" + stamp + "-" + std::to_string(n) + ".jsonl")).string();
  replace_file(file, archive::write({provider, archive::now_utc(), 0}, std::move(documents)), 0600);
  return file;
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
  check_config_folders(ctx.config_dir(), false);
  std::vector<std::string> roots{tree.root()};
  if (vm.count("path"))
    for (const auto& p : vm["path"].as<std::vector<std::string>>()) roots.push_back(checked_path(absolute_path(p)));
  bool prune = vm["prune"].as<bool>();
  TerminalProgress progress("storage migrate", ctx.quiet());
  auto paths = tree.documents(source, roots);
  auto target = ctx.registry().open(target_module, transport_preference_from_env());
  // What only the target holds: after the migration the target holds the source's config and
  // nothing else, so a document deleted since an earlier migration does not come back.
  std::vector<std::string> extra;
  for (auto& p : tree.documents(*target, roots))
    if (!std::binary_search(paths.begin(), paths.end(), p)) extra.push_back(std::move(p));
  if (!extra.empty() && !prune && !dry_run) {
    std::string listed;
    json::array list;
    for (std::size_t i = 0; i < extra.size(); ++i) {
      if (i < 100) list.emplace_back(extra[i]);
      if (i < 3) listed += (i ? ", " : "") + excerpt(*tree.relative(extra[i]), 200);
    }
    if (extra.size() > 3) listed += " and " + std::to_string(extra.size() - 3) + " more";
    throw Error(Errc::storage_extra_documents,
                "'" + to + "' holds " + std::to_string(extra.size()) +
                    (extra.size() == 1 ? " document" : " documents") + " that '" + source.provider().module_id +
                    "' does not (" + listed + "); after a migration it would hold them still. Nothing was written",
                {{"module", to}, {"count", extra.size()}, {"extra", std::move(list)}},
                {"Pass --prune to remove them from '" + to + "' (they are saved to an archive first, which the answer names).",
                 "To keep them, bring them to '" + source.provider().module_id + "' first: homeboy storage migrate --from " +
                     to + " --to " + source.provider().module_id + " --skip-existing"});
  }
  auto sourced = migration::read_documents(source, paths, progress.callback());
  auto report = migration::copy_into(*target, std::move(sourced), {policy, dry_run, progress.callback()});

  json::array roots_json;
  for (const auto& r : roots) roots_json.emplace_back(r);
  json::object data{{"command", "storage.migrate"},
                    {"from", source.provider().module_id},
                    {"to", to},
                    {"dry_run", dry_run},
                    {"roots", std::move(roots_json)}};
  auto complete = report.complete();
  for (const auto& p : extra) report.documents.push_back({p, dry_run && !prune ? Outcome::extra : Outcome::pruned, {}});
  std::sort(report.documents.begin(), report.documents.end(),
            [](const migration::DocumentResult& a, const migration::DocumentResult& b) { return a.path < b.path; });
  data["pinned"] = nullptr;
  data["backup"] = nullptr;
  if (dry_run) {
    for (auto& kv : report_json(report, dry_run)) data[kv.key()] = std::move(kv.value());
    return data;
  }
  auto incomplete = [&](std::string why) {
    for (auto& kv : report_json(report, dry_run)) data[kv.key()] = std::move(kv.value());
    return Error(Errc::storage_migrate_incomplete,
                 why + "; nothing was pinned, and '" + source.provider().module_id + "' still holds every document",
                 std::move(data),
                 {"Fix the cause (see details.failures), then run the same command again: documents already copied "
                  "count as unchanged."});
  };
  if (!complete) {
    const auto& first = *std::find_if(report.documents.begin(), report.documents.end(),
                                      [](const auto& d) { return d.outcome == Outcome::failed; });
    throw incomplete(std::to_string(report.count(Outcome::failed)) + " of " + std::to_string(paths.size()) +
                     " documents could not be copied to '" + to + "' (first: " + first.path + ": " + first.reason + ")");
  }
  if (!extra.empty()) {
    // Saved first, then removed: what --prune takes away can be imported again.
    auto kept = migration::read_documents(*target, extra, progress.callback());
    if (!kept.failures.empty())
      throw incomplete("'" + to + "' could not give " + kept.failures.front().path + " to be saved before removing it (" +
                       kept.failures.front().reason + ")");
    std::vector<archive::Document> saved;
    for (auto& d : kept.documents) saved.push_back({*tree.relative(d.path), std::move(d.content)});
    data["backup"] = write_backup(ctx, to, std::move(saved));
    auto removed = target->delete_many(extra);
    for (std::size_t i = 0; i < removed.size(); ++i)
      if (!removed[i].success && removed[i].effective_error_code() != contract::ErrorCode::not_found)
        throw incomplete("'" + to + "' could not remove " + extra[i] + " (" + removed[i].error.value_or("unknown error") +
                         "); the backup " + data["backup"].as_string().c_str() + " holds every extra document");
  }
  for (auto& kv : report_json(report, dry_run)) data[kv.key()] = std::move(kv.value());
  data["config_check"] = config_check(ctx, *target);
  throw_if_interrupted();  // an interrupted migration pins nothing, even after a step that ran to its end
  auto pin = pin_provider(ctx.config_dir(), to);
  data["pinned"] = json::object{{"file", pin.file.string()},
                                {"storage", to},
                                {"previous", pin.before ? json::value(*pin.before) : json::value(nullptr)}};
  return data;
}

json::object export_archive(Context& ctx, const po::variables_map& vm) {
  std::string output = vm.count("file") ? vm["file"].as<std::string>() : "-";
  check_config_folders(ctx.config_dir(), false);
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

// The config after the import keeps its rules, or nothing is written: the archive's projects,
// servers and components, over what the provider holds already (what the import leaves in
// place counts too), checked together. Problems of the provider's own documents alone were
// there before and are not the archive's.
void check_import(Context& ctx, Storage& storage, const archive::Archive& parsed, migration::Existing policy,
                  const std::string& source) {
  std::vector<Problem> unreadable;
  std::map<std::string, ConfigFile> files;
  for (auto& f : entity_files(storage, ctx.config_dir(), unreadable)) files[f.relative] = std::move(f);
  std::set<std::string> from_archive;
  for (std::size_t i = 0; i < parsed.documents.size(); ++i) {
    const auto& doc = parsed.documents[i];
    if (!in_entity_folder(doc.path)) continue;
    auto it = files.find(doc.path);
    bool kept = it != files.end() && it->second.content != doc.content && policy == migration::Existing::skip;
    if (kept) continue;
    files[doc.path] = {doc.path, doc.content, i + 2};
    from_archive.insert(doc.path);
  }
  std::vector<ConfigFile> all;
  for (auto& [_, f] : files) all.push_back(std::move(f));
  std::vector<Problem> problems;
  for (auto& p : check_documents(all)) {
    bool archives = from_archive.count(p.path) > 0 ||
                    std::any_of(p.also.begin(), p.also.end(), [&](const auto& q) { return from_archive.count(q) > 0; });
    if (archives) problems.push_back(std::move(p));
  }
  if (problems.empty()) return;
  json::array list;
  for (const auto& p : problems) list.emplace_back(p.to_json());
  std::size_t n = problems.size();
  const Problem& first = problems.front();
  throw Error(Errc::archive_invalid_config,
              source + ", " + (first.line ? "line " + std::to_string(*first.line) + ": " : "") + first.path + ": " +
                  first.message + (n > 1 ? " (and " + std::to_string(n - 1) + " more problems)" : "") +
                  "; nothing was written",
              {{"source", source}, {"provider", storage.provider().module_id}, {"problems", std::move(list)}},
              {"Mend the archive (or what '" + storage.provider().module_id + "' holds): " + first.fix,
               "Every problem, by line: details.problems."});
}

json::object import_archive(Context& ctx, const po::variables_map& vm) {
  auto policy = existing_policy(vm);
  bool dry_run = vm["dry-run"].as<bool>();
  std::string file = vm["file"].as<std::string>();
  std::string source = file == "-" ? "stdin" : file;
  auto parsed = archive::parse(read_input(file), source);

  ConfigTree tree(ctx.config_dir(), ctx.catalog());
  std::vector<std::string> paths;
  paths.reserve(parsed.documents.size());
  for (std::size_t i = 0; i < parsed.documents.size(); ++i) {
    const auto& doc = parsed.documents[i];
    std::string path = tree.absolute(doc.path);
    if (auto why = tree.excluded(path))
      throw Error(Errc::archive_unsafe_path,
                  source + ", line " + std::to_string(i + 2) + ": '" + excerpt(doc.path, 200) +
                      "' is not part of homeboy's config: " + *why,
                  {{"source", source}, {"line", i + 2}, {"path", doc.path}});
    paths.push_back(checked_path(path));
  }
  // Documents may hold secrets: the config folder is made (or closed) 0700 first, so the
  // filesystem providers make the folders and documents in it private, as `create` does.
  check_config_folders(ctx.config_dir(), false);
  Storage& storage = ctx.storage();
  check_import(ctx, storage, parsed, policy, source);
  if (!dry_run) check_config_folders(ctx.config_dir(), true);
  migration::Sourced sourced;
  sourced.documents.reserve(parsed.documents.size());
  for (std::size_t i = 0; i < parsed.documents.size(); ++i)
    sourced.documents.push_back({std::move(paths[i]), std::move(parsed.documents[i].content)});
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
  data["config_check"] = nullptr;
  if (!dry_run && report.complete()) data["config_check"] = config_check(ctx, storage);
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
       "--to <module-id> [--path P]... [--from <module-id>] [--prune] [--dry-run] [--replace | --skip-existing]",
       with_policy(
           {option("to", "ID", "the storage provider to move the config to").needed().completing(Completion::provider),
            option("path", "P", "also copy this folder tree (repeatable)").repeat().completing(Completion::folder),
            option("from", "ID", "copy from this provider instead of the active one")
                .completing(Completion::provider),
            flag("prune", "remove documents only the target holds, after saving them to an archive")}),
       migrate,
       "Nothing is deleted from the source; the target is made active only when every document reads back the same. "
       "Documents that only the target holds are refused (storage.extra_documents) unless --prune removes them, "
       "saved first to an archive under <config>/.backups/."},
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
