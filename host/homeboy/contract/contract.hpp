#pragma once
// The storage contract, version 2: the events the host sends, the responses providers
// give back, and the one validator every response passes through, whatever the
// transport. The normative text is docs/storage-contract.md.

#include "homeboy/error.hpp"

#include <boost/json/fwd.hpp>

#include <cstdint>
#include <memory>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace homeboy {
class JsonWriter;
}

namespace homeboy::contract {

inline constexpr int version = 2;

enum class Operation { read, write, list, remove, ensure_dir, check, batch };

// Wire names: "read", "write", "list", "delete", "ensure_dir", "check", "batch".
// `check` changes nothing: it succeeds while its condition holds and fails with `conflict`
// otherwise. Only a provider with the `transactions` capability receives it.
std::string_view to_string(Operation op) noexcept;
std::optional<Operation> parse_operation(std::string_view name) noexcept;

// Provider error codes. `timeout` and `not_run` are the host's own: a batch chunk that timed
// out, and the operations after it that were never sent.
enum class ErrorCode {
  not_found,
  permission_denied,
  invalid_argument,
  unsupported,
  conflict,
  io_error,
  unavailable,
  invalid_config,         // the provider's settings are wrong (the message names the setting)
  authentication_failed,  // the backend refused the login
  too_large,  // content above the limit (limits.hpp)
  no_space,   // the storage is full: nothing of the operation landed
  aborted,    // not applied: another change of an all-or-nothing batch failed
  timeout,
  not_run,
};

std::string_view to_string(ErrorCode code) noexcept;
std::optional<ErrorCode> parse_error_code(std::string_view name) noexcept;

// A condition on a write or delete (compare-and-swap): the provider applies the operation
// only while it holds, and fails with `conflict` otherwise.
struct Condition {
  enum class Kind { none, if_version, if_absent };
  Kind kind = Kind::none;
  std::string version;  // if_version: a version the provider reported

  static Condition none() { return {}; }
  static Condition matching(std::string version) { return {Kind::if_version, std::move(version)}; }
  static Condition absent() { return {Kind::if_absent, {}}; }
  explicit operator bool() const noexcept { return kind != Kind::none; }
  friend bool operator==(const Condition&, const Condition&) = default;
};

struct Event {
  Operation operation = Operation::read;
  std::string path;
  std::string content;                     // write only
  bool is_directory = false;               // delete: the path is a directory, remove it with its contents
  std::vector<Event> operations;           // batch only
  Condition condition;                     // write, delete and check

  static Event read(std::string path) { return {Operation::read, std::move(path), {}, false, {}, {}}; }
  static Event write(std::string path, std::string content, Condition condition = {}) {
    return {Operation::write, std::move(path), std::move(content), false, {}, std::move(condition)};
  }
  static Event list(std::string path) { return {Operation::list, std::move(path), {}, false, {}, {}}; }
  static Event remove(std::string path, bool is_directory = false, Condition condition = {}) {
    return {Operation::remove, std::move(path), {}, is_directory, {}, std::move(condition)};
  }
  static Event ensure_dir(std::string path) { return {Operation::ensure_dir, std::move(path), {}, false, {}, {}}; }
  static Event check(std::string path, Condition condition) {
    return {Operation::check, std::move(path), {}, false, {}, std::move(condition)};
  }
  static Event batch(std::vector<Event> operations) {
    return {Operation::batch, {}, {}, false, std::move(operations), {}};
  }
};

// What a provider can do beyond the contract's core (manifest `storage_provider.capabilities`,
// or the plugin ABI's capability flags).
struct Capabilities {
  bool versions = false;      // reads report a version; writes and deletes take conditions
  bool binary = false;        // content that is not UTF-8 travels (base64 on the JSON transports)
  bool atomic_batch = false;  // a batch's changes apply all or none
  // Batches are serializable transactions: all or none, `check` understood, and every
  // condition of a batch holds against the state its changes are applied to, whatever
  // other hosts do at the same time. Only with versions and atomic_batch.
  bool transactions = false;
};

struct Entry {
  std::string path;
  bool is_directory = false;
  friend bool operator==(const Entry&, const Entry&) = default;
};

struct Response {
  bool success = false;
  std::optional<std::string> data;                 // read (from "data" or "data_base64")
  std::optional<std::string> version;              // read and write, from a provider with versions
  std::optional<std::vector<Entry>> entries;       // list
  std::optional<std::string> error;                // set exactly when success is false
  std::optional<ErrorCode> error_code;             // optional on the wire; io_error when absent
  std::optional<std::vector<Response>> results;    // batch, one per operation, in order
  std::optional<bool> overall_success;             // batch
  std::optional<std::uint64_t> id;                 // persistent framing: echoes the request id
  // The start of the provider's own answer and its size in bytes, kept for a rule broken
  // later (validate_response) to quote what the provider sent, not the model re-serialized.
  // Empty for a native plugin's answer, which comes through the ABI, not as text.
  std::string answer_start;
  std::size_t answer_size = 0;

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
// Bytes that are not UTF-8 go base64-encoded under the field's name plus "_base64":
// "content_base64", "path_base64", "if_version_base64" (and in to_json: "data_base64",
// "version_base64", an entry's "path_base64"). parse_event and parse_response read both.
std::string serialize(const Event& event, std::optional<std::uint64_t> id = std::nullopt);
// The same text handed to `put` in pieces of about 64 KiB as it is made: a large write's
// content is never held a second time, whole, as its escaped JSON.
void serialize(const Event& event, std::optional<std::uint64_t> id, const std::function<void(std::string_view)>& put);

// The first operation of `event` (itself, or one of a batch's) whose content is not UTF-8.
const Event* first_binary_write(const Event& event) noexcept;

// An event from user input (the CLI's batch file). Throws cli.invalid_argument naming `where`.
Event parse_event(const boost::json::value& value, std::string_view where);

// A batch from user input: a JSON array of events, paths kept as given. Throws
// cli.invalid_argument naming `source` ("stdin", a file name) or the event at fault.
std::vector<Event> parse_events(std::string_view text, std::string_view source);

boost::json::object to_json(const Response& response);
// {"path" (or "path_base64" when it is not UTF-8), "is_directory"}.
// A string of bytes under `key`, or, when it is not UTF-8 (JSON text cannot carry it), its
// base64 under `key` + "_base64". Readers take either, never both.
void put_bytes(boost::json::object& out, std::string_view key, std::string_view bytes);

boost::json::object to_json(const Entry& entry);

// The members of to_json(response), in its order, written one by one into the object `out`
// has open: a large answer (a file's content, a batch's results) is never built as values.
void write_members(JsonWriter& out, const Response& response);

// Raw content: a framing in which a file's content crosses as its bytes, after a line that
// announces their size, instead of escaped inside the line (the isolation helper's wire, and
// module daemons that offer it with "raw_content": true in their hello). A write goes as
// {"content_length": N, ...the event with "content": ""} then N bytes; a read's answer as
// {"data_length": N, ...the answer with "data": ""} then N bytes. The size is the line's first
// member, so nothing a provider answered can come before it.
namespace raw {
inline constexpr std::string_view content_length_prefix = "{\"content_length\":";
inline constexpr std::string_view data_length_prefix = "{\"data_length\":";
// `object` (a JSON object's text) with `prefix` and `size` as its first member.
std::string announcing(std::string_view prefix, std::size_t size, std::string_view object);
// The size `line` announces after `prefix`, or none when it does not start so.
std::optional<std::size_t> announced(std::string_view line, std::string_view prefix);
// The write's request line: the event without its content, announcing the content's size.
std::string write_request(const Event& write, std::uint64_t id);
// The request line of any event: write_request for a write (its content, event.content, is
// sent after it), serialize for the others (their content is empty).
std::string request(const Event& event, std::uint64_t id);
// The size of the data that follows a read's answer line; 0 when none does.
std::size_t data_size(std::string_view answer_line);
}  // namespace raw

// Who answered, for error messages.
struct Origin {
  std::string_view module_id;
};

// Parses a provider's raw answer. Anything that is not one JSON object with correctly typed
// fields is a storage.contract_violation naming the module, the operation and the rule.
Response parse_response(std::string_view text, const Event& event, Origin origin);

// parse_response for an answer read as it arrives: each piece goes into the response model
// at once (no tree of JSON values; data_base64 decoded on the way), so a large answer is
// held once, as its content. The same rules in the same order, with the same messages.
// `event` and the module id must outlive the parser.
class ResponseParser {
 public:
  ResponseParser(const Event& event, Origin origin);
  ~ResponseParser();
  ResponseParser(const ResponseParser&) = delete;
  ResponseParser& operator=(const ResponseParser&) = delete;

  void feed(std::string_view piece);  // never throws for what the answer holds
  Response finish();                  // the model, or the storage.contract_violation

  std::size_t size() const noexcept;        // bytes fed in all
  std::string_view start() const noexcept;  // the first of them, kept to quote

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

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
inline constexpr std::string_view entry_not_absolute = "entry_not_absolute";
inline constexpr std::string_view entry_not_child = "entry_not_child";
inline constexpr std::string_view entry_repeated = "entry_repeated";
inline constexpr std::string_view data_set_twice = "data_set_twice";
inline constexpr std::string_view bad_base64 = "bad_base64";
inline constexpr std::string_view version_shape = "version_shape";
inline constexpr std::string_view batch_without_results = "batch_without_results";
inline constexpr std::string_view batch_result_count = "batch_result_count";
inline constexpr std::string_view overall_success_mismatch = "overall_success_mismatch";
inline constexpr std::string_view id_mismatch = "id_mismatch";
inline constexpr std::string_view daemon_hello = "daemon_hello";
}  // namespace rule

Error violation(Origin origin, const Event& event, std::string_view rule, std::string_view what,
                std::string_view received);
// The same when only the start of the answer is at hand, and `received_size` is its size.
Error violation(Origin origin, const Event& event, std::string_view rule, std::string_view what,
                std::string_view received_start, std::size_t received_size);

}  // namespace homeboy::contract
