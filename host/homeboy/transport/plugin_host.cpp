#include "homeboy/transport/plugin_host.hpp"

#include "homeboy/contract/contract.hpp"
#include "homeboy/platform.hpp"
#include "homeboy/contract/limits.hpp"
#include "homeboy/transport/fd.hpp"
#include "homeboy/transport/io.hpp"
#include "homeboy/transport/native_transport.hpp"
#include "homeboy/text.hpp"

#include <boost/json.hpp>

#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <list>
#include <optional>

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

  // The `size` raw bytes that follow the last line, into `out`. The line from next() is
  // no longer valid after this. False when the input ends first.
  bool take(std::size_t size, std::string& out) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
    std::size_t have = std::min(size, buffer_.size());
    out.resize(size);
    buffer_.copy(out.data(), have);
    buffer_.erase(0, have);
    while (have < size) {
      ssize_t n = ::read(fd_, out.data() + have, size - have);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      have += static_cast<std::size_t>(n);
    }
    return true;
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

// An answer: its line, and with raw framing, the read's content that follows it.
struct Answer {
  std::string line;
  std::string payload;
};

// The answer to the request `line`. With `raw` (the --storage-serve wire), a write's content
// is `content` (the bytes after the line, which announced their size), and a read's content
// goes after the answer line as it is: {"data_length":N,"success":true,"data":"",...} then N
// bytes. Without it (the daemon's socket), everything is in the line.
Answer answer(Transport& transport, std::string_view line, bool raw = false, std::string content = {}) {
  json::value id = nullptr;
  try {
    json::value request = json::parse(line);
    const auto& object = request.as_object();
    if (const auto* given = object.if_contains("id")) id = *given;
    contract::Event event = wire_event(object);
    bool read = event.operation == contract::Operation::read;
    if (raw && event.operation == contract::Operation::write) event.content = std::move(content);
    contract::Response response = transport.send(event);
    printable_errors(response);
    Answer out;
    if (raw && read && response.success && response.data) {
      out.payload = std::move(*response.data);
      response.data.emplace();
    }
    json::object body = contract::to_json(response);
    body["id"] = id;
    out.line = json::serialize(body);
    if (!out.payload.empty()) out.line = contract::raw::announcing(contract::raw::data_length_prefix, out.payload.size(), out.line);
    return out;
  } catch (const Error& e) {
    return {host_error(e, id), {}};
  } catch (const std::exception& e) {
    return {host_error(errors::internal(std::string("the isolation helper could not serve a request: ") + e.what()), id),
            {}};
  }
}

std::string text_field(const json::object& hello, std::string_view key) {
  return std::string(hello.at(key).as_string());
}

json::object capabilities_json(const Transport& transport) {
  auto c = transport.capabilities();
  return {{"versions", c.versions}, {"binary", c.binary}, {"atomic_batch", c.atomic_batch}, {"transactions", c.transactions}};
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
  module.manifest.storage_provider.emplace();
  module.manifest.storage_provider->storage_type = text_field(hello, "storage_type");
  module.manifest.storage_provider->config = hello.at("config").as_object();
  return open_native(module, text_field(hello, "config_dir"));
}

// Sends `reply`: its line, then its raw content, in one write when the content is small (the
// host then wakes once for the answer). False when the command is gone.
bool send_answer(int fd, Answer reply) {
  constexpr std::size_t joined_up_to = 64 * 1024;
  if (reply.payload.size() > joined_up_to) return write_line(fd, std::move(reply.line)) && write_all(fd, reply.payload);
  reply.line.reserve(reply.line.size() + 1 + reply.payload.size());
  reply.line.push_back('\n');
  reply.line.append(reply.payload);
  return write_all(fd, reply.line);
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
  json::object hello{{"protocol", protocol},
                     {"supports_batch", transport->supports_batch()},
                     {"capabilities", capabilities_json(*transport)}};
  if (!write_line(out, message("hello", std::move(hello), id))) return 0;
  while (reader.next(line)) {
    Answer reply;
    if (auto size = contract::raw::announced(line, contract::raw::content_length_prefix)) {
      if (*size > limits::content_bytes) break;  // not from this homeboy, which checks the limit first
      std::string request(line), content;
      if (!reader.take(*size, content)) break;
      reply = answer(*transport, request, true, std::move(content));
    } else {
      reply = answer(*transport, line, true);
    }
    if (!send_answer(out, std::move(reply))) break;
  }
  transport.reset();  // the plugin's destroy, as at the end of an in-process run
  return 0;
}

// --- as a daemon ------------------------------------------------------------------------

constexpr int listening_fd = 3;  // LISTEN_FDS=1: the socket homeboy-reaper listens on
// How long one answer may wait for a connection that does not read it (a stopped command),
// before that connection is dropped: the others must not wait for it forever.
constexpr int send_timeout_secs = 60;

int stop_pipe[2] = {-1, -1};

extern "C" void on_stop(int) {
  int saved = errno;
  [[maybe_unused]] ssize_t n = ::write(stop_pipe[1], "x", 1);
  errno = saved;
}

std::string environment(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// The config homeboy handed over in a private file (never on the command line).
json::object config_from_file(const std::string& file) {
  Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw NativeLoadError("isolation_unavailable", "the daemon cannot read its provider config " + file + ": " +
                                                              std::strerror(errno));
  std::string text;
  std::array<char, 65536> chunk;
  for (;;) {
    ssize_t n = ::read(fd.get(), chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(chunk.data(), static_cast<std::size_t>(n));
  }
  boost::system::error_code ec;
  json::value config = json::parse(text, ec);
  if (ec || !config.is_object())
    throw NativeLoadError("isolation_unavailable", "the daemon's provider config " + file + " is not a JSON object");
  return std::move(config.as_object());
}

// The module as homeboy described it in the daemon's environment.
std::unique_ptr<Transport> open_from_environment(const std::string& library) {
  Module module;
  module.id = environment("HOMEBOY_MODULE_ID");
  module.dir = environment("HOMEBOY_MODULE_DIR");
  module.manifest.name = module.id;
  module.manifest.runtime.library = library;
  module.manifest.storage_provider.emplace();
  module.manifest.storage_provider->config = config_from_file(environment("HOMEBOY_STORAGE_CONFIG_FILE"));
  return open_native(module, environment("HOMEBOY_CONFIG_DIR"));
}

struct Client {
  Fd fd;
  std::string buffer;
  std::string request;                 // a write's line whose raw content is still arriving
  std::optional<std::size_t> content;  // its size
};

// Reads what `client` sent; answers each whole request (a line, and for a write with raw
// content, its bytes). False when the connection is over.
bool serve_client(Transport& transport, Client& client) {
  std::array<char, 65536> chunk;
  for (;;) {
    ssize_t n = ::recv(client.fd.get(), chunk.data(), chunk.size(), MSG_DONTWAIT);
    if (n > 0) {
      client.buffer.append(chunk.data(), static_cast<std::size_t>(n));
      if (static_cast<std::size_t>(n) == chunk.size()) continue;
      break;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    return false;  // end of file: the command is done
  }
  for (;;) {
    if (client.content) {
      std::size_t size = *client.content;
      if (client.buffer.size() < size) return true;  // the rest of the content is on its way
      std::string content;
      if (client.buffer.size() == size) {
        content = std::move(client.buffer);
        client.buffer.clear();
      } else {
        content = client.buffer.substr(0, size);
        client.buffer.erase(0, size);
      }
      client.content.reset();
      if (!send_answer(client.fd.get(), answer(transport, client.request, true, std::move(content)))) return false;
      continue;
    }
    auto newline = client.buffer.find('\n');
    if (newline == std::string::npos) return true;
    std::string_view line(client.buffer.data(), newline);
    if (auto size = contract::raw::announced(line, contract::raw::content_length_prefix)) {
      if (*size > limits::content_bytes) return false;  // not from a homeboy, which checks the limit first
      client.request.assign(line);
      client.buffer.erase(0, newline + 1);
      client.content = size;
      client.buffer.reserve(*size);
      continue;
    }
    Answer reply = answer(transport, line, true);
    client.buffer.erase(0, newline + 1);
    if (!send_answer(client.fd.get(), std::move(reply))) return false;
  }
}

int serve_daemon(const std::string& library) {
  if (::pipe2(stop_pipe, O_CLOEXEC) != 0) return 3;
  struct sigaction stop {};
  stop.sa_handler = on_stop;
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) ::sigaction(sig, &stop, nullptr);

  std::unique_ptr<Transport> transport;
  std::string hello;
  try {
    transport = open_from_environment(library);
    json::object ready{{"ready", true},
                       {"protocol", protocol},
                       {"raw_content", true},
                       {"supports_batch", transport->supports_batch()},
                       {"capabilities", capabilities_json(*transport)}};
    hello = json::serialize(ready);
  } catch (const NativeLoadError& e) {
    hello = json::serialize(json::object{
        {"ready", false}, {"load_error", {{"kind", e.kind()}, {"message", text::printable_utf8(e.what())}}}});
  }

  std::list<Client> clients;
  std::vector<io::Interest> waits;
  for (;;) {
    waits.assign({{listening_fd, io::Want::read}, {stop_pipe[0], io::Want::read}});
    for (const auto& c : clients) waits.push_back({c.fd.get(), io::Want::read});
    if (!io::wait(waits, io::Clock::time_point::max(), io::Interruptible::no)) continue;
    if (waits[1].ready) break;
    auto it = clients.begin();
    for (std::size_t i = 2; i < waits.size(); ++i, ++it)
      if (waits[i].ready && !serve_client(*transport, *it)) it->fd.reset();
    clients.remove_if([](const Client& c) { return !c.fd; });
    if (!waits[0].ready) continue;
    Fd accepted(::accept4(listening_fd, nullptr, nullptr, SOCK_CLOEXEC));
    if (!accepted) continue;
    // Only the daemon's own user: the socket's folder is private, and this keeps it so
    // where it is not.
    auto peer = platform::socket_peer(accepted.get());
    if (!peer || peer->uid != ::geteuid()) continue;
    timeval patience{send_timeout_secs, 0};
    ::setsockopt(accepted.get(), SOL_SOCKET, SO_SNDTIMEO, &patience, sizeof patience);
    bool greeted = write_line(accepted.get(), hello);
    if (!transport) {
      if (greeted) break;  // it knows why: this daemon is done, the next command tries afresh
      continue;
    }
    if (greeted) clients.push_back(Client{std::move(accepted), {}, {}, {}});
  }
  clients.clear();
  transport.reset();  // the plugin's destroy: a database connection is closed properly
  return 0;
}

void say(std::string_view text) { write_all(STDERR_FILENO, text); }

// Once the plugin is destroyed nothing is left to do: no destructor of the helper's own runs at
// exit (nothing is buffered), and homeboy, which waits for the helper to end, is not kept
// waiting. A sanitizer build ends normally, so that LeakSanitizer looks at the helper too.
[[noreturn]] void end(int code) {
#if defined(__SANITIZE_ADDRESS__)
  std::exit(code);
#else
  ::_exit(code);
#endif
}

}  // namespace

namespace {

// What either kind of helper sets up before it loads the plugin.
void prepare() {
  ::signal(SIGPIPE, SIG_IGN);
  // A crash is reported by homeboy, with the signal and the operation; no core file lands
  // in the module folder (the working directory).
  rlimit core{};
  if (::getrlimit(RLIMIT_CORE, &core) == 0) {
    core.rlim_cur = 0;
    ::setrlimit(RLIMIT_CORE, &core);
  }
  // A helper serves many requests: up to 64 MiB freed after an answer is kept for the next
  // one rather than mapped afresh and faulted in page by page (a 1 MiB read costs 45% less
  // CPU). Buffers above 32 MiB are still mapped, and returned, one by one.
  ::mallopt(M_MMAP_THRESHOLD, 32 << 20);
  ::mallopt(M_TRIM_THRESHOLD, 64 << 20);
}

}  // namespace

int serve_isolated() {
  prepare();
  // The protocol gets descriptors of its own; what the plugin prints goes to stderr and
  // what it reads is empty, so neither can break the framing.
  int in = ::fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
  int out = ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
  int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (in < 0 || out < 0 || null < 0 || ::dup2(null, STDIN_FILENO) < 0 || ::dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
    say(std::string("homeboy: the isolation helper cannot set up its descriptors: ") + std::strerror(errno) + "\n");
    return 3;
  }
  ::close(null);
  return serve(in, out);
}

int run(int argc, char** argv) {
  bool serving = argc == 2 && std::string_view(argv[1]) == "--storage-serve";
  bool daemon = argc == 4 && std::string_view(argv[1]) == "--storage-daemon" && std::string_view(argv[2]) == "--library";
  if (!serving && !daemon) {
    say("homeboy-plugin-host runs a homeboy native storage plugin in a process of its own.\n"
        "homeboy starts it as a daemon (with --storage-daemon) for a library module with\n"
        "runtime.daemon, and (with --storage-serve) as the isolation helper when\n"
        "HOMEBOY_PLUGIN_HOST names it; see docs/plugin-authoring.md.\n");
    return 2;
  }
  if (serving) end(serve_isolated());
  prepare();
  // A daemon's stdin is /dev/null and its stdout its log already; the framing is on sockets.
  end(serve_daemon(argv[3]));
}

}  // namespace homeboy::plugin_host
