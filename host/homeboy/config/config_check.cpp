#include "homeboy/config/config_check.hpp"

#include "homeboy/ids.hpp"
#include "homeboy/text.hpp"

#include <boost/json.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>

namespace json = boost::json;
namespace fs = std::filesystem;

namespace homeboy {

namespace {

struct Parsed {
  EntityKind kind;
  std::string id;
  const ConfigFile* file;
  json::object doc;
};

std::string mode_text(mode_t mode) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "%04o", static_cast<unsigned>(mode & 07777));
  return buffer;
}

}  // namespace

json::object Problem::to_json() const {
  json::object out{{"check", check}, {"path", path}, {"message", message}, {"fix", fix}};
  out["line"] = line ? json::value(*line) : json::value(nullptr);
  if (!also.empty()) {
    json::array others;
    for (const auto& p : also) others.emplace_back(p);
    out["also"] = std::move(others);
  }
  return out;
}

std::string Problem::text() const {
  return (path.empty() ? std::string("the config folder") : path) + (line ? ", line " + std::to_string(*line) : "") +
         ": " + message;
}

bool in_entity_folder(std::string_view relative) {
  auto slash = relative.find('/');
  return slash != std::string_view::npos && kind_of_folder(relative.substr(0, slash)).has_value();
}

std::vector<Problem> check_documents(const std::vector<ConfigFile>& files) {
  std::vector<Problem> problems;
  std::vector<Parsed> docs;
  auto problem = [&](std::string check, const ConfigFile& f, std::string message, std::string fix) {
    problems.push_back({std::move(check), f.relative, std::move(message), std::move(fix), f.line, {}});
  };
  for (const auto& f : files) {
    if (!in_entity_folder(f.relative)) continue;
    auto slash = f.relative.find('/');
    EntityKind kind = *kind_of_folder(std::string_view(f.relative).substr(0, slash));
    std::string_view name = std::string_view(f.relative).substr(slash + 1);
    std::string folder(plural(kind));
    if (name.find('/') != std::string_view::npos || !name.ends_with(".json") || name.size() == 5 || name.front() == '.') {
      problem("stray_file", f,
              "is not a " + std::string(to_string(kind)) + " document (only <id>.json files belong in " + folder + "/)",
              "Move it out of " + folder + "/.");
      continue;
    }
    std::string id(name.substr(0, name.size() - 5));
    if (auto why = id_problem(id)) {
      problem("invalid_id", f, "'" + excerpt(id, 80) + "' is not a valid id: " + *why, "Rename the file to a valid <id>.json.");
      continue;
    }
    json::object doc;
    try {
      doc = parse_document(f.relative, f.content);
    } catch (const Error& e) {
      std::string message = e.what();
      message = message.substr(std::min(message.size(), f.relative.size() + 2));  // without "<path>: "
      std::string check = e.details().contains("key")              ? "duplicate_key"
                          : message.starts_with("must be a JSON object") ? "not_an_object"
                                                                         : "invalid_json";
      problem(check, f, message, "Edit the file into one JSON object, each key once, or delete it.");
      continue;
    }
    if (const auto* given = doc.if_contains("id"); given && !(given->is_string() && given->get_string() == id)) {
      std::string shown = given->is_string() ? "'" + excerpt(given->get_string(), 80) + "'" : "not a string";
      problem("id_mismatch", f, "its \"id\" is " + shown + ", but the file name says '" + id + "'",
              "Set \"id\" to \"" + id + "\", or rename the file to match.");
    }
    if (kind == EntityKind::project)
      if (auto why = reference_shape_problem(doc))
        problem("reference_shape", f, *why, "Fix the field with `homeboy project set " + id + " ...`.");
    docs.push_back({kind, std::move(id), &f, std::move(doc)});
  }

  std::map<std::string, std::vector<const Parsed*>> by_id;
  for (const auto& d : docs) by_id[d.id].push_back(&d);
  for (const auto& [id, holders] : by_id) {
    if (holders.size() < 2) continue;
    const Parsed& first = *holders.front();
    Problem p{"id_in_two_kinds", first.file->relative, "", "", first.file->line, {}};
    std::string kinds;
    for (const auto* h : holders) {
      kinds += (kinds.empty() ? "a " : " and a ") + std::string(to_string(h->kind)) + " (" + h->file->relative + ")";
      if (h != &first) p.also.push_back(h->file->relative);
    }
    p.message = "the id '" + id + "' names " + kinds + "; an id names one document of one kind";
    p.fix = "Rename all but one: homeboy " + std::string(to_string(holders.back()->kind)) + " rename " + id + " <new-id>";
    if (!first.file->line)
      for (const auto* h : holders)
        if (h->file->line) p.line = h->file->line;
    problems.push_back(std::move(p));
  }
  for (const auto& d : docs) {
    if (d.kind != EntityKind::project) continue;
    for (const auto& [kind, ref] : references_of(d.doc)) {
      auto it = by_id.find(ref);
      bool found = it != by_id.end() && std::any_of(it->second.begin(), it->second.end(),
                                                    [&, kind = kind](const Parsed* h) { return h->kind == kind; });
      if (found) continue;
      std::string field = kind == EntityKind::server ? "server_id" : "component_ids";
      std::string elsewhere = it != by_id.end() ? " ('" + ref + "' is a " + std::string(to_string(it->second.front()->kind)) + ")" : "";
      problem("missing_reference", *d.file,
              "refers to " + std::string(to_string(kind)) + " '" + ref + "' in \"" + field + "\", which does not exist" +
                  elsewhere,
              "Create it (homeboy " + std::string(to_string(kind)) + " create " + ref +
                  ") or change the reference: homeboy project set " + d.id +
                  (kind == EntityKind::server ? " '{\"server_id\": \"<server>\"}'"
                                              : " '{\"component_ids\": [...]}' --replace component_ids"));
    }
  }
  std::stable_sort(problems.begin(), problems.end(), [](const Problem& a, const Problem& b) {
    return std::make_pair(a.line.value_or(0), a.path) < std::make_pair(b.line.value_or(0), b.path);
  });
  return problems;
}

std::vector<ConfigFile> entity_files(Storage& storage, const fs::path& config_dir, std::vector<Problem>& problems) {
  std::vector<std::string> paths, relatives;
  for (EntityKind kind : all_kinds) {
    std::string folder = (config_dir / plural(kind)).string();
    for (const auto& entry : storage.list(folder)) {
      std::string relative = std::string(plural(kind)) + entry.path.substr(folder.size());
      if (entry.is_directory) {
        problems.push_back({"stray_file", relative,
                            "is a folder; only <id>.json files belong in " + std::string(plural(kind)) + "/",
                            "Move it out of " + std::string(plural(kind)) + "/.", std::nullopt, {}});
        continue;
      }
      paths.push_back(entry.path);
      relatives.push_back(std::move(relative));
    }
  }
  std::vector<contract::Event> reads;
  for (const auto& p : paths) reads.push_back(contract::Event::read(p));
  std::vector<ConfigFile> files;
  std::size_t i = 0;
  storage.batch(std::move(reads), [&](const contract::Event& event, contract::Response&& r) {
    std::string& relative = relatives[i++];
    if (r.success) {
      files.push_back({std::move(relative), std::move(*r.data), std::nullopt});
      return;
    }
    auto code = r.effective_error_code();
    if (code != contract::ErrorCode::not_found && code != contract::ErrorCode::invalid_argument &&
        code != contract::ErrorCode::too_large)
      throw failure_error(r, event, storage.provider().module_id);
    if (code == contract::ErrorCode::not_found) return;  // deleted since the listing
    problems.push_back({"unreadable", std::move(relative), "cannot be read: " + r.error.value_or("unknown error"),
                        "Replace or delete it.", std::nullopt, {}});
  });
  return files;
}

std::vector<Problem> check_folders(const fs::path& config_dir) {
  std::vector<Problem> problems;
  auto folder = [&](const fs::path& path, const std::string& relative) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return false;
    auto add = [&](std::string check, std::string message, std::string fix) {
      problems.push_back({std::move(check), relative, std::move(message), std::move(fix), std::nullopt, {}});
    };
    if (S_ISLNK(st.st_mode)) {
      add("folder_link", path.string() + " is a symbolic link; homeboy refuses to read or write config through it",
          "Replace it with a folder of your own (mv it away, mkdir -m 700 " + path.string() + ").");
      return false;
    }
    if (!S_ISDIR(st.st_mode)) {
      add("not_a_folder", path.string() + " is not a folder", "Move it out of the way: mv " + path.string() + " " +
                                                                   path.string() + ".old");
      return false;
    }
    if (st.st_uid != ::geteuid()) {
      add("folder_owner", path.string() + " is owned by user id " + std::to_string(st.st_uid) + ", not by you",
          "Move it away; homeboy keeps config only in folders of your own.");
      return false;
    }
    if (st.st_mode & 077)
      add("folder_mode", path.string() + " is mode " + mode_text(st.st_mode) + ": others may look inside",
          "chmod 700 " + path.string());
    return true;
  };
  if (!folder(config_dir, "")) return problems;
  for (EntityKind kind : all_kinds) {
    fs::path dir = config_dir / plural(kind);
    if (!folder(dir, std::string(plural(kind)))) continue;
    DIR* d = ::opendir(dir.c_str());
    if (!d) continue;
    std::vector<std::string> open;
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      struct stat st {};
      if (name == "." || name == ".." || ::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      if (S_ISREG(st.st_mode) && (st.st_mode & 077)) open.push_back(std::string(plural(kind)) + "/" + name);
    }
    ::closedir(d);
    std::sort(open.begin(), open.end());
    for (const auto& relative : open)
      problems.push_back({"document_mode", relative, "may be read by other users (documents can hold passwords)",
                          "chmod 600 " + (config_dir / relative).string(), std::nullopt, {}});
  }
  return problems;
}

}  // namespace homeboy
