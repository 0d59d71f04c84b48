#include "homeboy/providers/provider_pin.hpp"

#include "homeboy/error.hpp"
#include "homeboy/contract/json_text.hpp"
#include "homeboy/contract/limits.hpp"
#include "homeboy/transport/fd.hpp"

#include <boost/json.hpp>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;
namespace json = boost::json;

namespace homeboy {

namespace {

Error write_failed(const fs::path& file, const std::string& step, int err) {
  return Error(Errc::config_write_failed, "cannot write " + file.string() + ": " + step + ": " + std::strerror(err),
               {{"config_path", file.string()}});
}

}  // namespace

void replace_file(const fs::path& file, const std::string& text, mode_t mode) {
  std::string temp = file.parent_path().string();
  temp.append("/.").append(file.filename().string()).append(".XXXXXX");  // hidden: never listed as config
  int fd = ::mkstemp(temp.data());
  if (fd < 0) throw write_failed(file, "creating a temporary file", errno);
  auto abandon = [&](const std::string& step) {
    int err = errno;
    ::close(fd);
    ::unlink(temp.c_str());
    return write_failed(file, step, err);
  };
  if (!write_all(fd, text)) throw abandon("writing");
  if (::fchmod(fd, mode) != 0) throw abandon("setting its mode");
  if (::fsync(fd) != 0) throw abandon("flushing");
  if (::close(fd) != 0) {
    ::unlink(temp.c_str());
    throw write_failed(file, "closing", errno);
  }
  if (::rename(temp.c_str(), file.c_str()) != 0) {
    int err = errno;
    ::unlink(temp.c_str());
    throw write_failed(file, "renaming the temporary file over it", err);
  }
  if (int dir = ::open(file.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir >= 0) {
    ::fsync(dir);  // the rename itself survives a crash
    ::close(dir);
  }
}

PinChange pin_provider(const fs::path& config_dir, const std::optional<std::string>& module_id) {
  PinChange change{config_dir / "homeboy.json", std::nullopt, module_id};
  json::object settings;
  mode_t mode = 0644;
  if (std::ifstream in(change.file, std::ios::binary); in) {
    std::ostringstream text;
    text << in.rdbuf();
    json::parse_options options;
    options.max_depth = limits::json_depth;
    json::error_code ec;
    json::value value = json::parse(text.str(), ec, {}, options);
    auto bad = [&](const std::string& why) {
      return Error(Errc::config_invalid_config, change.file.string() + ": " + why,
                   {{"config_path", change.file.string()}})
          .with_hint("Fix the file (or remove it), then run the command again.");
    };
    if (ec) throw bad("not valid JSON (" + ec.message() + ")");
    if (!value.is_object()) throw bad("must be a JSON object");
    settings = std::move(value.as_object());
    if (const auto* storage = settings.if_contains("storage"); storage && storage->is_string())
      change.before = std::string(storage->get_string());
    struct stat st {};
    if (::stat(change.file.c_str(), &st) == 0) mode = st.st_mode & 07777;
  }
  if (change.before == module_id && (module_id || !settings.contains("storage"))) return change;

  json::object updated;  // rebuilt, so the other keys keep their order
  updated.reserve(settings.size() + 1);
  bool placed = false;
  for (auto& kv : settings) {
    if (kv.key() != "storage") {
      updated.emplace(kv.key(), std::move(kv.value()));
    } else if (module_id) {
      updated.emplace("storage", *module_id);
      placed = true;
    }
  }
  if (module_id && !placed) updated.emplace("storage", *module_id);
  std::error_code ec;
  fs::create_directories(config_dir, ec);
  replace_file(change.file, pretty(updated) + "\n", mode);
  return change;
}

}  // namespace homeboy
