#include "homeboy/transport/plugin_host.hpp"

#include "homeboy/contract/contract.hpp"
#include "homeboy/transport/fd.hpp"
#include "homeboy/transport/native_transport.hpp"
#include "homeboy/text.hpp"

#include <boost/json.hpp>

#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <iostream>

namespace json = boost::json;

namespace homeboy::plugin_host {

namespace {

// Lines from a descriptor; each line stays valid until the next call.
class LineReader {
 public:
  explicit LineReader(int fd) : fd_(fd) {}

  bool next(std::string_view& line) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
    std::size_t scanned = 0;
    for (;;) {
      if (auto newline = buffer_.find('\n', scanned); newline != std::string::npos) {
        line = std::string_view(buffer_.data(), newline);
        consumed_ = newline + 1;
        return true;
      }
      scanned = buffer_.size();
      ssize_t n = ::read(fd_, chunk_.data(), chunk_.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      buffer_.append(chunk_.data(), static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_;
  std::array<char, 64 * 1024> chunk_;  // not the string's own tail: growing it would zero 64 KiB a read
  std::string buffer_;
  std::size_t consumed_ = 0;
};

bool write_line(int fd, std::string text) {
  text.push_back('\n');
  return write_all(fd, text);  // false: homeboy is gone
}

// The helper's own message `{"<key>": body, "id": id}`, with its key first.
std::string message(std::string_view key, json::object body, const json::value& id) {
  json::object out;
  out[key] = std::move(body);
  out["id"] = id;
  return json::serialize(out);
}

std::string host_error(const Error& e, const json::value& id) {
  json::array hints;
  for (const auto& h : e.hints()) hints.emplace_back(text::printable_utf8(h));
  return message("host_error",
                 {{"code", e.code()},
                  {"message", text::printable_utf8(e.what())},
                  {"details", e.details()},
                  {"hints", std::move(hints)}},
                 id);
}

// A request's event: parse_event for one operation, and the batch around them.
contract::Event wire_event(const json::object& request) {
  const auto* operation = request.if_contains("operation");
  if (!operation || !operation->is_string() || operation->get_string() != "batch")
    return contract::parse_event(request, "request");
  const auto* operations = request.if_contains("operations");
  if (!operations || !operations->is_array())
    throw errors::invalid_argument("request: a batch needs an \"operations\" array");
  std::vector<contract::Event> events;
  events.reserve(operations->get_array().size());
  for (const auto& op : operations->get_array())
    events.push_back(contract::parse_event(op, "request operation #" + std::to_string(events.size() + 1)));
  return contract::Event::batch(std::move(events));
}

// JSON text carries UTF-8 only. An error message is for people: its stray bytes are shown
// as \xNN, as the host shows them in any case.
void printable_errors(contract::Response& r) {
  if (r.error && !text::is_utf8(*r.error)) r.error = text::printable_utf8(*r.error);
  if (r.results)
    for (auto& sub : *r.results) printable_errors(sub);
}

std::string answer(Transport& transport, std::string_view line) {
  json::value id = nullptr;
  try {
    json::value request = json::parse(line);
    const auto& object = request.as_object();
    if (const auto* given = object.if_contains("id")) id = *given;
    contract::Response response = transport.send(wire_event(object));
    printable_errors(response);
    json::object out = contract::to_json(response);
    out["id"] = id;
    return json::serialize(out);
  } catch (const Error& e) {
    return host_error(e, id);
  } catch (const std::exception& e) {
    return host_error(errors::internal(std::string("the isolation helper could not serve a request: ") + e.what()), id);
  }
}

std::string text_field(const json::object& hello, std::string_view key) {
  return std::string(hello.at(key).as_string());
}

// The module as homeboy read it, from the hello: the helper reads no manifest of its own.
std::unique_ptr<Transport> open_from_hello(const json::object& hello) {
  if (hello.at("protocol").to_number<int>() != protocol)
    throw NativeLoadError("isolation_unavailable",
                          "homeboy speaks isolation protocol " + json::serialize(hello.at("protocol")) +
                              " and this homeboy-plugin-host speaks " + std::to_string(protocol) +
                              "; they come from different installs");
  Module module;
  module.id = text_field(hello, "module_id");
  module.dir = text_field(hello, "module_dir");
  module.manifest.name = module.id;
  module.manifest.runtime.library = text_field(hello, "library");
  module.manifest.storage_provider = StorageProvider{text_field(hello, "storage_type"), hello.at("config").as_object(), {}, {}};
  return open_native(module, text_field(hello, "config_dir"));
}

int serve(int in, int out) {
  LineReader reader(in);
  std::string_view line;
  if (!reader.next(line)) return 0;
  std::unique_ptr<Transport> transport;
  json::value id = nullptr;
  try {
    json::value request = json::parse(line);
    id = request.as_object().at("id");
    transport = open_from_hello(request.as_object().at("hello").as_object());
  } catch (const NativeLoadError& e) {
    write_line(out, message("load_error", {{"kind", e.kind()}, {"message", text::printable_utf8(e.what())}}, id));
    return 3;
  } catch (const std::exception& e) {
    write_line(out, message("load_error",
                            {{"kind", "isolation_unavailable"},
                             {"message", "the isolation helper could not read homeboy's hello: " +
                                             text::printable_utf8(e.what())}},
                            id));
    return 3;
  }
  auto capabilities = transport->capabilities();
  json::object hello{{"protocol", protocol},
                     {"supports_batch", transport->supports_batch()},
                     {"capabilities", {{"versions", capabilities.versions},
                                       {"binary", capabilities.binary},
                                       {"atomic_batch", capabilities.atomic_batch},
                                       {"transactions", capabilities.transactions}}}};
  if (!write_line(out, message("hello", std::move(hello), id))) return 0;
  while (reader.next(line))
    if (!write_line(out, answer(*transport, line))) break;
  transport.reset();  // the plugin's destroy, as at the end of an in-process run
  return 0;
}

}  // namespace

int run(int argc, char** argv) {
  if (argc != 2 || std::string_view(argv[1]) != "--storage-serve") {
    std::cerr << "homeboy-plugin-host runs a homeboy native storage plugin in a process of its own.\n"
                 "homeboy starts it (with --storage-serve) when a plugin runs isolated; see "
                 "docs/plugin-authoring.md.\n";
    return 2;
  }
  ::signal(SIGPIPE, SIG_IGN);
  // A crash is reported by homeboy, with the signal and the operation; no core file lands
  // in the module folder (the working directory).
  rlimit core{};
  if (::getrlimit(RLIMIT_CORE, &core) == 0) {
    core.rlim_cur = 0;
    ::setrlimit(RLIMIT_CORE, &core);
  }
  // The protocol gets descriptors of its own; what the plugin prints goes to stderr and
  // what it reads is empty, so neither can break the framing.
  int in = ::fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
  int out = ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
  int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (in < 0 || out < 0 || null < 0 || ::dup2(null, STDIN_FILENO) < 0 || ::dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
    std::cerr << "homeboy-plugin-host: cannot set up its descriptors: " << std::strerror(errno) << '\n';
    return 3;
  }
  ::close(null);
  // A helper serves many requests: up to 64 MiB freed after an answer is kept for the next
  // one rather than mapped afresh and faulted in page by page (a 1 MiB read costs 45% less
  // CPU). Buffers above 32 MiB are still mapped, and returned, one by one.
  ::mallopt(M_MMAP_THRESHOLD, 32 << 20);
  ::mallopt(M_TRIM_THRESHOLD, 64 << 20);
  return serve(in, out);
}

}  // namespace homeboy::plugin_host
