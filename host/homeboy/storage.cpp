#include "homeboy/storage.hpp"

#include "homeboy/contract/limits.hpp"

#include <algorithm>
#include <chrono>

namespace homeboy {

using contract::ErrorCode;
using contract::Event;
using contract::Operation;
using contract::Response;

namespace {

Error invalid_path(std::string_view path, const std::string& why) {
  return Error(Errc::storage_invalid_path, "invalid storage path '" + excerpt(path, 120) + "': " + why,
               {{"path", excerpt(path, limits::path_bytes)}});
}

Error too_large(const std::string& what) {
  return Error(Errc::storage_too_large, what, {{"limit_bytes", limits::content_bytes}},
               {"homeboy stores files of up to " + std::to_string(limits::content_bytes >> 20) +
                " MiB; split larger content into several files."});
}

// How many operations the next chunk of a batch holds.
class ChunkSizer {
 public:
  // `whole`: an all-or-nothing provider gets the batch in one piece, or atomicity is lost.
  ChunkSizer(std::optional<std::chrono::milliseconds> timeout, bool whole) : timeout_(timeout), whole_(whole) {}

  std::size_t next(const std::vector<Event>& ops, std::size_t from) const {
    if (whole_) return ops.size() - from;
    std::size_t count = 0, bytes = 0;
    while (from + count < ops.size() && count < size_ && (count == 0 || bytes < max_chunk_bytes)) {
      bytes += ops[from + count].content.size() + ops[from + count].path.size();
      ++count;
    }
    return count;
  }

  // A provider held to a timeout gets chunks that take about a quarter of it.
  void took(std::size_t count, std::chrono::steady_clock::duration elapsed) {
    if (!timeout_) return;
    double seconds = std::max(std::chrono::duration<double>(elapsed).count(), 1e-4);
    double target = std::chrono::duration<double>(*timeout_).count() / 4;
    double wanted = static_cast<double>(count) / seconds * target;
    size_ = static_cast<std::size_t>(std::clamp(wanted, 1.0, static_cast<double>(max_chunk_operations)));
  }

 private:
  static constexpr std::size_t max_chunk_operations = 4096;
  static constexpr std::size_t max_chunk_bytes = std::size_t{32} << 20;
  std::optional<std::chrono::milliseconds> timeout_;
  bool whole_;
  std::size_t size_ = timeout_ ? 64 : max_chunk_operations;
};

// What the operations of a chunk that broke off get: nobody knows which of them landed.
Response unknown_outcome(const Error& e, std::size_t first, std::size_t last) {
  bool timed_out = e.errc() == Errc::storage_timeout;
  return Response::failure(timed_out ? ErrorCode::timeout : ErrorCode::io_error,
                           std::string(timed_out ? "the provider timed out" : "the provider failed") +
                               " during operations " + std::to_string(first) + " to " + std::to_string(last) +
                               " of the batch; this one may or may not have been applied: " + e.what());
}

Response not_run() {
  return Response::failure(ErrorCode::not_run, "not run: the provider failed on an earlier part of the batch");
}

}  // namespace

std::string checked_path(std::string_view path) {
  if (path.empty()) throw invalid_path(path, "the path is empty");
  if (path.find('\0') != std::string_view::npos) throw invalid_path(path, "the path contains a NUL byte");
  if (path.front() != '/') throw invalid_path(path, "the path must be absolute");
  if (path.size() > limits::path_bytes)
    throw invalid_path(path, "the path is " + std::to_string(path.size()) + " bytes long; the limit is " +
                                 std::to_string(limits::path_bytes));
  std::string out;
  out.reserve(path.size());
  std::size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    std::size_t end = path.find('/', i);
    if (end == std::string_view::npos) end = path.size();
    std::string_view name = path.substr(i, end - i);
    if (name.empty()) break;
    if (name == "." || name == "..")
      throw invalid_path(path, "the path must not contain '.' or '..' (give the folder it means)");
    if (name == reserved_temp_name)
      throw invalid_path(path, "'" + std::string(reserved_temp_name) +
                                   "' is reserved: the filesystem providers keep their temp files under that name");
    if (name.size() > limits::path_component_bytes)
      throw invalid_path(path, "the name '" + excerpt(name, 40) + "' is " + std::to_string(name.size()) +
                                   " bytes long; the limit is " + std::to_string(limits::path_component_bytes));
    out += '/';
    out += name;
    i = end;
  }
  if (out.empty()) out = "/";
  return out;
}

void Storage::check_event(Event& event) const {
  event.path = checked_path(event.path);
  if (event.operation == Operation::remove && event.path == "/")
    throw Error(Errc::storage_invalid_path, "refusing to delete the root folder '/'", {{"path", event.path}});
  if (event.operation == Operation::write && event.content.size() > limits::content_bytes)
    throw too_large("the content for " + excerpt(event.path, 200) + " is " + std::to_string(event.content.size()) +
                    " bytes; the limit is " + std::to_string(limits::content_bytes >> 20) + " MiB");
  if (event.operation == Operation::check) {
    // Refused before anything is sent, like a condition to a provider without versions: a
    // provider that does not know `check` might take it for something else.
    if (!transport_->capabilities().transactions)
      throw Error(Errc::storage_unsupported,
                  "storage provider '" + provider_.module_id + "' does not support 'check' of " +
                      excerpt(event.path, 200) + " (it does not declare the \"transactions\" capability)",
                  {{"module", provider_.module_id}, {"path", excerpt(event.path, limits::path_bytes)}},
                  {"Use a provider with the \"transactions\" capability (sqlite-storage, postgres); "
                   "`homeboy storage status` lists the active provider's capabilities."});
    if (!event.condition)
      throw Error(Errc::storage_invalid_argument,
                  "a check of " + excerpt(event.path, 200) + " needs a condition: if_version or if_absent",
                  {{"path", excerpt(event.path, limits::path_bytes)}});
  }
  if (event.condition) {
    const bool checks = event.operation == Operation::check;
    if (event.operation != Operation::write && event.operation != Operation::remove && !checks)
      throw errors::invalid_argument("a condition applies to write, delete and check only");
    if (event.condition.kind == contract::Condition::Kind::if_absent && event.operation != Operation::write && !checks)
      throw errors::invalid_argument("if_absent applies to write and check only");
    if (!transport_->capabilities().versions)
      throw Error(Errc::storage_unsupported,
                  "storage provider '" + provider_.module_id +
                      "' does not support conditional writes and deletes (it reports no versions)",
                  {{"module", provider_.module_id}},
                  {"Drop --if-version/--if-absent, or use a provider with the \"versions\" capability "
                   "(builtin-filesystem, filesystem-php, sqlite-storage)."});
  }
}

namespace {

Errc errc_for(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::not_found: return Errc::storage_not_found;
    case ErrorCode::permission_denied: return Errc::storage_permission_denied;
    case ErrorCode::invalid_argument: return Errc::storage_invalid_argument;
    case ErrorCode::unsupported: return Errc::storage_unsupported;
    case ErrorCode::conflict: return Errc::storage_conflict;
    case ErrorCode::io_error: return Errc::storage_io_error;
    case ErrorCode::unavailable: return Errc::storage_unavailable;
    case ErrorCode::too_large: return Errc::storage_too_large;
    case ErrorCode::aborted: return Errc::storage_aborted;
    case ErrorCode::timeout: return Errc::storage_timeout;
    case ErrorCode::not_run: return Errc::storage_not_run;
  }
  return Errc::storage_io_error;
}

// The parent folder of a normalized absolute path ("/" for a top-level name).
std::string parent_of(std::string_view path) {
  auto slash = path.find_last_of('/');
  return slash == 0 || slash == std::string_view::npos ? "/" : std::string(path.substr(0, slash));
}

}  // namespace

Error failure_error(const Response& response, const Event& event, std::string_view module_id) {
  ErrorCode code = response.effective_error_code();
  std::string op(contract::to_string(event.operation));
  std::string path = excerpt(event.path, 300);
  std::string message = op + " " + path + " failed: " + excerpt(response.error.value_or("(no message)"), 2000);
  boost::json::object details{{"module", module_id},
                              {"operation", op},
                              {"path", excerpt(event.path, limits::path_bytes)},
                              {"error_code", contract::to_string(code)}};
  Error error(errc_for(code), std::move(message), std::move(details));
  // The fixes the usual mistakes need, in the words of the command line.
  if (code == ErrorCode::not_found && event.operation == Operation::write)
    error.with_hint("Create the folder first: homeboy storage ensure-dir " + excerpt(parent_of(event.path), 300));
  if (code == ErrorCode::invalid_argument && event.operation == Operation::remove && !event.is_directory)
    error.with_hint("To delete a folder and everything in it: homeboy storage delete " + path + " --recursive");
  if (code == ErrorCode::invalid_argument && event.operation == Operation::read)
    error.with_hint("To see what a folder holds: homeboy storage list " + path);
  if (code == ErrorCode::conflict && event.condition)
    error.with_hint("Someone changed " + path + " since you read it: read it again and reapply your change.");
  return error;
}

std::string_view to_string(TransportKind kind) noexcept {
  switch (kind) {
    case TransportKind::native: return "native";
    case TransportKind::isolated: return "isolated";
    case TransportKind::subprocess: return "subprocess";
    case TransportKind::persistent: return "persistent";
    case TransportKind::daemon: return "daemon";
  }
  return "native";
}

std::string_view to_string(SelectedBy how) noexcept {
  switch (how) {
    case SelectedBy::config: return "config";
    case SelectedBy::only_provider: return "only_provider";
    case SelectedBy::default_provider: return "default";
    case SelectedBy::named: return "named";
  }
  return "named";
}

Storage::Storage(ProviderInfo provider, std::unique_ptr<Transport> transport)
    : provider_(std::move(provider)), transport_(std::move(transport)) {}

namespace {

// Entries sorted by path in byte order, as the host lists them (providers may list in any
// order). Done before validation, whose check for repeated entries then needs no sort of
// its own: a listing of 100,000 is sorted once, not twice.
void sort_entries(Response& r) {
  if (r.entries)
    std::sort(r.entries->begin(), r.entries->end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  if (r.results)
    for (auto& sub : *r.results) sort_entries(sub);
}

// Content is held to the limit, whoever gave it.
void hold_to_limit(Response& r) {
  if (r.data && r.data->size() > limits::content_bytes)
    r = Response::failure(ErrorCode::too_large,
                          "the content is larger than the " + std::to_string(limits::content_bytes >> 20) + " MiB limit");
}

}  // namespace

Response Storage::send_checked(const Event& event) {
  auto start = std::chrono::steady_clock::now();
  Response response = transport_->send(event);
  if (trace_) trace_(event, std::chrono::steady_clock::now() - start);
  sort_entries(response);
  contract::validate_response(response, event, {provider_.module_id});
  hold_to_limit(response);
  if (response.results)
    for (auto& r : *response.results) hold_to_limit(r);
  return response;
}

Response Storage::execute(Event event) {
  if (event.operation == Operation::batch)
    throw errors::internal("Storage::execute takes one operation; use Storage::batch");
  check_event(event);
  Response response = send_checked(event);
  if (!response.success) throw failure_error(response, event, provider_.module_id);
  return response;
}

std::string Storage::read(const std::string& path) { return std::move(*execute(Event::read(path)).data); }

Versioned Storage::read_versioned(const std::string& path) {
  Response r = execute(Event::read(path));
  return {std::move(*r.data), std::move(r.version)};
}

std::optional<std::string> Storage::write(const std::string& path, std::string content, contract::Condition condition) {
  return execute(Event::write(path, std::move(content), std::move(condition))).version;
}

std::vector<contract::Entry> Storage::list(const std::string& path) {
  return std::move(*execute(Event::list(path)).entries);
}

void Storage::remove(const std::string& path, bool is_directory, contract::Condition condition) {
  execute(Event::remove(path, is_directory, std::move(condition)));
}

void Storage::ensure_dir(const std::string& path) { execute(Event::ensure_dir(path)); }

void Storage::check(const std::string& path, contract::Condition condition) {
  execute(Event::check(path, std::move(condition)));
}

std::vector<Response> Storage::batch(std::vector<Event> operations, const BatchProgress& progress) {
  std::vector<Response> results;
  results.reserve(operations.size());
  batch(std::move(operations), [&](const Event&, Response&& r) { results.push_back(std::move(r)); }, progress);
  return results;
}

void Storage::batch(std::vector<Event> operations, const BatchResultSink& sink, const BatchProgress& progress) {
  if (operations.size() > limits::batch_operations)
    throw Error(Errc::storage_too_large,
                "a batch holds " + std::to_string(operations.size()) + " operations; the limit is " +
                    std::to_string(limits::batch_operations),
                {{"operations", operations.size()}, {"limit", limits::batch_operations}},
                {"Split the work into several batches."});
  for (auto& op : operations) {
    if (op.operation == Operation::batch) throw errors::invalid_argument("a batch cannot contain another batch");
    check_event(op);
  }
  const std::size_t total = operations.size();
  std::size_t done = 0;  // operations answered, and no longer in `operations`
  std::size_t at = 0;    // in `operations`, the first not sent yet
  // When the provider breaks off (times out, crashes, goes away), every operation still gets
  // a result: those sent in the broken exchange (`sent`, `count` of them) may or may not have
  // landed, the ones after it were not run. Errors in what was asked (exit 2) are the
  // caller's and still throw.
  auto broke_off = [&](const Error& e, const Event* sent, std::size_t count) {
    if (e.exit_code() == ExitCode::invalid) throw e;
    const std::size_t first = done + at;  // operations answered before the broken exchange
    if (e.errc() == Errc::storage_contract_violation) {
      // A provider that answers garbage is broken: that stays an error, which says how far
      // the batch had come.
      auto details = e.details();
      details["operations_done"] = first;
      details["operations_unknown"] = count;
      details["operations_not_run"] = total - first - count;
      std::string done_text = first ? "operations 1 to " + std::to_string(first) + " of the batch had completed; "
                                    : std::string("no operation of the batch had completed; ");
      throw Error(e.errc(),
                  std::string(e.what()) + " (" + done_text + std::to_string(first + 1) + " to " +
                      std::to_string(first + count) + " may or may not have been applied; the rest did not run)",
                  std::move(details), e.hints());
    }
    for (std::size_t i = 0; i < count; ++i) sink(sent[i], unknown_outcome(e, first + 1, first + count));
    for (std::size_t i = at + count; i < operations.size(); ++i) sink(operations[i], not_run());
  };
  if (!transport_->supports_batch()) {
    for (; at < total; ++at) {
      Response response;
      try {
        response = send_checked(operations[at]);
      } catch (const Error& e) {
        return broke_off(e, &operations[at], 1);
      }
      sink(operations[at], std::move(response));
      operations[at] = {};  // done with: what it held (a write's content) goes now
      if (progress) progress(at + 1, total);
    }
    return;
  }
  ChunkSizer sizer(transport_->timeout(), transport_->capabilities().atomic_batch);
  while (at < operations.size()) {
    std::size_t count = sizer.next(operations, at);
    Event chunk = Event::batch({std::make_move_iterator(operations.begin() + static_cast<std::ptrdiff_t>(at)),
                                std::make_move_iterator(operations.begin() + static_cast<std::ptrdiff_t>(at + count))});
    auto started = std::chrono::steady_clock::now();
    Response response;
    try {
      response = send_checked(chunk);
    } catch (const Error& e) {
      return broke_off(e, chunk.operations.data(), count);
    }
    sizer.took(count, std::chrono::steady_clock::now() - started);
    for (std::size_t i = 0; i < count; ++i) {
      // The provider refused the chunk as a whole: every operation in it failed for that reason.
      sink(chunk.operations[i], response.success ? std::move((*response.results)[i])
                                                 : Response::failure(response.effective_error_code(), *response.error));
    }
    at += count;
    if (progress) progress(done + at, total);
    // Once half of them are answered, the answered ones go: the events of a long batch
    // shrink as its results (kept by the sink) grow, and the two never peak together.
    if (at >= 4096 && at * 2 >= operations.size()) {
      operations.erase(operations.begin(), operations.begin() + static_cast<std::ptrdiff_t>(at));
      operations.shrink_to_fit();
      done += at;
      at = 0;
    }
  }
}

std::vector<Response> Storage::read_many(const std::vector<std::string>& paths) {
  std::vector<Event> events;
  events.reserve(paths.size());
  for (const auto& p : paths) events.push_back(Event::read(p));
  return batch(std::move(events));
}

std::vector<Response> Storage::write_many(std::vector<std::pair<std::string, std::string>> files) {
  std::vector<Event> events;
  events.reserve(files.size());
  for (auto& [path, content] : files) events.push_back(Event::write(std::move(path), std::move(content)));
  return batch(std::move(events));
}

std::vector<Response> Storage::delete_many(const std::vector<std::string>& paths) {
  std::vector<Event> events;
  events.reserve(paths.size());
  for (const auto& p : paths) events.push_back(Event::remove(p));
  return batch(std::move(events));
}

}  // namespace homeboy
