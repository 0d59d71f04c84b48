#include "homeboy/transport/subprocess_transport.hpp"

#include "homeboy/transport/environment.hpp"
#include "homeboy/transport/fd.hpp"
#include "homeboy/seconds.hpp"
#include "homeboy/text.hpp"
#include "homeboy/modules/trust.hpp"

#include <boost/json/serialize.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

extern char** environ;

namespace homeboy {

namespace {

Error provider_failed(std::string_view module_id, const contract::Event& event, const std::string& how,
                      const std::string& stderr_tail, std::string_view stdout_start, std::size_t stdout_size) {
  std::string op(contract::to_string(event.operation));
  std::string message = "module '" + std::string(module_id) + "' " + how + " on '" + op + "'";
  if (!stderr_tail.empty()) message += "; its stderr ends with: " + excerpt(stderr_tail, 500);
  return Error(Errc::storage_provider_failed, std::move(message),
               {{"module", module_id},
                {"operation", op},
                {"stderr_tail", stderr_tail},
                {"stdout_excerpt", excerpt_of_start(stdout_start, stdout_size)}});
}

Error timed_out(std::string_view module_id, const contract::Event& event, std::chrono::milliseconds timeout,
                const std::string& stderr_tail) {
  std::string op(contract::to_string(event.operation));
  std::string message = "module '" + std::string(module_id) + "' did not answer '" + op + "' within " +
                        seconds_text(timeout) + "; its process group was killed";
  if (!stderr_tail.empty()) message += "; its stderr ends with: " + excerpt(stderr_tail, 500);
  return Error(Errc::storage_timeout, std::move(message),
               {{"module", module_id}, {"operation", op}, {"timeout_ms", timeout.count()}},
               {"Raise runtime.timeout_secs in the module's manifest, or HOMEBOY_STORAGE_TIMEOUT_SECS for one run."});
}

}  // namespace

Error answer_too_large(std::string_view module_id, const contract::Event& event) {
  return Error(Errc::storage_too_large,
               "module '" + std::string(module_id) + "' answered '" + std::string(contract::to_string(event.operation)) +
                   "' with more than " + std::to_string(max_output_bytes >> 20) + " MiB on stdout; it was stopped there",
               {{"module", module_id}, {"limit_bytes", max_output_bytes}},
               {"homeboy stores files of up to 256 MiB; a batch of many large reads may need splitting."});
}

namespace {

contract::Capabilities module_capabilities(const Module& module) {
  return module.manifest.storage_provider ? module.manifest.storage_provider->capabilities : contract::Capabilities{};
}

// Host variables every module gets besides PATH and LC_* (docs/security.md).
constexpr std::array<std::string_view, 6> passed_variables{"HOME", "USER", "LOGNAME", "LANG", "TZ", "TMPDIR"};

// <config>/run, made private (0700) to the user: where provider configs are handed over.
std::filesystem::path run_folder(const std::filesystem::path& config_dir) {
  std::error_code ec;
  std::filesystem::create_directories(config_dir.parent_path(), ec);
  ::mkdir(config_dir.c_str(), 0700);  // a new config folder is the user's alone
  return private_folder(config_dir / "run", "homeboy hands provider configs to modules there");
}

}  // namespace

std::filesystem::path private_folder(const std::filesystem::path& dir, std::string_view purpose) {
  ::mkdir(dir.c_str(), 0700);
  struct stat st {};
  bool ours = ::lstat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == ::geteuid();
  if (ours && (st.st_mode & 077) != 0) ours = ::chmod(dir.c_str(), 0700) == 0;
  if (!ours)
    throw Error(
        Errc::config_unsafe_private_folder,
        dir.string() + " must be a folder owned by the user and private to them (mode 0700); " + std::string(purpose),
        {{"path", dir.string()}})
        .with_hint("Remove it (homeboy creates it again): rm -r " + trust::shell_quote(dir.string()));
  return dir;
}

void check_transportable(const contract::Event& event, const contract::Capabilities& capabilities,
                         std::string_view module_id) {
  auto check_path = [&](const contract::Event& e) {
    if (auto at = text::invalid_utf8_at(e.path))
      throw Error(Errc::storage_invalid_path,
                  "the path '" + excerpt(e.path, 200) + "' is not valid UTF-8 (at byte " + std::to_string(*at) +
                      "); module '" + std::string(module_id) + "' takes paths as JSON text",
                  {{"module", module_id}, {"path", excerpt(e.path, 4096)}},
                  {"Use a UTF-8 name. A native plugin takes any bytes: builtin-filesystem's, unless "
                   "HOMEBOY_STORAGE_TRANSPORT=subprocess makes it run its script."});
  };
  check_path(event);
  for (const auto& op : event.operations) check_path(op);
  if (capabilities.binary) return;
  if (const auto* e = contract::first_binary_write(event)) {
    auto at = text::invalid_utf8_at(e->content).value_or(0);
    throw Error(Errc::storage_binary_unsupported,
                "the content for " + excerpt(e->path, 200) + " is not UTF-8 text (byte " + std::to_string(at) +
                    " is not), and module '" + std::string(module_id) +
                    "' takes text only; nothing was written, so nothing was corrupted",
                {{"module", module_id}, {"path", excerpt(e->path, 4096)}, {"byte_offset", at}},
                {"Use a provider that declares the \"binary\" capability (builtin-filesystem, filesystem-php, "
                 "sqlite-storage), or store the content base64-encoded."});
  }
}

Launch module_command(const Module& module, const std::filesystem::path& config_dir, std::string_view mode_flag) {
  const auto& executable = module.manifest.runtime.executable;
  if (!executable)
    throw Error(Errc::storage_provider_unavailable, "module '" + module.id + "' has no runtime.executable",
                {{"module", module.id}});
  Launch command;
  command.argv = split_command(*executable);
  auto located = trust::locate_executable(command.argv[0], module.dir, ::geteuid());
  if (!located.problems.empty()) throw trust::untrusted(module.id, module.manifest_path, located.problems);
  if (!located.path)
    throw Error(
        Errc::storage_provider_unavailable,
        "module '" + module.id + "': executable '" + command.argv[0] +
            "' is neither in the module folder nor in /usr/local/bin, /usr/bin or /bin",
        {{"module", module.id}, {"executable", command.argv[0]}},
        {"Install the program the module needs, or fix runtime.executable in " + module.manifest_path.string() + "."});
  command.argv[0] = located.path->string();
  command.argv.emplace_back(mode_flag);
  command.working_dir = module.dir;
  command.env = module_environment(module, config_dir);
  command.inherit_environment = false;
  return command;
}

std::vector<std::pair<std::string, std::string>> module_environment(const Module& module,
                                                                    const std::filesystem::path& config_dir) {
  std::map<std::string, std::string, std::less<>> env{{"PATH", std::string(trust::system_path)}};
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view name = entry.substr(0, eq);
    if (name.starts_with("LC_") || std::find(passed_variables.begin(), passed_variables.end(), name) != passed_variables.end())
      env[std::string(name)] = entry.substr(eq + 1);
  }
  for (const auto& name : module.manifest.runtime.env) {
    if (!name.ends_with('*')) {
      if (const char* value = std::getenv(name.c_str())) env[name] = value;
      continue;
    }
    std::string_view prefix(name.data(), name.size() - 1);
    for (char** e = environ; e && *e; ++e) {
      std::string_view entry(*e);
      auto eq = entry.find('=');
      std::string_view variable = entry.substr(0, eq);
      if (eq != std::string_view::npos && variable.starts_with(prefix) && !variable.starts_with("HOMEBOY_"))
        env[std::string(variable)] = entry.substr(eq + 1);
    }
  }

  std::string config = module.manifest.storage_provider
                           ? boost::json::serialize(module.manifest.storage_provider->config)
                           : std::string("{}");
  env["HOMEBOY_MODULE_ID"] = module.id;
  env["HOMEBOY_MODULE_DIR"] = module.dir.string();
  env["HOMEBOY_CONFIG_DIR"] = config_dir.string();
  env["HOMEBOY_CONTRACT_VERSION"] = std::to_string(contract::version);
  env["HOMEBOY_STORAGE_CONFIG_FILE"] = provider_config_file(config_dir, module.id, config).string();
  if (config.size() <= max_config_in_environment) env["HOMEBOY_STORAGE_CONFIG"] = std::move(config);
  return {env.begin(), env.end()};
}

std::filesystem::path provider_config_file(const std::filesystem::path& config_dir, const std::string& module_id,
                                           const std::string& config) {
  namespace fs = std::filesystem;
  fs::path dir = run_folder(config_dir);
  std::string prefix = "storage-config-" + module_id + "-";
  std::string name = prefix + text::digest_hex(config) + ".json";
  fs::path file = dir / name;
  struct stat st {};
  if (::lstat(file.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == ::geteuid() &&
      (st.st_mode & 077) == 0 && static_cast<std::size_t>(st.st_size) == config.size())
    return file;  // written by an earlier run

  auto fail = [&](const std::string& what) {
    return Error(
        Errc::storage_provider_unavailable,
        "cannot hand module '" + module_id + "' its provider config: " + what + " (" + std::strerror(errno) + ")",
        {{"module", module_id}, {"path", file.string()}});
  };
  std::string temp = (dir / ("." + name + ".XXXXXX")).string();
  int fd = ::mkstemp(temp.data());  // 0600
  if (fd < 0) throw fail("cannot create a file in " + dir.string());
  bool written = write_all(fd, config);
  if (::close(fd) != 0 || !written || ::rename(temp.c_str(), file.c_str()) != 0) {
    int error = errno;
    ::unlink(temp.c_str());
    errno = error;
    throw fail("cannot write " + file.string());
  }
  // An older config of the same module may hold a secret since changed: remove it.
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string other = entry.path().filename().string();
    bool same_module = other.size() == name.size() && other.starts_with(prefix) && other.ends_with(".json");
    if (same_module && other != name) fs::remove(entry.path(), ec);
  }
  return file;
}

std::chrono::milliseconds module_timeout(const Module& module) {
  return storage_timeout_override().value_or(module.manifest.runtime.timeout);
}

ModuleProcessTransport::ModuleProcessTransport(const Module& module)
    : module_id_(module.id),
      timeout_(module_timeout(module)),
      supports_batch_(module.manifest.runtime.supports_batch),
      capabilities_(module_capabilities(module)) {}

OneShotTransport::OneShotTransport(const Module& module, const std::filesystem::path& config_dir)
    : ModuleProcessTransport(module), command_(module_command(module, config_dir, "--storage-operation")) {}

contract::Response OneShotTransport::send(const contract::Event& event) {
  check_transportable(event, capabilities_, module_id_);
  std::string line = contract::serialize(event);
  line.push_back('\n');
  // The answer is read as it arrives: a large one is held once, as the content it carries.
  contract::ResponseParser answer(event, {module_id_});
  ProcessOutcome outcome;
  try {
    outcome = run_once(command_, line, timeout_, [&](std::string_view piece) { answer.feed(piece); });
  } catch (const std::system_error& e) {
    throw Error(Errc::storage_provider_unavailable, "module '" + module_id_ + "' could not be started: " + e.what(),
                {{"module", module_id_}});
  }
  if (outcome.timed_out) throw timed_out(module_id_, event, timeout_, outcome.err_tail);
  if (outcome.output_overflow) throw answer_too_large(module_id_, event);
  if (!outcome.exited_cleanly())
    throw provider_failed(module_id_, event, outcome.describe_end(), outcome.err_tail, outcome.out, outcome.out_size);
  line = {};  // the event is sent: what it held (a large write's content) goes before the answer's model is built
  return answer.finish();
}

PersistentTransport::PersistentTransport(const Module& module, const std::filesystem::path& config_dir)
    : ModuleProcessTransport(module),
      command_(module_command(module, config_dir, "--storage-serve")),
      raw_content_(module.manifest.storage_provider && module.manifest.storage_provider->raw_content) {}

PersistentTransport::~PersistentTransport() = default;

contract::Response PersistentTransport::send(const contract::Event& event) {
  check_transportable(event, capabilities_, module_id_);
  if (!process_) {
    if (next_id_ > 1 && restarts_left_-- <= 0)
      throw Error(Errc::storage_provider_failed,
                  "module '" + module_id_ +
                      "' failed again after being restarted once; it is not restarted again "
                      "in this run",
                  {{"module", module_id_}, {"operation", contract::to_string(event.operation)}});
    try {
      process_ = std::make_unique<PersistentProcess>(command_);
    } catch (const std::system_error& e) {
      throw Error(Errc::storage_provider_unavailable, "module '" + module_id_ + "' could not be started: " + e.what(),
                  {{"module", module_id_}});
    }
  }
  std::uint64_t id = next_id_++;
  contract::ResponseParser answer(event, {module_id_});
  PersistentProcess::Reply reply;
  bool raw = raw_content_ && (event.operation == contract::Operation::write ||
                              event.operation == contract::Operation::read);
  if (raw) {
    // The content as it is, after the line (contract::raw); a read's after its answer line.
    reply = process_->exchange(contract::raw::request(event, id), event.content, timeout_, contract::raw::data_size);
    if (reply.line) answer.feed(*reply.line);
  } else {
    reply = process_->exchange(contract::serialize(event, id), timeout_,
                               [&](std::string_view piece) { answer.feed(piece); });
  }
  if (reply.too_large) {
    process_.reset();
    throw answer_too_large(module_id_, event);
  }
  if (!reply.line) {
    // The process is dead or killed: this operation fails, the next one gets a new process.
    std::string tail = process_->stderr_tail();
    std::string how = reply.timed_out ? std::string() : process_->describe_end() + " without answering";
    process_.reset();
    if (reply.timed_out) throw timed_out(module_id_, event, timeout_, tail);
    throw provider_failed(module_id_, event, how, tail, {}, 0);
  }
  try {
    auto response = answer.finish();
    if (response.success && !reply.payload.empty()) response.data = std::move(reply.payload);
    if (response.id != id)
      throw contract::violation({module_id_}, event, contract::rule::id_mismatch,
                                "the response must echo the request's \"id\" (" + std::to_string(id) + ")",
                                answer.start(), answer.size());
    return response;
  } catch (const Error&) {
    process_.reset();  // the stream can no longer be trusted to be in step
    throw;
  }
}

}  // namespace homeboy
