#include "homeboy/subprocess_transport.hpp"

#include "homeboy/text.hpp"

#include <boost/json/serialize.hpp>

#include <cmath>
#include <cstdlib>
#include <string>

namespace homeboy {

namespace {

std::string seconds_text(std::chrono::milliseconds ms) {
  auto count = ms.count();
  if (count % 1000 == 0) return std::to_string(count / 1000) + " s";
  return std::to_string(static_cast<double>(count) / 1000.0) + " s";
}

Error provider_failed(std::string_view module_id, const contract::Event& event, const std::string& how,
                      const std::string& stderr_tail, std::string_view stdout_text) {
  std::string op(contract::to_string(event.operation));
  std::string message = "module '" + std::string(module_id) + "' " + how + " on '" + op + "'";
  if (!stderr_tail.empty()) message += "; its stderr ends with: " + excerpt(stderr_tail, 500);
  return Error("storage.provider_failed", std::move(message), ExitCode::failure,
               {{"module", module_id},
                {"operation", op},
                {"stderr_tail", stderr_tail},
                {"stdout_excerpt", excerpt(stdout_text)}});
}

Error timed_out(std::string_view module_id, const contract::Event& event, std::chrono::milliseconds timeout,
                const std::string& stderr_tail) {
  std::string op(contract::to_string(event.operation));
  std::string message = "module '" + std::string(module_id) + "' did not answer '" + op + "' within " +
                        seconds_text(timeout) + "; its process group was killed";
  if (!stderr_tail.empty()) message += "; its stderr ends with: " + excerpt(stderr_tail, 500);
  return Error("storage.timeout", std::move(message), ExitCode::failure,
               {{"module", module_id}, {"operation", op}, {"timeout_ms", timeout.count()}},
               {"Raise runtime.timeout_secs in the module's manifest, or HOMEBOY_STORAGE_TIMEOUT_SECS for one run."});
}

contract::Capabilities module_capabilities(const Module& module) {
  return module.manifest.storage_provider ? module.manifest.storage_provider->capabilities : contract::Capabilities{};
}

}  // namespace

void check_transportable(const contract::Event& event, const contract::Capabilities& capabilities,
                         std::string_view module_id) {
  auto check_path = [&](const contract::Event& e) {
    if (auto at = text::invalid_utf8_at(e.path))
      throw Error("storage.invalid_path",
                  "the path '" + excerpt(e.path, 200) + "' is not valid UTF-8 (at byte " + std::to_string(*at) +
                      "); module '" + std::string(module_id) + "' takes paths as JSON text",
                  ExitCode::invalid, {{"module", module_id}, {"path", excerpt(e.path, 4096)}},
                  {"Use a UTF-8 name, or a native provider such as builtin-filesystem."});
  };
  check_path(event);
  for (const auto& op : event.operations) check_path(op);
  if (capabilities.binary) return;
  if (const auto* e = contract::first_binary_write(event)) {
    auto at = text::invalid_utf8_at(e->content).value_or(0);
    throw Error("storage.binary_unsupported",
                "the content for " + excerpt(e->path, 200) + " is not UTF-8 text (byte " + std::to_string(at) +
                    " is not), and module '" + std::string(module_id) +
                    "' takes text only; nothing was written, so nothing was corrupted",
                ExitCode::invalid, {{"module", module_id}, {"path", excerpt(e->path, 4096)}, {"byte_offset", at}},
                {"Use a provider that declares the \"binary\" capability (builtin-filesystem, filesystem-php, "
                 "sqlite-storage), or store the content base64-encoded."});
  }
}

Command module_command(const Module& module, const std::filesystem::path& config_dir, std::string_view mode_flag) {
  const auto& executable = module.manifest.runtime.executable;
  if (!executable)
    throw Error("storage.provider_unavailable", "module '" + module.id + "' has no runtime.executable",
                ExitCode::failure, {{"module", module.id}});
  Command command;
  command.argv = split_command(*executable);
  auto resolved = find_executable(command.argv[0], module.dir);
  if (!resolved)
    throw Error("storage.provider_unavailable",
                "module '" + module.id + "': executable '" + command.argv[0] +
                    "' is neither in the module folder nor on PATH",
                ExitCode::failure, {{"module", module.id}, {"executable", command.argv[0]}},
                {"Install the program the module needs, or fix runtime.executable in " +
                 module.manifest_path.string() + "."});
  command.argv[0] = resolved->string();
  command.argv.emplace_back(mode_flag);
  command.working_dir = module.dir;
  std::string provider_config = module.manifest.storage_provider
                                    ? boost::json::serialize(module.manifest.storage_provider->config)
                                    : std::string("{}");
  command.env = {{"HOMEBOY_MODULE_ID", module.id},
                 {"HOMEBOY_MODULE_DIR", module.dir.string()},
                 {"HOMEBOY_CONFIG_DIR", config_dir.string()},
                 {"HOMEBOY_STORAGE_CONFIG", provider_config},
                 {"HOMEBOY_CONTRACT_VERSION", std::to_string(contract::version)}};
  return command;
}

std::chrono::milliseconds module_timeout(const Module& module) {
  if (const char* env = std::getenv("HOMEBOY_STORAGE_TIMEOUT_SECS"); env && *env) {
    char* end = nullptr;
    double secs = std::strtod(env, &end);
    if (end && *end == '\0' && secs > 0 && std::isfinite(secs) && secs <= 86400)
      return std::chrono::milliseconds(static_cast<long long>(secs * 1000));
    throw errors::config("config.invalid_environment",
                         "HOMEBOY_STORAGE_TIMEOUT_SECS must be a number of seconds above 0 and at most 86400, not '" +
                             std::string(env) + "'",
                         {{"variable", "HOMEBOY_STORAGE_TIMEOUT_SECS"}, {"value", env}});
  }
  return module.manifest.runtime.timeout;
}

OneShotTransport::OneShotTransport(const Module& module, const std::filesystem::path& config_dir)
    : module_id_(module.id),
      command_(module_command(module, config_dir, "--storage-operation")),
      timeout_(module_timeout(module)),
      supports_batch_(module.manifest.runtime.supports_batch),
      capabilities_(module_capabilities(module)) {}

contract::Response OneShotTransport::send(const contract::Event& event) {
  check_transportable(event, capabilities_, module_id_);
  std::string line = contract::serialize(event);
  line.push_back('\n');
  ProcessOutcome outcome;
  try {
    outcome = run_once(command_, line, timeout_);
  } catch (const std::system_error& e) {
    throw Error("storage.provider_unavailable", "module '" + module_id_ + "' could not be started: " + e.what(),
                ExitCode::failure, {{"module", module_id_}});
  }
  if (outcome.timed_out) throw timed_out(module_id_, event, timeout_, outcome.err_tail);
  if (outcome.output_overflow)
    throw Error("storage.too_large",
                "module '" + module_id_ + "' answered '" + std::string(contract::to_string(event.operation)) +
                    "' with more than " + std::to_string(max_output_bytes >> 20) +
                    " MiB on stdout; it was stopped there",
                ExitCode::invalid, {{"module", module_id_}, {"limit_bytes", max_output_bytes}},
                {"homeboy stores files of up to 256 MiB; a batch of many large reads may need splitting."});
  if (!outcome.exited_cleanly())
    throw provider_failed(module_id_, event, outcome.describe_end(), outcome.err_tail, outcome.out);
  return contract::parse_response(outcome.out, event, {module_id_});
}

PersistentTransport::PersistentTransport(const Module& module, const std::filesystem::path& config_dir)
    : module_id_(module.id),
      command_(module_command(module, config_dir, "--storage-serve")),
      timeout_(module_timeout(module)),
      supports_batch_(module.manifest.runtime.supports_batch),
      capabilities_(module_capabilities(module)) {}

PersistentTransport::~PersistentTransport() = default;

contract::Response PersistentTransport::send(const contract::Event& event) {
  check_transportable(event, capabilities_, module_id_);
  if (!process_) {
    if (next_id_ > 1 && restarts_left_-- <= 0)
      throw Error("storage.provider_failed",
                  "module '" + module_id_ + "' failed again after being restarted once; it is not restarted again "
                  "in this run",
                  ExitCode::failure, {{"module", module_id_}, {"operation", contract::to_string(event.operation)}});
    try {
      process_ = std::make_unique<PersistentProcess>(command_);
    } catch (const std::system_error& e) {
      throw Error("storage.provider_unavailable", "module '" + module_id_ + "' could not be started: " + e.what(),
                  ExitCode::failure, {{"module", module_id_}});
    }
  }
  std::uint64_t id = next_id_++;
  auto reply = process_->exchange(contract::serialize(event, id), timeout_);
  if (!reply.line) {
    // The process is dead or killed: this operation fails, the next one gets a new process.
    std::string tail = process_->stderr_tail();
    std::string how = reply.timed_out ? std::string() : process_->describe_end() + " without answering";
    process_.reset();
    if (reply.timed_out) throw timed_out(module_id_, event, timeout_, tail);
    throw provider_failed(module_id_, event, how, tail, {});
  }
  try {
    auto response = contract::parse_response(*reply.line, event, {module_id_});
    if (response.id != id)
      throw contract::violation({module_id_}, event, contract::rule::id_mismatch,
                                "the response must echo the request's \"id\" (" + std::to_string(id) + ")",
                                *reply.line);
    return response;
  } catch (const Error&) {
    process_.reset();  // the stream can no longer be trusted to be in step
    throw;
  }
}

}  // namespace homeboy
