#include "homeboy/modules/trust.hpp"

#include "homeboy/platform.hpp"
#include "homeboy/modules/secrets.hpp"

#include <boost/json.hpp>

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstring>

namespace fs = std::filesystem;

namespace homeboy::trust {

namespace {

std::string user_name(uid_t uid) {
  struct passwd entry {};
  struct passwd* found = nullptr;
  char buffer[1024];
  if (::getpwuid_r(uid, &entry, buffer, sizeof buffer, &found) == 0 && found) return found->pw_name;
  return std::to_string(uid);
}

// Is `path` (canonical) `dir` (canonical) or below it?
bool inside(const fs::path& path, const fs::path& dir) {
  auto rel = path.lexically_relative(dir);
  return !rel.empty() && (rel.begin() == rel.end() || *rel.begin() != "..");
}

bool escapes_lexically(const fs::path& relative) {
  auto normal = relative.lexically_normal();
  return !normal.empty() && *normal.begin() == "..";
}

void check_one(const fs::path& path, uid_t user, Place place, std::vector<Problem>& out) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    out.push_back({Kind::unreadable, path, path.string() + " cannot be inspected (" + std::strerror(errno) + ")",
                   "Make " + shell_quote(path.string()) + " readable by " + user_name(user) + "."});
    return;
  }
  if (auto problem = judge(path, Facts{st.st_uid, st.st_mode}, user, place)) out.push_back(std::move(*problem));
}

// Every folder above `path`, up to and including "/", as ancestors.
void check_ancestors(const fs::path& path, uid_t user, std::vector<Problem>& out) {
  for (fs::path p = path.parent_path(); !p.empty(); p = p.parent_path()) {
    check_one(p, user, Place::ancestor, out);
    if (p == p.root_path()) break;
  }
}

// `file` (canonical, inside `dir`) and the folders between it and `dir`, as exclusive.
void check_inside(const fs::path& file, const fs::path& dir, uid_t user, std::vector<Problem>& out) {
  for (fs::path p = file; p != dir && inside(p, dir); p = p.parent_path()) check_one(p, user, Place::exclusive, out);
}

Problem outside(const fs::path& path, std::string what, std::string fix) {
  return {Kind::outside_module, path, std::move(what), std::move(fix)};
}

// A file named relative to the module folder: must stay inside it, links included, and be
// trusted. Missing files are left to whoever uses them.
void check_relative_file(const fs::path& dir_real, const fs::path& dir, const std::string& name, std::string_view role,
                         uid_t user, std::vector<Problem>& out) {
  fs::path relative(name);
  if (relative.is_absolute() || escapes_lexically(relative)) {
    out.push_back(outside(dir / relative, std::string(role) + " '" + name + "' is outside the module folder " + dir.string(),
                          "Move it into " + dir.string() + " and name it relative to that folder."));
    return;
  }
  std::error_code ec;
  fs::path real = dir_real.empty() ? real_path(dir / relative, ec) : real_child(dir_real, relative, ec);
  if (ec) return;
  if (!inside(real, dir_real)) {
    out.push_back(outside(dir / relative, std::string(role) + " '" + name + "' leads to " + real.string() +
                                              ", outside the module folder " + dir.string(),
                          "Replace the link " + (dir / relative).string() + " with the file itself."));
    return;
  }
  check_inside(real, dir_real, user, out);
}

bool runnable(const fs::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
}

// An executable outside the module folder: its real file must sit in one of the system
// folders, and it and every folder above it must belong to root and be closed to others.
void check_system_executable(const fs::path& path, std::string_view word, std::vector<Problem>& out) {
  std::error_code ec;
  fs::path real = real_path(path, ec);
  if (ec) return;
  // A real path has no link in it: when its folder reads as a system folder, that folder is
  // its own real path, and nothing needs resolving. Otherwise (/bin may lead to /usr/bin)
  // the system folders are resolved, once per run.
  fs::path folder = real.parent_path();
  bool in_system_dir = std::find(system_bin_dirs.begin(), system_bin_dirs.end(), folder.native()) != system_bin_dirs.end();
  if (!in_system_dir) {
    static const std::vector<fs::path> system_dirs = [] {
      std::vector<fs::path> dirs;
      for (std::string_view dir : system_bin_dirs) {
        std::error_code dir_ec;
        if (fs::path real_dir = real_path(fs::path(dir), dir_ec); !dir_ec) dirs.push_back(std::move(real_dir));
      }
      return dirs;
    }();
    in_system_dir = std::find(system_dirs.begin(), system_dirs.end(), folder) != system_dirs.end();
  }
  if (!in_system_dir) {
    out.push_back({Kind::not_a_system_path, path,
                   "runtime.executable '" + std::string(word) + "' is " + real.string() +
                       ", outside the module folder and outside /usr/local/bin, /usr/bin and /bin",
                   "Put the program (or a wrapper script) in the module folder, or run it with an interpreter "
                   "installed in /usr/bin."});
    return;
  }
  check_one(real, 0, Place::exclusive, out);
  check_ancestors(real, 0, out);
}

}  // namespace

fs::path real_path(const fs::path& path, std::error_code& ec) {
  ec.clear();
  int fd = ::open(path.c_str(), O_PATH | O_CLOEXEC);
  if (fd < 0) {
    ec.assign(errno, std::generic_category());
    return {};
  }
  fs::path target = platform::path_of_descriptor(fd);
  ::close(fd);
  if (target.empty()) return fs::canonical(path, ec);  // the system cannot tell
  return target;
}

fs::path real_child(const fs::path& dir_real, const fs::path& name, std::error_code& ec) {
  if (!name.empty() && name == name.filename() && name != "." && name != "..") {
    fs::path path = dir_real / name;
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0 && !S_ISLNK(st.st_mode)) {
      ec.clear();
      return path;
    }
  }
  return real_path(dir_real / name, ec);
}

std::string_view to_string(Kind kind) noexcept {
  switch (kind) {
    case Kind::writable_by_others: return "writable_by_others";
    case Kind::foreign_owner: return "foreign_owner";
    case Kind::outside_module: return "outside_module";
    case Kind::not_a_system_path: return "not_a_system_path";
    case Kind::shadows_builtin: return "shadows_builtin";
    case Kind::unreadable: return "unreadable";
    case Kind::readable_by_others: return "readable_by_others";
  }
  return "unknown";
}

std::string shell_quote(std::string_view text) {
  bool plain = !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) {
    return std::isalnum(c) || std::strchr("/._-+:,@%=", c) != nullptr;
  });
  if (plain) return std::string(text);
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::optional<Problem> judge(const fs::path& path, const Facts& facts, uid_t user, Place place) {
  bool foreign = facts.owner != user && facts.owner != 0;
  mode_t writers = facts.mode & (S_IWGRP | S_IWOTH);
  bool sticky_folder = S_ISDIR(facts.mode) && (facts.mode & S_ISVTX);
  bool writable = writers != 0 && !(place == Place::ancestor && sticky_folder);
  if (!foreign && !writable) return std::nullopt;

  std::string quoted = shell_quote(path.string());
  std::string what = path.string() + " is";
  std::string fix;
  if (foreign) {
    what += " owned by " + user_name(facts.owner) + ", not by " + (user == 0 ? "root" : user_name(user) + " or root");
    fix = "chown " + user_name(user) + " " + quoted;
  }
  if (writable) {
    const char* who = writers == (S_IWGRP | S_IWOTH) ? "group and others" : (writers & S_IWGRP) ? "group" : "others";
    what += std::string(foreign ? " and" : "") + " writable by " + who;
    fix += (fix.empty() ? "" : " && ") + std::string("chmod go-w ") + quoted;
  }
  return Problem{foreign ? Kind::foreign_owner : Kind::writable_by_others, path, std::move(what), std::move(fix)};
}

std::vector<Problem> check_search_root(const fs::path& root, uid_t user) {
  std::vector<Problem> out;
  check_one(root, user, Place::exclusive, out);
  check_ancestors(root, user, out);
  return out;
}

std::vector<Problem> check_library(const fs::path& dir, std::string_view library, uid_t user) {
  std::vector<Problem> out;
  std::error_code ec;
  fs::path dir_real = real_path(dir, ec);
  if (ec) return out;
  check_relative_file(dir_real, dir, std::string(library), "runtime.library", user, out);
  return out;
}

Located locate_executable(std::string_view word, const fs::path& dir, uid_t user) {
  Located located;
  if (word.empty()) return located;
  fs::path path(word);
  bool has_slash = word.find('/') != std::string_view::npos;
  if (has_slash && path.is_absolute()) {
    if (!runnable(path)) return located;
    check_system_executable(path, word, located.problems);
    located.path = path;
    return located;
  }
  if (has_slash || runnable(dir / path)) {
    std::error_code ec;
    fs::path dir_real = real_path(dir, ec);
    if (escapes_lexically(path)) {
      check_relative_file(dir_real, dir, std::string(word), "runtime.executable", user, located.problems);
      return located;
    }
    if (!runnable(dir / path)) return located;
    if (!ec) check_relative_file(dir_real, dir, std::string(word), "runtime.executable", user, located.problems);
    located.path = dir / path;
    return located;
  }
  for (std::string_view system_dir : system_bin_dirs) {
    fs::path candidate = fs::path(system_dir) / path;
    if (!runnable(candidate)) continue;
    check_system_executable(candidate, word, located.problems);
    located.path = candidate;
    return located;
  }
  return located;
}

std::vector<Problem> check_module(const fs::path& dir, const fs::path& manifest_path, const Manifest* manifest,
                                  uid_t user, const fs::path& checked_root) {
  std::vector<Problem> out;
  std::error_code ec;
  fs::path dir_real = checked_root.empty() ? real_path(dir, ec) : real_child(checked_root, dir.filename(), ec);
  if (ec) {
    out.push_back({Kind::unreadable, dir, dir.string() + " cannot be resolved (" + ec.message() + ")",
                   "Remove " + shell_quote(dir.string()) + " or make it a readable folder."});
    return out;
  }
  check_one(dir_real, user, Place::exclusive, out);
  if (checked_root.empty() || dir_real.parent_path() != checked_root) check_ancestors(dir_real, user, out);
  check_relative_file(dir_real, dir, manifest_path.filename().string(), "the manifest", user, out);
  if (!manifest) return out;
  // A password in the config is as private as the user's own files: a manifest holding one
  // that others may read is refused, not used (module install writes manifests 0600).
  if (struct stat st {}; manifest->storage_provider && secrets::holds_secret(*manifest->storage_provider) &&
                         ::stat(manifest_path.c_str(), &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH)) != 0) {
    const char* who = (st.st_mode & S_IRGRP) && (st.st_mode & S_IROTH) ? "group and others"
                      : (st.st_mode & S_IRGRP)                         ? "group"
                                                                       : "others";
    out.push_back({Kind::readable_by_others, manifest_path,
                   manifest_path.string() + " holds a secret (a password in storage_provider.config) and is readable by " +
                       who,
                   "chmod 600 " + shell_quote(manifest_path.string())});
  }

  const auto& runtime = manifest->runtime;
  if (runtime.library) check_relative_file(dir_real, dir, *runtime.library, "runtime.library", user, out);
  if (runtime.executable) {
    auto words = split_command(*runtime.executable);
    auto located = locate_executable(words[0], dir, user);
    out.insert(out.end(), located.problems.begin(), located.problems.end());
    // The script an interpreter runs is as much the module's code as the interpreter: an
    // argument naming a file must be inside the module folder and pass the same checks, or
    // be a file root owns and keeps closed (such as /etc/php.ini), like a system program.
    for (std::size_t i = 1; i < words.size(); ++i) {
      const std::string& word = words[i];
      if (word.empty() || word.front() == '-') continue;
      std::error_code exists_ec;
      fs::path named = fs::path(word).is_absolute() ? fs::path(word) : dir / word;
      if (!fs::exists(fs::symlink_status(named, exists_ec))) continue;
      if (fs::path(word).is_absolute()) {
        fs::path real = fs::canonical(named, exists_ec);
        if (exists_ec) continue;
        std::vector<Problem> found;
        check_one(real, 0, Place::exclusive, found);
        check_ancestors(real, 0, found);
        for (auto& p : found)
          out.push_back({p.kind, p.path, "the argument '" + word + "': " + p.what,
                         "Move it into the module folder and name it relative to that folder, or: " + p.fix});
        continue;
      }
      check_relative_file(dir_real, dir, word, "the argument", user, out);
    }
  }
  return out;
}

Error untrusted(std::string_view module_id, const fs::path& manifest_path, const std::vector<Problem>& problems) {
  boost::json::array listed;
  std::string message = "module '" + std::string(module_id) + "' is not trusted: ";
  std::vector<std::string> hints;
  for (std::size_t i = 0; i < problems.size(); ++i) {
    const auto& p = problems[i];
    message += (i ? "; " : "") + p.what;
    listed.emplace_back(boost::json::object{
        {"kind", to_string(p.kind)}, {"path", p.path.string()}, {"problem", p.what}, {"fix", p.fix}});
    if (std::find(hints.begin(), hints.end(), p.fix) == hints.end()) hints.push_back(p.fix);
  }
  return Error(Errc::config_untrusted_module, std::move(message),
               {{"module", module_id}, {"manifest_path", manifest_path.string()}, {"problems", std::move(listed)}},
               std::move(hints));
}

}  // namespace homeboy::trust
