#include "cli/text_output.hpp"

#include "homeboy/contract/json_exact.hpp"
#include "homeboy/contract/json_text.hpp"
#include "homeboy/text.hpp"

#include <boost/json.hpp>

#include <functional>
#include <map>
#include <iostream>
#include <ostream>

namespace json = boost::json;

namespace homeboy::cli {

namespace {

// Text for one cell, value or key: a newline or a tab made visible, so one record stays on
// one line, and no other control character (C0, DEL, C1) left for the terminal to obey.
std::string visible(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    std::size_t control = text::control_at(s, i);
    if (control == 0)
      out += s[i];
    else if (s[i] == '\n')
      out += "\\n";
    else if (s[i] == '\t')
      out += "\\t";
    else
      out += ' ';
    i += control ? control : 1;
  }
  return out;
}

// An object of fields, as opposed to a number kept as written (json_exact.hpp), which is one value.
bool record(const json::value& v) { return v.is_object() && !exact_json::number_literal(v); }

bool scalar(const json::value& v) { return !record(v) && !v.is_array(); }

std::string shown(const json::value& v) {
  switch (v.kind()) {
    case json::kind::string: return visible(v.get_string());
    case json::kind::null: return "-";
    case json::kind::bool_: return v.get_bool() ? "yes" : "no";
    case json::kind::array: {
      std::string out;
      for (const auto& item : v.get_array()) out += (out.empty() ? "" : ", ") + shown(item);
      return out.empty() ? "-" : out;
    }
    case json::kind::object:
      if (auto literal = exact_json::number_literal(v)) return std::string(*literal);
      return visible(compact(v));  // DEL and C1 are not escaped in JSON
    default: return compact(v);
  }
}

std::string str(const json::object& o, std::string_view key) {
  if (const json::value* v = o.if_contains(key)) return shown(*v);
  // Bytes that are not UTF-8 (a path) come as base64: shown with their odd bytes as \xNN.
  std::string encoded_key = std::string(key) + "_base64";
  if (const json::value* v = o.if_contains(encoded_key); v && v->is_string())
    if (auto bytes = text::base64_decode(v->get_string())) return visible(text::printable_utf8(*bytes));
  return "-";
}

// A provider named in homeboy.json, or "nothing" when none was.
std::string or_nothing(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? visible(v->get_string()) : std::string("nothing");
}

std::int64_t num(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v) return 0;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  return 0;
}

bool yes(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_bool() && v->get_bool();
}

const json::array& array_of(const json::object& o, std::string_view key) {
  static const json::array none;
  const json::value* v = o.if_contains(key);
  return v && v->is_array() ? v->get_array() : none;
}

const json::object& object_of(const json::object& o, std::string_view key) {
  static const json::object none;
  const json::value* v = o.if_contains(key);
  return v && v->is_object() ? v->get_object() : none;
}

// Columns padded to their widest cell (counted in characters, not bytes); the last one is
// not padded.
class Table {
 public:
  explicit Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  bool empty() const noexcept { return rows_.size() == 1; }

  void print(std::ostream& out, std::size_t indent = 0) const {
    std::vector<std::size_t> widths;
    for (const auto& row : rows_)
      for (std::size_t i = 0; i < row.size(); ++i) {
        if (widths.size() <= i) widths.push_back(0);
        widths[i] = std::max(widths[i], length(row[i]));
      }
    for (const auto& row : rows_) {
      std::string line(indent, ' ');
      for (std::size_t i = 0; i < row.size(); ++i) {
        line += row[i];
        if (i + 1 < row.size()) line += std::string(widths[i] - length(row[i]) + 2, ' ');
      }
      while (!line.empty() && line.back() == ' ') line.pop_back();
      out << line << '\n';
    }
  }

 private:
  static std::size_t length(std::string_view s) {
    std::size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
  }
  std::vector<std::vector<std::string>> rows_;
};

// `key: value` lines, the values aligned; nested objects indented under their key, arrays
// of objects as tables.
void print_fields(std::ostream& out, const json::object& o, std::size_t indent = 0) {
  std::size_t width = 0;
  for (const auto& kv : o)
    if (kv.key() != "command") width = std::max(width, visible(kv.key()).size());
  for (const auto& kv : o) {
    if (kv.key() == "command") continue;
    std::string key = std::string(indent, ' ') + visible(kv.key()) + ":";
    const json::value& v = kv.value();
    bool rows = v.is_array() && !v.get_array().empty() && record(v.get_array()[0]);
    if (record(v) && !v.get_object().empty()) {
      out << key << '\n';
      print_fields(out, v.get_object(), indent + 2);
    } else if (rows) {
      out << key << '\n';
      std::vector<std::string> keys;
      for (const auto& item : v.get_array())
        if (record(item))
          for (const auto& f : item.get_object())
            if (std::find(keys.begin(), keys.end(), f.key()) == keys.end()) keys.emplace_back(f.key());
      std::vector<std::string> header;
      for (const auto& k : keys) header.push_back(visible(k));
      Table table(header);
      for (const auto& item : v.get_array()) {
        std::vector<std::string> row;
        for (const auto& k : keys) row.push_back(record(item) ? str(item.get_object(), k) : shown(item));
        table.add(std::move(row));
      }
      table.print(out, indent + 2);
    } else {
      out << key << std::string(width + indent + 2 - key.size() + 1, ' ') << shown(v) << '\n';
    }
  }
}

std::string plural(std::int64_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

// storage ---------------------------------------------------------------------------------

void status(std::ostream& out, const json::object& d) {
  const auto& p = object_of(d, "provider");
  json::object fields{{"provider", str(p, "module_id") + " (" + str(p, "storage_type") + ")"},
                      {"transport", p.at("transport")},
                      {"selected by", p.at("selected_by")}};
  if (!p.at("fallback_reason").is_null()) fields["fallback"] = p.at("fallback_reason");
  fields["capabilities"] = p.at("capabilities");
  fields["concurrency"] = str(p, "concurrency") + (str(p, "concurrency_scope") == "every_host"
                                                       ? " (the config's rules hold for every host)"
                                                       : " (the config's rules hold on this machine only)");
  const auto* reachable = d.if_contains("reachable");
  fields["answers"] = reachable && reachable->is_bool() ? "yes" : "not checked (--offline)";
  const auto& durability = p.at("durability");
  fields["durability"] = durability.is_null() ? std::string("not declared by the provider")
                         : durability == "power_loss"
                             ? "power_loss (an acknowledged change is on disk: it survives a power loss)"
                             : "process_crash (" +
                                   std::string(str(p, "durability_set_by") == "config" ? "chosen in the provider's config: "
                                                                                       : "") +
                                   "a power loss may lose the last acknowledged changes, never tear one)";
  fields["manifest"] = p.at("manifest_path");
  if (!p.at("overrides").is_null()) fields["overrides"] = p.at("overrides");
  fields["config folder"] = d.at("config_dir");
  print_fields(out, fields);
}

void write(std::ostream& out, const json::object& d) {
  out << "wrote " << plural(num(d, "bytes"), "byte", "bytes") << " to " << str(d, "path");
  if (!d.at("version").is_null()) out << " (version " << str(d, "version") << ")";
  out << '\n';
}

std::string entry_name(const json::object& entry) { return str(entry, "path"); }

void list(std::ostream& out, const json::object& d) {
  for (const auto& e : array_of(d, "entries")) {
    const auto& entry = e.get_object();
    out << entry_name(entry) << (yes(entry, "is_directory") ? "/" : "") << '\n';
  }
}

void batch(std::ostream& out, const json::object& d) {
  Table table({"#", "OPERATION", "PATH", "RESULT"});
  std::size_t n = 0;
  for (const auto& r : array_of(d, "results")) {
    const auto& result = r.get_object();
    std::string outcome = yes(result, "success") ? "ok" : str(result, "error_code") + ": " + str(result, "error");
    if (yes(result, "success") && result.contains("data"))
      outcome += " (" + plural(static_cast<std::int64_t>(result.at("data").get_string().size()), "byte", "bytes") + ")";
    if (yes(result, "success") && result.contains("entries"))
      outcome += " (" + plural(static_cast<std::int64_t>(array_of(result, "entries").size()), "entry", "entries") + ")";
    table.add({std::to_string(++n), str(result, "operation"), str(result, "path"), outcome});
  }
  table.print(out);
  out << plural(num(d, "succeeded") + num(d, "failed"), "operation", "operations") << ": " << num(d, "succeeded")
      << " succeeded, " << num(d, "failed") << " failed\n";
}

// What migrate and import did: the counts, then the plan (dry run), the failures, the conflicts.
void copy_report(std::ostream& out, const json::object& d) {
  out << "documents: " << num(d, "documents") << "  copied: " << num(d, "copied")
      << "  replaced: " << num(d, "replaced") << "  unchanged: " << num(d, "unchanged")
      << "  skipped: " << num(d, "skipped") << "  conflicts: " << num(d, "conflicts")
      << "  failed: " << num(d, "failed");
  if (num(d, "extra")) out << "  only on the target: " << num(d, "extra");
  if (num(d, "pruned")) out << "  pruned: " << num(d, "pruned");
  out << '\n';
  if (const auto& plan = array_of(d, "plan"); !plan.empty()) {
    Table table({"OUTCOME", "PATH"});
    for (const auto& p : plan) table.add({str(p.get_object(), "outcome"), str(p.get_object(), "path")});
    table.print(out);
  }
  if (const auto& failures = array_of(d, "failures"); !failures.empty()) {
    out << "failed:\n";
    Table table({"PATH", "REASON"});
    for (const auto& f : failures) table.add({str(f.get_object(), "path"), str(f.get_object(), "reason")});
    table.print(out, 2);
  }
  if (const auto& conflicts = array_of(d, "conflict_paths"); !conflicts.empty()) {
    out << "differ on the target:\n";
    for (const auto& c : conflicts) out << "  " << shown(c) << '\n';
  }
  if (const auto* check = d.if_contains("config_check"); check && record(*check)) {
    const auto& problems = array_of(check->get_object(), "problems");
    if (problems.empty())
      out << "the config keeps its rules on the target\n";
    else
      out << plural(static_cast<std::int64_t>(problems.size()), "problem", "problems")
          << " in the config on the target (homeboy doctor lists them with their fixes)\n";
  }
}

void migrate(std::ostream& out, const json::object& d) {
  out << (yes(d, "dry_run") ? "would copy" : "copied") << " the config from " << str(d, "from") << " to "
      << str(d, "to") << (yes(d, "dry_run") ? " (dry run: nothing written)" : "") << '\n';
  copy_report(out, d);
  if (const auto* backup = d.if_contains("backup"); backup && backup->is_string())
    out << "what only " << str(d, "to") << " held is saved in " << str(d, "backup") << '\n';
  if (const auto* pinned = d.if_contains("pinned"); pinned && pinned->is_object())
    out << str(d, "to") << " is now the active provider (\"storage\" in " << str(pinned->get_object(), "file")
        << "; was " << or_nothing(pinned->get_object(), "previous") << ")\n";
}

void import(std::ostream& out, const json::object& d) {
  const auto& archive = object_of(d, "archive");
  out << (yes(d, "dry_run") ? "would import " : "imported ") << str(d, "source") << " into " << str(d, "provider")
      << " (exported from " << str(archive, "source_provider") << " at " << str(archive, "created_at") << ")"
      << (yes(d, "dry_run") ? "; dry run: nothing written" : "") << '\n';
  copy_report(out, d);
}

void export_archive(std::ostream& out, const json::object& d) {
  out << "exported " << plural(num(d, "documents"), "document", "documents") << " from " << str(d, "source_provider")
      << " to " << str(d, "output") << " (" << plural(num(d, "bytes"), "byte", "bytes") << ")\n";
}

// module ----------------------------------------------------------------------------------

void module_list(std::ostream& out, const json::object& d) {
  const bool available = yes(d, "available");  // --available: the modules shipped with homeboy
  Table table(available ? std::vector<std::string>{"ID", "VERSION", "STORAGE", "INSTALLED", "NAME"}
                        : std::vector<std::string>{"ID", "VERSION", "STORAGE", "NAME"});
  for (const auto& m : array_of(d, "modules")) {
    const auto& module = m.get_object();
    std::vector<std::string> row{str(module, "id"), str(module, "version"),
                                 yes(module, "storage_provider") ? str(module, "storage_type") : "-"};
    if (available) row.push_back(yes(module, "installed") ? "yes" : "no");
    row.push_back(str(module, "name"));
    table.add(std::move(row));
  }
  table.print(out);
  if (available) out << "\nin " << str(d, "available_dir") << "; install one: homeboy module install <id>\n";
  if (const auto& refused = array_of(d, "refused"); !refused.empty()) {
    out << "\nrefused:\n";
    Table problems({"ID", "CODE", "PROBLEM"});
    for (const auto& r : refused)
      problems.add({str(r.get_object(), "id"), str(r.get_object(), "code"), str(r.get_object(), "problem")});
    problems.print(out, 2);
  }
}

void module_show(std::ostream& out, const json::object& d) { print_fields(out, object_of(d, "module")); }

void pin_line(std::ostream& out, const json::value* pin, std::string_view what) {
  if (!pin || !pin->is_object()) return;
  const auto& p = pin->get_object();
  const json::value* storage = p.if_contains("storage");
  if (storage && storage->is_string())
    out << what << ": " << str(p, "storage") << " in " << str(p, "file");
  else
    out << what << ": no provider named in " << str(p, "file");
  out << " (before: " << or_nothing(p, "previous") << ")\n";
}

void install(std::ostream& out, const json::object& d) {
  out << "installed " << str(object_of(d, "module"), "id") << (yes(d, "linked") ? " as a link at " : " to ")
      << str(d, "installed_to") << '\n';
  if (!d.contains("check")) return;
  const auto& check = object_of(d, "check");
  if (!yes(check, "ran"))
    out << "check: not run (--no-check)\n";
  else if (check.contains("error"))
    out << "check: could not open the module: " << str(object_of(check, "error"), "message") << '\n';
  else
    out << "check: " << num(check, "passed") << " conformance cases passed, " << num(check, "failed") << " failed, "
        << num(check, "skipped") << " skipped, over " << str(check, "transport") << " (" << num(check, "millis")
        << " ms)\n";
  out << "active provider: " << str(d, "active_provider") << (yes(d, "activated") ? " (activated)" : "") << '\n';
  pin_line(out, d.if_contains("pinned"), "pinned");
  for (const auto& h : array_of(d, "hints")) out << "hint: " << str(h.get_object(), "message") << '\n';
}

void uninstall(std::ostream& out, const json::object& d) {
  out << "removed " << str(d, "id") << " (" << str(d, "removed") << ")\n";
  pin_line(out, d.if_contains("unpinned"), "unpinned");
  if (d.contains("left_behind_documents"))
    out << "left out of sight: " << plural(num(d, "left_behind_documents"), "config document", "config documents")
        << '\n';
  for (const auto& s : array_of(d, "daemons_stopped"))
    out << "stopped its daemon (pid " << str(s.get_object(), "pid") << ")\n";
}

void daemons(std::ostream& out, const json::object& d) {
  const auto& list = array_of(d, "daemons");
  bool all = str(d, "scope") == "every_config_folder";
  std::string whose = all ? "of yours, for any config folder" : "for " + str(d, "config_dir");
  if (list.empty())
    std::cerr << "homeboy: no module daemons run " << whose << " (runtime folder " << str(d, "runtime_dir") << ")\n";
  if (const auto* others = d.if_contains("other_config_folders_daemons");
      others && others->is_int64() && others->as_int64() > 0)
    std::cerr << "homeboy: " << others->as_int64() << " more of your daemons run for other config folders; "
              << "`homeboy module daemons --all` lists them\n";
  if (list.empty()) return;
  Table table({"ID", "PID", "STARTED", "LAST REQUEST", "FINGERPRINT", "CONFIG FOLDER"});
  for (const auto& item : list) {
    const auto& x = item.get_object();
    table.add({str(x, "id"), str(x, "pid"), str(x, "started"), str(x, "last_request"), str(x, "fingerprint_status"),
               str(x, "config_dir")});
  }
  table.print(out);
}

void stop(std::ostream& out, const json::object& d) {
  const auto& stopped = array_of(d, "stopped");
  if (stopped.empty()) out << "no daemon was running\n";
  for (const auto& s : stopped)
    out << "stopped " << str(s.get_object(), "id") << " (pid " << str(s.get_object(), "pid") << ", config folder "
        << str(s.get_object(), "config_dir") << ")\n";
}

// projects, servers, components ---------------------------------------------------------------

void entity_list(std::ostream& out, const json::object& d, std::string_view plural_name) {
  const auto& items = array_of(d, plural_name);
  // ID, then the fields of scalars (or lists of them) in the order they first appear.
  std::vector<std::string> fields;
  for (const auto& item : items)
    for (const auto& kv : item.get_object()) {
      bool simple = scalar(kv.value()) || (kv.value().is_array() && std::all_of(kv.value().get_array().begin(),
                                                                                kv.value().get_array().end(), scalar));
      if (kv.key() != "id" && simple && fields.size() < 4 &&
          std::find(fields.begin(), fields.end(), kv.key()) == fields.end())
        fields.emplace_back(kv.key());
    }
  std::vector<std::string> header{"ID"};
  for (const auto& f : fields) {
    header.push_back(visible(f));
    for (auto& c : header.back()) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  Table table(header);
  for (const auto& item : items) {
    const auto& doc = item.get_object();
    std::vector<std::string> row{str(doc, "id")};
    for (const auto& f : fields) {
      std::string cell = doc.contains(f) ? str(doc, f) : "";
      if (cell.size() > 40) cell = cell.substr(0, 37) + "...";
      row.push_back(cell);
    }
    table.add(std::move(row));
  }
  // stdout holds the rows alone (a script's `wc -l` counts them); that there are none is
  // said to the person, on stderr.
  if (!items.empty())
    table.print(out);
  else
    std::cerr << "homeboy: no " << plural_name << '\n';
}

// "(dry run: nothing changed)" after what a --dry-run would have done.
const char* dry(const json::object& d) { return yes(d, "dry_run") ? " (dry run: nothing changed)" : ""; }

void entity_create(std::ostream& out, const json::object& d, std::string_view kind) {
  for (const auto& item : array_of(d, "items")) {
    const auto& i = item.get_object();
    std::string status = str(i, "status");
    if (yes(d, "dry_run") && status != "failed") status = "would be " + status + ":";
    out << status << ' ' << kind << ' ' << str(i, "id");
    if (const auto* error = i.if_contains("error"); error && record(*error))
      out << ": " << str(error->get_object(), "message") << " (" << str(error->get_object(), "code") << ")";
    out << '\n';
  }
  if (yes(d, "dry_run")) out << "dry run: nothing changed\n";
}

void entity_set(std::ostream& out, const json::object& d, std::string_view kind) {
  const auto& fields = array_of(d, "updated_fields");
  if (fields.empty())
    out << kind << ' ' << str(d, "id") << " unchanged\n";
  else
    out << (yes(d, "dry_run") ? "would update " : "updated ") << kind << ' ' << str(d, "id") << ": "
        << shown(d.at("updated_fields")) << dry(d) << '\n';
}

void entity_rename(std::ostream& out, const json::object& d, std::string_view kind) {
  out << (yes(d, "dry_run") ? "would rename " : "renamed ") << kind << ' ' << str(d, "id") << " to " << str(d, "new_id");
  if (!array_of(d, "updated_projects").empty()) out << " (updated projects: " << str(d, "updated_projects") << ")";
  out << dry(d) << '\n';
}

void doctor(std::ostream& out, const json::object& d) {
  const auto& p = object_of(d, "provider");
  const auto& problems = array_of(d, "problems");
  out << "provider:   " << str(p, "module_id") << " (" << str(p, "transport") << "), "
      << (yes(d, "reachable") ? "answers" : "does not answer") << '\n';
  if (yes(d, "reachable")) out << "documents:  " << num(d, "documents") << " checked\n";
  if (problems.empty()) {
    out << "the config keeps its rules: no problems\n";
    return;
  }
  out << plural(static_cast<std::int64_t>(problems.size()), "problem", "problems") << ":\n";
  for (const auto& item : problems) {
    const auto& problem = item.as_object();
    std::string path = str(problem, "path");
    out << "  " << (path.empty() || path == "-" ? "the config folder" : path);
    if (!problem.at("line").is_null()) out << ", line " << str(problem, "line");
    out << ": " << str(problem, "message") << " (" << str(problem, "check") << ")\n    fix: " << str(problem, "fix") << '\n';
  }
}

using Layout = std::function<void(std::ostream&, const json::object&)>;

const std::map<std::string, Layout, std::less<>>& layouts() {
  static const std::map<std::string, Layout, std::less<>> table = [] {
    std::map<std::string, Layout, std::less<>> t{
        {"storage.status", status},
        {"storage.write", write},
        {"storage.list", list},
        {"storage.delete",
         [](std::ostream& out, const json::object& d) {
           out << "deleted " << str(d, "path") << (yes(d, "recursive") ? " and everything in it" : "") << '\n';
         }},
        {"storage.ensure-dir",
         [](std::ostream& out, const json::object& d) { out << "folder " << str(d, "path") << " is there\n"; }},
        {"storage.batch", batch},
        {"storage.migrate", migrate},
        {"storage.export", export_archive},
        {"storage.import", import},
        {"module.list", module_list},
        {"module.show", module_show},
        {"module.install", install},
        {"module.uninstall", uninstall},
        {"module.daemons", daemons},
        {"module.stop", stop},
        {"module.new",
         [](std::ostream& out, const json::object& d) {
           out << "wrote " << str(d, "dir") << " (" << str(d, "language") << ", from " << str(d, "example") << ")\n";
           if (d.contains("build") && d.at("build").is_string()) out << "build:   " << str(d, "build") << '\n';
           out << "test:    " << str(d, "test") << "\ninstall: " << str(d, "install") << '\n';
         }},
        {"doctor", doctor},
    };
    for (std::string kind : {"project", "server", "component"}) {
      std::string many = kind + "s";
      t[kind + ".list"] = [many](std::ostream& out, const json::object& d) { entity_list(out, d, many); };
      t[kind + ".show"] = [kind](std::ostream& out, const json::object& d) { print_fields(out, object_of(d, kind)); };
      t[kind + ".create"] = [kind](std::ostream& out, const json::object& d) { entity_create(out, d, kind); };
      t[kind + ".set"] = [kind](std::ostream& out, const json::object& d) { entity_set(out, d, kind); };
      t[kind + ".rename"] = [kind](std::ostream& out, const json::object& d) { entity_rename(out, d, kind); };
      t[kind + ".delete"] = [kind](std::ostream& out, const json::object& d) {
        out << (yes(d, "dry_run") ? "would delete " : "deleted ") << kind << ' ' << str(d, "id") << dry(d) << '\n';
      };
    }
    return t;
  }();
  return table;
}

}  // namespace

void print_text(std::ostream& out, const json::object& data) {
  const json::value* command = data.if_contains("command");
  if (command && command->is_string())
    if (auto it = layouts().find(std::string_view(command->get_string())); it != layouts().end())
      return it->second(out, data);
  print_fields(out, data);
}

void print_text_error(std::ostream& err, const Error& error) {
  // A message may quote an id, a path, a module's output or a file: what reaches the terminal
  // is UTF-8 with no control characters but line ends (an escape sequence would be obeyed).
  err << "homeboy: error: " << text::escape_controls(error.what()) << " (" << error.code() << ")\n";
  for (const auto& h : error.hints())
    if (!h.empty()) err << "homeboy: hint: " << text::escape_controls(h) << '\n';
}

}  // namespace homeboy::cli
