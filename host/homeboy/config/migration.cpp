#include "homeboy/config/migration.hpp"

#include "homeboy/transport/interrupt.hpp"
#include "homeboy/text.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <map>

namespace json = boost::json;

namespace homeboy::migration {

namespace {

using contract::ErrorCode;
using contract::Event;

std::string parent_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string difference(const std::string& expected, const std::string& got) {
  std::size_t at = 0;
  while (at < expected.size() && at < got.size() && expected[at] == got[at]) ++at;
  return "read back " + std::to_string(got.size()) + " bytes where " + std::to_string(expected.size()) +
         " were written; they differ from byte " + std::to_string(at);
}

// Why `target` cannot take `doc` at all, before anything is sent.
std::optional<std::string> untransportable(const Storage& target, const Document& doc) {
  if (target.transport_kind() == TransportKind::native) return std::nullopt;  // the ABI carries bytes
  if (!text::is_utf8(doc.path))
    return "the path is not UTF-8, and module '" + target.provider().module_id + "' takes paths as JSON text";
  if (!target.capabilities().binary && !text::is_utf8(doc.content))
    return "the content is not UTF-8 text, and module '" + target.provider().module_id +
           "' takes text only (it does not declare the \"binary\" capability)";
  return std::nullopt;
}

Error conflict_error(const Storage& target, const std::vector<std::string>& paths) {
  std::string listed;
  json::array list;
  for (std::size_t i = 0; i < paths.size(); ++i) {
    if (i < 100) list.emplace_back(paths[i]);
    if (i < 3) listed += (i ? ", " : "") + excerpt(paths[i], 200);
  }
  if (paths.size() > 3) listed += " and " + std::to_string(paths.size() - 3) + " more";
  const std::string& id = target.provider().module_id;
  return Error(Errc::storage_document_conflict,
               std::to_string(paths.size()) + (paths.size() == 1 ? " document differs" : " documents differ") +
                   " on '" + id + "' from the one being copied (" + listed + "); nothing was written",
               {{"module", id}, {"count", paths.size()}, {"conflicts", std::move(list)}},
               {"Pass --replace to overwrite them with the copies being brought in, or --skip-existing to keep "
                "what '" +
                    id + "' holds.",
                "--dry-run lists every document and what would happen to it."});
}

// One phase's batch. An interrupt (SIGINT, ...) stops it between chunks: the documents
// written so far stay, and a later run finds them unchanged.
std::vector<contract::Response> run(Storage& storage, std::vector<Event> events, std::string_view phase,
                                    const Progress& progress) {
  if (events.empty()) return {};
  throw_if_interrupted();
  if (progress) progress(phase, 0, events.size());
  return storage.batch(std::move(events), [&](std::size_t done, std::size_t total) {
    throw_if_interrupted();
    if (progress) progress(phase, done, total);
  });
}

}  // namespace

std::string_view to_string(Outcome outcome) noexcept {
  switch (outcome) {
    case Outcome::copied: return "copied";
    case Outcome::replaced: return "replaced";
    case Outcome::unchanged: return "unchanged";
    case Outcome::skipped: return "skipped";
    case Outcome::conflict: return "conflict";
    case Outcome::extra: return "extra";
    case Outcome::pruned: return "pruned";
    case Outcome::failed: return "failed";
  }
  return "failed";
}

std::size_t Report::count(Outcome outcome) const noexcept {
  return static_cast<std::size_t>(
      std::count_if(documents.begin(), documents.end(), [&](const DocumentResult& d) { return d.outcome == outcome; }));
}

bool Report::complete() const noexcept { return count(Outcome::failed) == 0 && count(Outcome::conflict) == 0; }

Sourced read_documents(Storage& source, const std::vector<std::string>& paths, const Progress& progress) {
  std::vector<Event> reads;
  reads.reserve(paths.size());
  for (const auto& p : paths) reads.push_back(Event::read(p));
  auto responses = run(source, std::move(reads), "reading", progress);
  Sourced out;
  for (std::size_t i = 0; i < paths.size(); ++i) {
    if (responses[i].success)
      out.documents.push_back({paths[i], std::move(*responses[i].data)});
    else
      out.failures.push_back({paths[i], Outcome::failed,
                              "'" + source.provider().module_id +
                                  "' could not read it: " + responses[i].error.value_or("unknown error")});
  }
  return out;
}

Report copy_into(Storage& target, Sourced sourced, const Options& options) {
  auto& docs = sourced.documents;
  std::sort(docs.begin(), docs.end(), [](const Document& a, const Document& b) { return a.path < b.path; });
  Report report;
  report.documents = std::move(sourced.failures);

  // What the target holds now, for every document it can take.
  std::vector<std::size_t> compared;
  std::vector<Event> reads;
  for (std::size_t i = 0; i < docs.size(); ++i) {
    if (auto why = untransportable(target, docs[i])) {
      report.documents.push_back({docs[i].path, Outcome::failed, *why});
      continue;
    }
    compared.push_back(i);
    reads.push_back(Event::read(docs[i].path));
  }
  auto present = run(target, std::move(reads), "comparing", options.progress);

  std::vector<std::size_t> to_write;  // indices into docs
  std::map<std::size_t, Outcome> planned;
  std::vector<std::string> conflicts;
  for (std::size_t k = 0; k < compared.size(); ++k) {
    const Document& doc = docs[compared[k]];
    const auto& r = present[k];
    if (r.success && *r.data == doc.content) {
      report.documents.push_back({doc.path, Outcome::unchanged, {}});
    } else if (!r.success && r.effective_error_code() != ErrorCode::not_found) {
      report.documents.push_back({doc.path, Outcome::failed,
                                  "'" + target.provider().module_id +
                                      "' could not say what it holds there: " + r.error.value_or("unknown error")});
    } else if (!r.success) {
      to_write.push_back(compared[k]);
      planned[compared[k]] = Outcome::copied;
    } else if (options.existing == Existing::replace) {
      to_write.push_back(compared[k]);
      planned[compared[k]] = Outcome::replaced;
    } else if (options.existing == Existing::skip) {
      report.documents.push_back({doc.path, Outcome::skipped, {}});
    } else {
      conflicts.push_back(doc.path);
      report.documents.push_back({doc.path, Outcome::conflict, "the target holds other content"});
    }
  }
  if (!conflicts.empty() && !options.dry_run) throw conflict_error(target, conflicts);

  // A file where a document needs a folder (`notes` a file, `notes/a.txt` to write) would fail
  // that document half-way through: found now, so a dry run foresees it and a real run
  // refuses before writing anything.
  std::map<std::string, std::vector<std::size_t>> needed;  // folder -> documents under it
  for (std::size_t i : to_write)
    for (std::string folder = parent_of(docs[i].path); folder != "/"; folder = parent_of(folder))
      needed[folder].push_back(i);
  std::vector<std::string> folder_paths;
  std::vector<Event> probes;
  for (const auto& [folder, _] : needed) {
    folder_paths.push_back(folder);
    probes.push_back(Event::read(folder));
  }
  auto probed = run(target, std::move(probes), "checking folders", options.progress);
  std::map<std::size_t, std::string> blocked;  // document -> the file in its way
  for (std::size_t k = 0; k < probed.size(); ++k)
    if (probed[k].success)  // a read that succeeds found a file
      for (std::size_t i : needed[folder_paths[k]]) blocked.emplace(i, folder_paths[k]);
  if (!blocked.empty()) {
    std::vector<std::size_t> kept;
    for (std::size_t i : to_write)
      if (!blocked.count(i)) kept.push_back(i);
    to_write = std::move(kept);
    if (!options.dry_run) {
      std::string listed;
      json::array list;
      for (const auto& [i, file] : blocked) {
        if (list.size() < 100) list.emplace_back(json::object{{"path", docs[i].path}, {"file_in_the_way", file}});
        if (list.size() <= 3) listed += (listed.empty() ? "" : ", ") + excerpt(docs[i].path, 200) + " (" + excerpt(file, 200) + ")";
      }
      const std::string& id = target.provider().module_id;
      throw Error(Errc::storage_document_conflict,
                  std::to_string(blocked.size()) + (blocked.size() == 1 ? " document needs" : " documents need") +
                      " a folder where '" + id + "' holds a file: " + listed + "; nothing was written",
                  {{"module", id}, {"count", blocked.size()}, {"blocked", std::move(list)}},
                  {"Move or delete the file in the way (homeboy storage delete <path>), then run the command again.",
                   "--dry-run lists every document and what would happen to it."});
    }
    for (const auto& [i, file] : blocked)
      report.documents.push_back({docs[i].path, Outcome::failed, "a file is in the way of its folder: " + file});
  }

  auto finish = [&] {
    std::sort(report.documents.begin(), report.documents.end(),
              [](const DocumentResult& a, const DocumentResult& b) { return a.path < b.path; });
    return std::move(report);
  };
  if (options.dry_run) {
    for (std::size_t i : to_write) report.documents.push_back({docs[i].path, planned[i], {}});
    return finish();
  }

  // Folders first: one ensure_dir per folder that receives a document.
  std::vector<std::string> folders;
  for (std::size_t i : to_write)
    if (auto folder = parent_of(docs[i].path); folder != "/") folders.push_back(folder);
  std::sort(folders.begin(), folders.end());
  folders.erase(std::unique(folders.begin(), folders.end()), folders.end());
  std::vector<Event> ensures;
  for (const auto& f : folders) ensures.push_back(Event::ensure_dir(f));
  auto made = run(target, std::move(ensures), "creating folders", options.progress);
  std::map<std::string, std::string> broken_folders;
  for (std::size_t i = 0; i < folders.size(); ++i)
    if (!made[i].success) broken_folders[folders[i]] = made[i].error.value_or("unknown error");

  std::vector<std::size_t> written;
  std::vector<Event> writes;
  for (std::size_t i : to_write) {
    if (auto it = broken_folders.find(parent_of(docs[i].path)); it != broken_folders.end()) {
      report.documents.push_back({docs[i].path, Outcome::failed, "its folder could not be created: " + it->second});
      continue;
    }
    written.push_back(i);
    writes.push_back(Event::write(docs[i].path, docs[i].content));
  }
  auto wrote = run(target, std::move(writes), "writing", options.progress);
  if (target.capabilities().atomic_batch) {
    // An all-or-nothing batch fails every write along with the one that broke it: give each
    // of those its own chance, so one bad document does not hold back the others.
    for (std::size_t k = 0; k < written.size(); ++k)
      if (!wrote[k].success)
        wrote[k] = std::move(target.batch({Event::write(docs[written[k]].path, docs[written[k]].content)}).front());
  }

  // Read back what was written and compare byte for byte.
  std::vector<std::size_t> verified;
  std::vector<Event> rereads;
  for (std::size_t k = 0; k < written.size(); ++k) {
    std::size_t i = written[k];
    if (!wrote[k].success) {
      report.documents.push_back({docs[i].path, Outcome::failed,
                                  "'" + target.provider().module_id +
                                      "' could not write it: " + wrote[k].error.value_or("unknown error")});
      continue;
    }
    verified.push_back(i);
    rereads.push_back(Event::read(docs[i].path));
  }
  auto back = run(target, std::move(rereads), "verifying", options.progress);
  for (std::size_t k = 0; k < verified.size(); ++k) {
    const Document& doc = docs[verified[k]];
    if (!back[k].success)
      report.documents.push_back({doc.path, Outcome::failed,
                                  "written, but could not be read back: " + back[k].error.value_or("unknown error")});
    else if (*back[k].data != doc.content)
      report.documents.push_back({doc.path, Outcome::failed, difference(doc.content, *back[k].data)});
    else
      report.documents.push_back({doc.path, planned[verified[k]], {}});
  }
  return finish();
}

}  // namespace homeboy::migration
