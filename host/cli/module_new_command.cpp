// `homeboy module new <id> --lang LANG`: a starter module folder from the authoring kit's
// example for that language (docs/module-authoring.md, docs/plugin-authoring.md), named for
// the id, that passes `homeboy module test` as written (native ones once built with the
// command it prints).

#include "cli/app.hpp"
#include "cli/output.hpp"

#include "homeboy/ids.hpp"
#include "homeboy/modules/discovery.hpp"
#include "homeboy/modules/trust.hpp"
#include "homeboy/suggest.hpp"

#include <boost/json.hpp>

#include <stdlib.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;
namespace json = boost::json;

namespace homeboy::cli {

namespace {

struct Language {
  std::string_view name;
  std::string_view example;  // under the kit
  bool native;
};

constexpr Language languages[] = {
    {"bash", "modules/examples/example-bash", false},  {"python", "modules/examples/example-python", false},
    {"node", "modules/examples/example-node", false},  {"php", "modules/examples/example-php", false},
    {"c", "plugins/example-c", true},                  {"cpp", "plugins/example-cpp", true},
    {"rust", "plugins/example-rust", true},
};

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_text(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) throw errors::internal("cannot write " + file.string());
}

// The id as a name C, CMake and Cargo take: letters, digits and '_'.
std::string identifier(const std::string& id) {
  std::string out;
  for (char c : id) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) out = "m_" + out;
  return out;
}

std::string manifest_for_library(const std::string& id, const std::string& library, const std::string& type) {
  return "{\n  \"name\": \"" + id + "\",\n  \"version\": \"0.1.0\",\n  \"runtime\": {\"library\": \"" + library +
         "\"},\n  \"storage_provider\": {\"storage_type\": \"" + type + "\", \"config\": {}}\n}\n";
}

// A scripted example: its files as they are, the manifest renamed for the id and named after it.
void scripted(const fs::path& example, const fs::path& target, const std::string& id) {
  std::string example_id = example.filename().string();
  fs::copy(example, target, fs::copy_options::recursive);
  fs::path manifest = target / (example_id + ".json");
  std::string text = read_text(manifest);
  std::string old_name = std::string(json::parse(text).at("name").as_string());
  if (auto at = text.find("\"" + old_name + "\""); at != std::string::npos)
    text.replace(at, old_name.size() + 2, json::serialize(json::value(id)));
  write_text(target / (id + ".json"), text);
  fs::remove(manifest);
}

// A native example: its sources, with a build that puts the library next to the manifest
// (homeboy loads libraries from the module folder only). Returns the build command.
std::string native(const Language& lang, const fs::path& kit, const fs::path& example, const fs::path& target,
                   const std::string& id, const std::string& shown) {
  std::string name = identifier(id);
  fs::path prefix = kit.parent_path().parent_path().parent_path();  // <prefix>/share/homeboy/kit
  std::string library = "lib" + name + ".so";
  if (lang.name == "rust") {
    fs::create_directories(target / "src");
    fs::copy_file(example / "src/lib.rs", target / "src/lib.rs");
    write_text(target / "Cargo.toml",
               "[package]\nname = \"" + name + "\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n"
               "[lib]\ncrate-type = [\"cdylib\"]  # " + library + ", exporting the entry point alone\n\n"
               "[dependencies]\nhomeboy-storage-plugin = { path = " +
                   json::serialize(json::value((kit / "plugin-api/rust").string())) +
                   " }\n\n[profile.release]\npanic = \"unwind\"  # a panic becomes an io_error, never an abort of homeboy\n");
    write_text(target / (id + ".json"), manifest_for_library(id, library, "folder"));
    std::string dir = trust::shell_quote(shown);
    return "cargo build --release --offline --manifest-path " + trust::shell_quote(shown + "/Cargo.toml") + " && cp " +
           trust::shell_quote(shown + "/target/release/" + library) + " " + dir + "/";
  }
  bool cpp = lang.name == "cpp";
  std::string source = cpp ? "example_cpp.cpp" : "example_c.c";
  fs::create_directories(target);
  fs::copy_file(example / source, target / source);
  std::string cmake = "cmake_minimum_required(VERSION 3.25)\nproject(" + name + (cpp ? " CXX)\n" : " C)\n");
  if (cpp) cmake += "set(CMAKE_CXX_STANDARD 20)\nset(CMAKE_CXX_STANDARD_REQUIRED ON)\n";
  cmake += "find_package(homeboy-plugin-api REQUIRED)\n";
  if (cpp) cmake += "find_package(SQLite3 REQUIRED)\n";
  cmake += "# The library goes next to the manifest: homeboy loads libraries from the module folder only.\n"
           "homeboy_add_storage_plugin(" + name + " SOURCES " + source + " OUTPUT_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR})\n";
  if (cpp) cmake += "target_link_libraries(" + name + " PRIVATE SQLite::SQLite3)\n";
  write_text(target / "CMakeLists.txt", cmake);
  write_text(target / (id + ".json"), manifest_for_library(id, library, cpp ? "sqlite" : "folder"));
  std::string dir = trust::shell_quote(shown);
  return "cmake -S " + dir + " -B " + trust::shell_quote(shown + "/build") + " -DCMAKE_BUILD_TYPE=Release " +
         "-DCMAKE_PREFIX_PATH=" + trust::shell_quote(prefix.string()) + " && cmake --build " +
         trust::shell_quote(shown + "/build");
}

json::object new_module(Context&, const po::variables_map& vm) {
  std::string id = vm["id"].as<std::string>();
  check_id(id, "module");
  std::string lang_name = vm["lang"].as<std::string>();
  const Language* lang = nullptr;
  std::vector<std::string> names;
  for (const auto& l : languages) {
    names.emplace_back(l.name);
    if (l.name == lang_name) lang = &l;
  }
  if (!lang) {
    std::string all;
    for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
    Error error = errors::invalid_argument("--lang '" + lang_name + "' is not one of " + all, {{"lang", lang_name}});
    if (auto guess = did_you_mean(suggest(lang_name, names)); !guess.empty()) error.with_hint(guess);
    throw error;
  }
  fs::path kit = kit_dir();
  fs::path example = kit / lang->example;
  if (kit.empty() || !fs::is_directory(example))
    throw Error(Errc::internal_error, "the authoring kit is not where this homeboy looks for it: " + example.string(),
                {{"kit", kit.string()}},
                {"Install homeboy (cmake --install, or its Debian package) with its kit, or run it from its build tree."});

  bool here = !vm.count("dir");
  fs::path parent = here ? fs::path(".") : fs::path(vm["dir"].as<std::string>());
  fs::path target = fs::absolute(parent / id).lexically_normal();
  std::string shown = here ? "./" + id : target.string();
  std::error_code ec;
  if (fs::exists(fs::symlink_status(target, ec)))
    throw errors::invalid_argument("'" + target.string() + "' already exists; module new writes a new folder",
                                   {{"dir", target.string()}})
        .with_hint("Pick another id, or another place: --dir DIR.");
  if (!fs::is_directory(target.parent_path()))
    throw errors::invalid_argument("the folder '" + target.parent_path().string() + "' does not exist",
                                   {{"dir", target.parent_path().string()}});

  // Written next to the target, then renamed: an interrupted run leaves no half-made module.
  std::string staging_pattern = (target.parent_path() / ("." + id + ".new-XXXXXX")).string();
  if (!::mkdtemp(staging_pattern.data())) throw errors::internal("cannot create a folder in " + target.parent_path().string());
  fs::path staging = staging_pattern;
  std::string build;
  try {
    fs::remove(staging);
    if (lang->native)
      build = native(*lang, kit, example, staging, id, shown);
    else
      scripted(example, staging, id);
    // The user's own folder: closed to group and others' writes, as the trust checks want.
    fs::permissions(staging, fs::perms::group_write | fs::perms::others_write, fs::perm_options::remove);
    for (const auto& entry : fs::recursive_directory_iterator(staging))
      fs::permissions(entry.path(), fs::perms::group_write | fs::perms::others_write, fs::perm_options::remove);
    fs::rename(staging, target);
  } catch (...) {
    fs::remove_all(staging, ec);
    throw;
  }
  json::array files;
  for (const auto& entry : fs::recursive_directory_iterator(target))
    if (entry.is_regular_file()) files.emplace_back(entry.path().lexically_relative(target).string());
  std::sort(files.begin(), files.end(),
            [](const json::value& a, const json::value& b) { return a.as_string() < b.as_string(); });
  return {{"command", "module.new"},
          {"id", id},
          {"language", lang->name},
          {"dir", target.string()},
          {"example", example.string()},
          {"files", std::move(files)},
          {"build", build.empty() ? json::value(nullptr) : json::value(build)},
          {"test", "homeboy module test " + trust::shell_quote(shown)},
          {"install", "homeboy module install " + trust::shell_quote(shown)}};
}

}  // namespace

CommandSpec module_new_command() {
  return {"new",
          "Write a starter module or plugin from the authoring kit, ready for module test.",
          "<id> --lang bash|python|node|php|c|cpp|rust [--dir DIR]",
          {argument("id", "id", "the new module's id: its folder and manifest are named after it"),
           option("lang", "LANG", "the language: bash, python, node, php (a module) or c, cpp, rust (a native plugin)")
               .needed()
               .one_of({"bash", "python", "node", "php", "c", "cpp", "rust"}),
           option("dir", "DIR", "write the folder in DIR instead of here").completing(Completion::folder)},
          new_module,
          "A scripted starter passes `homeboy module test` as written; a native one once built with the command "
          "printed as `build`."};
}

}  // namespace homeboy::cli
