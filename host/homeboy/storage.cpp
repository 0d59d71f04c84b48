#include "homeboy/storage.hpp"

namespace homeboy {

using contract::ErrorCode;
using contract::Event;
using contract::Operation;
using contract::Response;

void check_path(const std::string& path) {
  auto bad = [&](const std::string& why) {
    return Error("storage.invalid_path", "invalid storage path '" + excerpt(path, 120) + "': " + why,
                 ExitCode::invalid, {{"path", path}});
  };
  if (path.empty()) throw bad("the path is empty");
  if (path.find('\0') != std::string::npos) throw bad("the path contains a NUL byte");
  if (path.front() != '/') throw bad("the path must be absolute");
}

namespace {

// What the host checks before any provider sees an event.
void check_event(const Event& event) {
  check_path(event.path);
  if (event.operation == Operation::remove && event.path.find_first_not_of('/') == std::string::npos)
    throw Error("storage.invalid_path", "refusing to delete the root folder '/'", ExitCode::invalid,
                {{"path", event.path}});
}

}  // namespace

Error failure_error(const Response& response, const Event& event, std::string_view module_id) {
  ErrorCode code = response.effective_error_code();
  std::string op(contract::to_string(event.operation));
  std::string message = op + " " + event.path + " failed: " + response.error.value_or("(no message)");
  boost::json::object details{{"module", module_id},
                              {"operation", op},
                              {"path", event.path},
                              {"error_code", contract::to_string(code)}};
  switch (code) {
    case ErrorCode::not_found:
      return Error("storage.not_found", std::move(message), ExitCode::not_found, std::move(details));
    case ErrorCode::invalid_argument:
      return Error("storage.invalid_argument", std::move(message), ExitCode::invalid, std::move(details));
    default:
      return Error("storage." + std::string(contract::to_string(code)), std::move(message), ExitCode::failure,
                   std::move(details));
  }
}

Storage::Storage(ProviderInfo provider, std::unique_ptr<Transport> transport)
    : provider_(std::move(provider)), transport_(std::move(transport)) {}

Response Storage::send_checked(const Event& event) {
  Response response = transport_->send(event);
  contract::validate_response(response, event, {provider_.module_id});
  return response;
}

Response Storage::execute(const Event& event) {
  if (event.operation == Operation::batch)
    throw errors::internal("Storage::execute takes one operation; use Storage::batch");
  check_event(event);
  Response response = send_checked(event);
  if (!response.success) throw failure_error(response, event, provider_.module_id);
  return response;
}

std::string Storage::read(const std::string& path) { return std::move(*execute(Event::read(path)).data); }

void Storage::write(const std::string& path, const std::string& content) { execute(Event::write(path, content)); }

std::vector<contract::Entry> Storage::list(const std::string& path) {
  return std::move(*execute(Event::list(path)).entries);
}

void Storage::remove(const std::string& path, bool is_directory) { execute(Event::remove(path, is_directory)); }

void Storage::ensure_dir(const std::string& path) { execute(Event::ensure_dir(path)); }

std::vector<Response> Storage::batch(const std::vector<Event>& operations) {
  for (const auto& op : operations) {
    if (op.operation == Operation::batch) throw errors::invalid_argument("a batch cannot contain another batch");
    check_event(op);
  }
  if (operations.empty()) return {};
  if (transport_->supports_batch()) {
    Event event = Event::batch(operations);
    Response response = send_checked(event);
    if (!response.success) {
      // The provider refused the batch as a whole: every operation failed for that reason.
      return std::vector<Response>(operations.size(),
                                   Response::failure(response.effective_error_code(), *response.error));
    }
    return std::move(*response.results);
  }
  std::vector<Response> results;
  results.reserve(operations.size());
  for (const auto& op : operations) results.push_back(send_checked(op));
  return results;
}

std::vector<Response> Storage::read_many(const std::vector<std::string>& paths) {
  std::vector<Event> events;
  events.reserve(paths.size());
  for (const auto& p : paths) events.push_back(Event::read(p));
  return batch(events);
}

std::vector<Response> Storage::write_many(const std::vector<std::pair<std::string, std::string>>& files) {
  std::vector<Event> events;
  events.reserve(files.size());
  for (const auto& [path, content] : files) events.push_back(Event::write(path, content));
  return batch(events);
}

std::vector<Response> Storage::delete_many(const std::vector<std::string>& paths) {
  std::vector<Event> events;
  events.reserve(paths.size());
  for (const auto& p : paths) events.push_back(Event::remove(p));
  return batch(events);
}

}  // namespace homeboy
