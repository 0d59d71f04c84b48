#pragma once
// The storage contract, version 1: the events the host sends, the responses providers
// give back, and the one validator every response passes through, whatever the
// transport. The normative text is docs/storage-contract.md.

#include "homeboy/error.hpp"

#include <boost/json/fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace homeboy::contract {

inline constexpr int version = 1;

enum class Operation { read, write, list, remove, ensure_dir, batch };

// Wire names: "read", "write", "list", "delete", "ensure_dir", "batch".
std::string_view to_string(Operation op) noexcept;
std::optional<Operation> parse_operation(std::string_view name) noexcept;

enum class ErrorCode { not_found, permission_denied, invalid_argument, unsupported, conflict, io_error };

std::string_view to_string(ErrorCode code) noexcept;
std::optional<ErrorCode> parse_error_code(std::string_view name) noexcept;

struct Event {
  Operation operation = Operation::read;
  std::string path;
  std::string content;                     // write only
  bool is_directory = false;               // delete: the path is a directory, remove it with its contents
  std::vector<Event> operations;           // batch only

  static Event read(std::string path) { return {Operation::read, std::move(path), {}, false, {}}; }
  static Event write(std::string path, std::string content) {
    return {Operation::write, std::move(path), std::move(content), false, {}};
  }
  static Event list(std::string path) { return {Operation::list, std::move(path), {}, false, {}}; }
  static Event remove(std::string path, bool is_directory = false) {
    return {Operation::remove, std::move(path), {}, is_directory, {}};
  }
  static Event ensure_dir(std::string path) { return {Operation::ensure_dir, std::move(path), {}, false, {}}; }
  static Event batch(std::vector<Event> operations) {
    return {Operation::batch, {}, {}, false, std::move(operations)};
  }
};

struct Entry {
  std::string path;
  bool is_directory = false;
  friend bool operator==(const Entry&, const Entry&) = default;
};

struct Response {
  bool success = false;
  std::optional<std::string> data;                 // read
  std::optional<std::vector<Entry>> entries;       // list
  std::optional<std::string> error;                // set exactly when success is false
  std::optional<ErrorCode> error_code;             // optional on the wire; io_error when absent
  std::optional<std::vector<Response>> results;    // batch, one per operation, in order
  std::optional<bool> overall_success;             // batch
  std::optional<std::uint64_t> id;                 // persistent framing: echoes the request id

  static Response ok() {
    Response r;
    r.success = true;
    return r;
  }
  static Response failure(ErrorCode code, std::string message) {
    Response r;
    r.error = std::move(message);
    r.error_code = code;
    return r;
  }
  ErrorCode effective_error_code() const noexcept { return error_code.value_or(ErrorCode::io_error); }
};

// The event as one line of JSON (no trailing newline). `id` is added for persistent framing.
std::string serialize(const Event& event, std::optional<std::uint64_t> id = std::nullopt);

// An event from user input (the CLI's batch file). Throws cli.invalid_argument naming `where`.
Event parse_event(const boost::json::value& value, std::string_view where);

// A batch from user input: a JSON array of events, paths kept as given. Throws
// cli.invalid_argument naming `source` ("stdin", a file name) or the event at fault.
std::vector<Event> parse_events(std::string_view text, std::string_view source);

boost::json::object to_json(const Response& response);

// Who answered, for error messages.
struct Origin {
  std::string_view module_id;
};

// Parses a provider's raw answer. Anything that is not one JSON object with correctly typed
// fields is a storage.contract_violation naming the module, the operation and the rule.
Response parse_response(std::string_view text, const Event& event, Origin origin);

// The semantic rules, the same for every transport (DESIGN.md section 3).
void validate_response(const Response& response, const Event& event, Origin origin);

// Rule identifiers, stable: tests, docs and `homeboy module test` refer to them.
namespace rule {
inline constexpr std::string_view response_empty = "response_empty";
inline constexpr std::string_view response_not_json = "response_not_json";
inline constexpr std::string_view response_not_object = "response_not_object";
inline constexpr std::string_view field_type = "field_type";
inline constexpr std::string_view success_with_error = "success_with_error";
inline constexpr std::string_view failure_without_error = "failure_without_error";
inline constexpr std::string_view read_without_data = "read_without_data";
inline constexpr std::string_view list_without_entries = "list_without_entries";
inline constexpr std::string_view entry_shape = "entry_shape";
inline constexpr std::string_view batch_without_results = "batch_without_results";
inline constexpr std::string_view batch_result_count = "batch_result_count";
inline constexpr std::string_view overall_success_mismatch = "overall_success_mismatch";
inline constexpr std::string_view id_mismatch = "id_mismatch";
}  // namespace rule

Error violation(Origin origin, const Event& event, std::string_view rule, std::string_view what,
                std::string_view received);

}  // namespace homeboy::contract
