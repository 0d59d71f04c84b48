#include "homeboy/transport/isolated_transport.hpp"

#include "homeboy/transport/native_transport.hpp"
#include "homeboy/transport/plugin_host.hpp"
#include "homeboy/platform.hpp"
#include "homeboy/seconds.hpp"
#include "homeboy/transport/subprocess_transport.hpp"

#include <boost/json.hpp>

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <system_error>

namespace json = boost::json;
namespace fs = std::filesystem;

namespace homeboy {

namespace {

// "SIGSEGV"
std::string signal_name(int sig) {
  const char* abbreviation = ::sigabbrev_np(sig);
  return abbreviation ? "SIG" + std::string(abbreviation) : "signal " + std::to_string(sig);
}

// "SIGSEGV (Segmentation fault)"
std::string signal_text(int sig) {
  const char* description = ::strsignal(sig);
  return signal_name(sig) + " (" + (description ? description : "unknown signal") + ")";
}

// "'read' of /a" or "a batch of 3 operations", for messages.
std::string operation_text(const contract::Event& event) {
  if (event.operation == contract::Operation::batch)
    return "a batch of " + std::to_string(event.operations.size()) + " operations";
  return "'" + std::string(contract::to_string(event.operation)) + "' of " + excerpt(event.path, 200);
}

json::object event_details(std::string_view module_id, const contract::Event& event) {
  json::object details{{"module", module_id}, {"operation", contract::to_string(event.operation)}, {"transport", "isolated"}};
  if (event.operation != contract::Operation::batch) details["path"] = excerpt(event.path, 4096);
  return details;
}

std::string stderr_note(const std::string& tail) {
  return tail.empty() ? std::string() : "; its stderr ends with: " + excerpt(tail, 500);
}

Error crashed(std::string_view module_id, const contract::Event& event, int signal, const std::string& how,
              const std::string& tail) {
  std::string message = "the plugin of module '" + std::string(module_id) + "' crashed " +
                        (signal ? "with " + signal_text(signal) : "(its helper process " + how + ")") + " during " +
                        operation_text(event) +
                        "; it runs isolated, so homeboy carried on, and the next operation gets a fresh helper" +
                        stderr_note(tail);
  auto details = event_details(module_id, event);
  details["signal"] = signal ? json::value(signal_name(signal)) : json::value(nullptr);
  details["stderr_tail"] = tail;
  return Error(Errc::storage_provider_crashed, std::move(message), std::move(details),
               {"Run `homeboy module test " + std::string(module_id) +
                "` to see which operations crash it, and report the crash to the plugin's author."});
}

Error timed_out(std::string_view module_id, const contract::Event& event, std::chrono::milliseconds timeout,
                const std::string& tail) {
  auto details = event_details(module_id, event);
  details["timeout_ms"] = timeout.count();
  return Error(Errc::storage_timeout,
               "the plugin of module '" + std::string(module_id) + "' did not answer " + operation_text(event) +
                   " within " + seconds_text(timeout) + "; its helper process was killed and homeboy carried on" +
                   stderr_note(tail),
               std::move(details),
               {"Raise runtime.timeout_secs in the module's manifest, or HOMEBOY_STORAGE_TIMEOUT_SECS for one run."});
}

bool runnable(const fs::path& p) { return !p.empty() && ::access(p.c_str(), X_OK) == 0 && fs::is_regular_file(p); }

// The helper program HOMEBOY_PLUGIN_HOST names, if it names one.
std::optional<fs::path> named_plugin_host() {
  const char* given = std::getenv("HOMEBOY_PLUGIN_HOST");
  if (!given || !*given) return std::nullopt;
  return fs::path(given);
}

}  // namespace

// The helper's "host_error": the Error the plugin's answer raised in the helper, as it
// would have been raised in-process.
void plugin_host::raise_host_error(std::string_view line) {
  boost::system::error_code ec;
  json::value value = json::parse(line, ec);
  const json::object* error = nullptr;
  if (!ec && value.is_object())
    if (const auto* inner = value.get_object().if_contains("host_error")) error = inner->if_object();
  const json::value* code = error ? error->if_contains("code") : nullptr;
  const json::value* text = error ? error->if_contains("message") : nullptr;
  if (!code || !code->is_string() || !text || !text->is_string())
    throw errors::internal("the isolation helper answered with an unreadable error: " + excerpt(line));
  // The helper is part of the same homeboy: a code it names is in the catalogue.
  auto errc = parse_errc(std::string_view(code->get_string()));
  if (!errc)
    throw errors::internal("the isolation helper answered with an unknown error code '" +
                           excerpt(std::string_view(code->get_string()), 80) + "': " + excerpt(text->get_string()));
  json::object details;
  if (const auto* given = error->if_contains("details"); given && given->is_object()) details = given->get_object();
  std::vector<std::string> hints;
  if (const auto* given = error->if_contains("hints"); given && given->is_array())
    for (const auto& h : given->get_array())
      if (h.is_string()) hints.emplace_back(h.get_string());
  throw Error(*errc, std::string(text->get_string()), std::move(details), std::move(hints));
}

fs::path plugin_host_executable() {
  if (auto named = named_plugin_host()) return *named;
  std::error_code ec;
  fs::path exe = platform::own_executable(ec);
  if (ec) return "homeboy-plugin-host";
  fs::path beside = exe.parent_path() / "homeboy-plugin-host";
  if (runnable(beside)) return beside;
  fs::path in_bin = (exe.parent_path().parent_path() / "bin" / "homeboy-plugin-host").lexically_normal();
  return runnable(in_bin) ? in_bin : beside;
}

IsolatedTransport::IsolatedTransport(const Module& module, const fs::path& config_dir)
    : module_id_(module.id), timeout_(module_timeout(module)) {
  const auto& library = module.manifest.runtime.library;
  if (!library) throw NativeLoadError("library_missing", "the manifest names no runtime.library");
  // The helper is a copy of this process (nothing to load but the plugin), unless a program
  // is named for it.
  if (auto helper = named_plugin_host()) {
    if (!runnable(*helper))
      throw NativeLoadError("isolation_unavailable", "the isolation helper " + helper->string() +
                                                         " (HOMEBOY_PLUGIN_HOST) is missing or not executable");
    command_.emplace();
    command_->argv = {helper->string(), "--storage-serve"};
    command_->working_dir = module.dir;
  }
  copy_.body = plugin_host::serve_isolated;
  copy_.working_dir = module.dir;
  copy_.name = "homeboy-plugin";
  const auto& provider = module.manifest.storage_provider;
  json::object hello{{"protocol", plugin_host::protocol},
                     {"module_id", module.id},
                     {"module_dir", module.dir.string()},
                     {"library", *library},
                     {"config_dir", config_dir.string()},
                     {"storage_type", provider ? provider->storage_type : std::string()},
                     {"config", provider ? provider->config : json::object()}};
  hello_ = json::serialize(json::object{{"hello", std::move(hello)}, {"id", 0}});
  start();
}

IsolatedTransport::~IsolatedTransport() = default;

std::string IsolatedTransport::helper_name() const {
  return command_ ? command_->argv[0] : "(a copy of homeboy)";
}

void IsolatedTransport::start() {
  try {
    process_ = command_ ? std::make_unique<PersistentProcess>(*command_) : std::make_unique<PersistentProcess>(copy_);
  } catch (const std::system_error& e) {
    throw NativeLoadError("isolation_unavailable", "the isolation helper " + helper_name() + " could not be started: " + e.what());
  }
  auto reply = process_->exchange(hello_, timeout_);
  if (!reply.line) {
    std::string how = reply.timed_out ? "did not finish loading within " + seconds_text(timeout_)
                      : process_->term_signal()
                          ? "crashed with " + signal_text(process_->term_signal()) + " while loading"
                          : "ended its helper process while loading (it " + process_->describe_end() + ")";
    std::string tail = process_->stderr_tail();
    process_.reset();
    throw NativeLoadError("creation_failed", "the plugin of module '" + module_id_ + "' " + how + stderr_note(tail));
  }
  boost::system::error_code ec;
  json::value value = json::parse(*reply.line, ec);
  const json::object* answer = !ec ? value.if_object() : nullptr;
  const json::value* loaded = answer ? answer->if_contains("hello") : nullptr;
  const json::value* refused = answer ? answer->if_contains("load_error") : nullptr;
  if (refused && refused->is_object()) {
    process_.reset();
    const auto& why = refused->get_object();
    const auto* kind = why.if_contains("kind");
    const auto* text = why.if_contains("message");
    throw NativeLoadError(kind && kind->is_string() ? std::string(kind->get_string()) : "creation_failed",
                          text && text->is_string() ? std::string(text->get_string()) : excerpt(*reply.line));
  }
  const json::object* hello = loaded ? loaded->if_object() : nullptr;
  const json::value* protocol = hello ? hello->if_contains("protocol") : nullptr;
  if (!protocol || !protocol->is_int64() || protocol->get_int64() != plugin_host::protocol) {
    process_.reset();
    throw NativeLoadError("isolation_unavailable", "the isolation helper " + helper_name() +
                                                       " answered homeboy's hello with " + excerpt(*reply.line) +
                                                       "; it does not come from this homeboy");
  }
  auto flag = [](const json::object* o, std::string_view key) {
    const json::value* v = o ? o->if_contains(key) : nullptr;
    return v && v->is_bool() && v->get_bool();
  };
  const json::value* capabilities = hello->if_contains("capabilities");
  const json::object* caps = capabilities ? capabilities->if_object() : nullptr;
  supports_batch_ = flag(hello, "supports_batch");
  capabilities_ = {flag(caps, "versions"), flag(caps, "binary"), flag(caps, "atomic_batch"), flag(caps, "transactions")};
}

contract::Response IsolatedTransport::send(const contract::Event& event) {
  std::lock_guard lock(mutex_);
  if (!process_) {
    if (restarts_left_-- <= 0)
      throw Error(Errc::storage_provider_failed,
                  "the plugin of module '" + module_id_ +
                      "' failed again after its helper was restarted once; it is not restarted again in this run",
                  event_details(module_id_, event));
    try {
      start();
    } catch (const NativeLoadError& e) {
      throw Error(Errc::storage_provider_unavailable,
                  "module '" + module_id_ + "': a fresh isolation helper could not load its plugin (" + e.kind() +
                      "): " + e.what(),
                  event_details(module_id_, event));
    }
  }
  std::uint64_t id = next_id_++;
  // A write's content goes raw after a line that announces its size; a read's comes back so.
  auto reply = process_->exchange(contract::raw::request(event, id), event.content, timeout_, contract::raw::data_size);
  if (reply.too_large) {
    process_.reset();
    throw answer_too_large(module_id_, event);
  }
  if (!reply.line) {
    std::string tail = process_->stderr_tail();
    int signal = process_->term_signal();
    std::string how = reply.timed_out ? std::string() : process_->describe_end();
    process_.reset();
    if (reply.timed_out) throw timed_out(module_id_, event, timeout_, tail);
    throw crashed(module_id_, event, signal, how, tail);
  }
  if (reply.line->starts_with(plugin_host::host_error_prefix)) plugin_host::raise_host_error(*reply.line);
  try {
    auto response = contract::parse_response(*reply.line, event, {module_id_});
    if (response.success && !reply.payload.empty()) response.data = std::move(reply.payload);
    if (response.id != id)
      throw contract::violation({module_id_}, event, contract::rule::id_mismatch,
                                "the isolation helper must echo the request's \"id\" (" + std::to_string(id) + ")",
                                *reply.line);
    return response;
  } catch (const Error&) {
    process_.reset();  // out of step: the next operation gets a fresh helper
    throw;
  }
}

}  // namespace homeboy
