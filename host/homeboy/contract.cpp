#include "homeboy/contract.hpp"

#include "homeboy/json_input.hpp"
#include "homeboy/limits.hpp"
#include "homeboy/text.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <utility>

namespace json = boost::json;

namespace homeboy::contract {

namespace {

// How much of an answer is kept to quote in a violation (excerpt() shows 200 bytes).
constexpr std::size_t quoted_answer_bytes = 256;

constexpr std::array<std::pair<Operation, std::string_view>, 6> operation_names{{
    {Operation::read, "read"},
    {Operation::write, "write"},
    {Operation::list, "list"},
    {Operation::remove, "delete"},
    {Operation::ensure_dir, "ensure_dir"},
    {Operation::batch, "batch"},
}};

constexpr std::array<std::pair<ErrorCode, std::string_view>, 11> error_code_names{{
    {ErrorCode::not_found, "not_found"},
    {ErrorCode::permission_denied, "permission_denied"},
    {ErrorCode::invalid_argument, "invalid_argument"},
    {ErrorCode::unsupported, "unsupported"},
    {ErrorCode::conflict, "conflict"},
    {ErrorCode::io_error, "io_error"},
    {ErrorCode::unavailable, "unavailable"},
    {ErrorCode::too_large, "too_large"},
    {ErrorCode::aborted, "aborted"},
    {ErrorCode::timeout, "timeout"},
    {ErrorCode::not_run, "not_run"},
}};

// A string of bytes under `key`, or, when it is not UTF-8 (JSON text cannot carry it), its
// base64 under `key` + "_base64". Readers take either, never both.
void put_bytes(json::object& out, std::string_view key, std::string_view bytes) {
  if (text::is_utf8(bytes))
    out[key] = bytes;
  else
    out[std::string(key) + "_base64"] = text::base64_encode(bytes);
}

json::object event_object(const Event& event) {
  json::object out;
  out.reserve(5);
  out["operation"] = to_string(event.operation);
  if (event.operation == Operation::batch) {
    json::array ops;
    ops.reserve(event.operations.size());
    for (const auto& op : event.operations) ops.emplace_back(event_object(op));
    out["operations"] = std::move(ops);
    return out;
  }
  put_bytes(out, "path", event.path);
  if (event.operation == Operation::write) put_bytes(out, "content", event.content);
  if (event.is_directory) out["is_directory"] = true;
  if (event.condition.kind == Condition::Kind::if_version) put_bytes(out, "if_version", event.condition.version);
  if (event.condition.kind == Condition::Kind::if_absent) out["if_absent"] = true;
  return out;
}

// Field readers for provider answers: a present field of the wrong type is a violation.
class ResponseReader {
 public:
  ResponseReader(const Event& event, Origin origin, std::string_view raw)
      : event_(event), origin_(origin), raw_(raw) {}

  Response read(const json::value& value) const {
    const auto* obj = value.if_object();
    if (!obj) fail(rule::response_not_object, "the response must be one JSON object");
    Response r;
    const auto* success = obj->if_contains("success");
    if (!success || !success->is_bool()) fail(rule::field_type, "\"success\" must be present and a boolean");
    r.success = success->get_bool();
    r.data = optional_bytes(*obj, "data");
    r.version = optional_bytes(*obj, "version");
    r.error = optional_string(*obj, "error");
    if (auto code = optional_string(*obj, "error_code")) {
      // Unknown codes from newer providers degrade to io_error rather than failing the call.
      r.error_code = parse_error_code(*code).value_or(ErrorCode::io_error);
    }
    if (const auto* entries = present(*obj, "entries")) {
      if (!entries->is_array()) fail(rule::field_type, "\"entries\" must be an array");
      r.entries.emplace();
      r.entries->reserve(entries->get_array().size());
      for (const auto& e : entries->get_array()) r.entries->push_back(entry(e));
    }
    if (const auto* overall = present(*obj, "overall_success")) {
      if (!overall->is_bool()) fail(rule::field_type, "\"overall_success\" must be a boolean");
      r.overall_success = overall->get_bool();
    }
    if (const auto* id = present(*obj, "id")) {
      if (!id->is_uint64() && !(id->is_int64() && id->get_int64() >= 0))
        fail(rule::id_mismatch, "\"id\" must be the non-negative integer sent with the request");
      r.id = id->is_uint64() ? id->get_uint64() : static_cast<std::uint64_t>(id->get_int64());
    }
    if (const auto* results = present(*obj, "results")) {
      if (!results->is_array()) fail(rule::field_type, "\"results\" must be an array");
      const auto& arr = results->get_array();
      r.results.emplace();
      r.results->reserve(arr.size());
      for (std::size_t i = 0; i < arr.size(); ++i) {
        // Results beyond the operations' count are caught by batch_result_count later.
        const Event& sub = i < event_.operations.size() ? event_.operations[i] : event_;
        r.results->push_back(ResponseReader(sub, origin_, raw_).read(arr[i]));
      }
    }
    return r;
  }

 private:
  [[noreturn]] void fail(std::string_view rule_id, std::string_view what) const {
    throw violation(origin_, event_, rule_id, what, raw_);
  }

  static const json::value* present(const json::object& obj, std::string_view key) {
    const auto* v = obj.if_contains(key);
    return (v && !v->is_null()) ? v : nullptr;
  }

  std::optional<std::string> optional_string(const json::object& obj, std::string_view key) const {
    const auto* v = present(obj, key);
    if (!v) return std::nullopt;
    if (!v->is_string()) fail(rule::field_type, "\"" + std::string(key) + "\" must be a string");
    return std::string(v->get_string());
  }

  // `key`, or its base64 under `key` + "_base64" (bytes that are not UTF-8).
  std::optional<std::string> optional_bytes(const json::object& obj, std::string_view key) const {
    auto plain = optional_string(obj, key);
    std::string encoded_key = std::string(key) + "_base64";
    auto encoded = optional_string(obj, encoded_key);
    if (!encoded) return plain;
    if (plain)
      fail(rule::field_type, "a response carries \"" + std::string(key) + "\" or \"" + encoded_key + "\", not both");
    auto decoded = text::base64_decode(*encoded);
    if (!decoded) fail(rule::bad_base64, "\"" + encoded_key + "\" is not valid base64 (RFC 4648, padded)");
    return decoded;
  }

  Entry entry(const json::value& value) const {
    const auto* obj = value.if_object();
    const json::value* dir = obj ? obj->if_contains("is_directory") : nullptr;
    auto shape = [&] {
      fail(rule::entry_shape, "every entry needs a string \"path\" and a boolean \"is_directory\"");
    };
    if (!obj || !dir || !dir->is_bool()) shape();
    const json::value* path = obj->if_contains("path");
    const json::value* encoded = obj->if_contains("path_base64");
    if ((path != nullptr) == (encoded != nullptr)) shape();
    if (path) {
      if (!path->is_string()) shape();
      return Entry{std::string(path->get_string()), dir->get_bool()};
    }
    if (!encoded->is_string()) shape();
    auto decoded = text::base64_decode(encoded->get_string());
    if (!decoded) fail(rule::bad_base64, "an entry's \"path_base64\" is not valid base64 (RFC 4648, padded)");
    return Entry{std::move(*decoded), dir->get_bool()};
  }

  const Event& event_;
  Origin origin_;
  std::string_view raw_;
};

}  // namespace

std::string_view to_string(Operation op) noexcept {
  for (const auto& [value, name] : operation_names)
    if (value == op) return name;
  return "unknown";
}

std::optional<Operation> parse_operation(std::string_view name) noexcept {
  for (const auto& [value, n] : operation_names)
    if (n == name) return value;
  return std::nullopt;
}

std::string_view to_string(ErrorCode code) noexcept {
  for (const auto& [value, name] : error_code_names)
    if (value == code) return name;
  return "io_error";
}

std::optional<ErrorCode> parse_error_code(std::string_view name) noexcept {
  for (const auto& [value, n] : error_code_names)
    if (n == name) return value;
  return std::nullopt;
}

const Event* first_binary_write(const Event& event) noexcept {
  if (event.operation == Operation::write && !text::is_utf8(event.content)) return &event;
  for (const auto& op : event.operations)
    if (op.operation == Operation::write && !text::is_utf8(op.content)) return &op;
  return nullptr;
}

std::string serialize(const Event& event, std::optional<std::uint64_t> id) {
  json::object obj = event_object(event);
  obj["contract_version"] = version;
  if (id) obj["id"] = *id;
  return json::serialize(obj);
}

Event parse_event(const json::value& value, std::string_view where) {
  auto bad = [&](const std::string& why) {
    return errors::invalid_argument(std::string(where) + ": " + why, {{"event", std::string(where)}});
  };
  const auto* obj = value.if_object();
  if (!obj) throw bad("an event must be a JSON object");
  const auto* op = obj->if_contains("operation");
  if (!op || !op->is_string()) throw bad("\"operation\" must be a string");
  auto operation = parse_operation(op->get_string());
  if (!operation)
    throw bad("unknown operation \"" + std::string(op->get_string()) +
              "\" (expected read, write, list, delete, ensure_dir or batch)");
  if (*operation == Operation::batch) throw bad("a batch cannot contain another batch");
  // A string under `key`, or bytes under `key` + "_base64"; `required` or not, never both.
  auto bytes = [&](std::string_view key, bool required) -> std::optional<std::string> {
    std::string encoded_key = std::string(key) + "_base64";
    const auto* plain = obj->if_contains(key);
    const auto* encoded = obj->if_contains(encoded_key);
    if (plain && plain->is_null()) plain = nullptr;
    if (encoded && encoded->is_null()) encoded = nullptr;
    if (plain && encoded) throw bad("give \"" + std::string(key) + "\" or \"" + encoded_key + "\", not both");
    if (!plain && !encoded) {
      if (required) throw bad("a string \"" + std::string(key) + "\" (or \"" + encoded_key + "\") is required");
      return std::nullopt;
    }
    if (plain) {
      if (!plain->is_string()) throw bad("\"" + std::string(key) + "\" must be a string");
      return std::string(plain->get_string());
    }
    if (!encoded->is_string()) throw bad("\"" + encoded_key + "\" must be a string");
    auto decoded = text::base64_decode(encoded->get_string());
    if (!decoded) throw bad("\"" + encoded_key + "\" is not valid base64 (RFC 4648, padded)");
    return decoded;
  };
  Event event;
  event.operation = *operation;
  event.path = *bytes("path", true);
  if (event.operation == Operation::write) event.content = *bytes("content", true);
  if (const auto* dir = obj->if_contains("is_directory")) {
    if (!dir->is_bool()) throw bad("\"is_directory\" must be a boolean");
    event.is_directory = dir->get_bool();
  }
  const auto* if_absent = obj->if_contains("if_absent");
  if (auto version = bytes("if_version", false)) {
    if (event.operation != Operation::write && event.operation != Operation::remove)
      throw bad("\"if_version\" applies to write and delete only");
    if (version->empty()) throw bad("\"if_version\" must be a non-empty string (a version from an earlier read)");
    event.condition = Condition::matching(std::move(*version));
  }
  if (if_absent && !if_absent->is_null()) {
    if (!if_absent->is_bool()) throw bad("\"if_absent\" must be a boolean");
    if (if_absent->get_bool()) {
      if (event.operation != Operation::write) throw bad("\"if_absent\" applies to write only");
      if (event.condition) throw bad("\"if_version\" and \"if_absent\" cannot both be set");
      event.condition = Condition::absent();
    }
  }
  return event;
}

std::vector<Event> parse_events(std::string_view text, std::string_view source) {
  std::string from = "batch input from " + std::string(source);
  json::value value = parse_json_input(text, from);  // a mistake is named by line and column
  if (!value.is_array()) throw errors::invalid_argument(from + " must be a JSON array of events");
  std::vector<Event> events;
  events.reserve(value.get_array().size());
  for (const auto& item : value.get_array())
    events.push_back(parse_event(item, "batch event #" + std::to_string(events.size())));
  return events;
}

json::object to_json(const Entry& e) {
  json::object entry;
  put_bytes(entry, "path", e.path);
  entry["is_directory"] = e.is_directory;
  return entry;
}

json::object to_json(const Response& r) {
  json::object out;
  out["success"] = r.success;
  if (r.data) put_bytes(out, "data", *r.data);
  if (r.version) put_bytes(out, "version", *r.version);
  if (r.entries) {
    json::array entries;
    entries.reserve(r.entries->size());
    for (const auto& e : *r.entries) entries.emplace_back(to_json(e));
    out["entries"] = std::move(entries);
  }
  if (r.error) out["error"] = *r.error;
  if (!r.success) out["error_code"] = to_string(r.effective_error_code());
  if (r.results) {
    json::array results;
    results.reserve(r.results->size());
    for (const auto& sub : *r.results) results.emplace_back(to_json(sub));
    out["results"] = std::move(results);
  }
  if (r.overall_success) out["overall_success"] = *r.overall_success;
  return out;
}

Response parse_response(std::string_view text, const Event& event, Origin origin) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos)
    throw violation(origin, event, rule::response_empty, "the module wrote no response", text);
  json::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec)
    throw violation(origin, event, rule::response_not_json,
                    "the response must be one JSON object (" + ec.message() + ")", text);
  Response response = ResponseReader(event, origin, text).read(value);
  response.answer_start = text.substr(0, quoted_answer_bytes);
  response.answer_size = text.size();
  return response;
}

namespace {

// `answer`: the top-level response, whose text a violation quotes (a batch's results have
// none of their own).
void check(const Response& r, const Event& event, Origin origin, const Response& answer) {
  auto fail = [&](std::string_view rule_id, std::string_view what) {
    if (answer.answer_size) throw violation(origin, event, rule_id, what, answer.answer_start, answer.answer_size);
    // A native plugin answered through the ABI: the model is all there is to show.
    throw violation(origin, event, rule_id, what, json::serialize(to_json(r)));
  };
  if (r.success && r.error)
    fail(rule::success_with_error, "a successful response must not carry an \"error\"");
  if (!r.success && (!r.error || r.error->empty()))
    fail(rule::failure_without_error, "a failed response must say why in \"error\"");
  if (!r.success) return;
  if (r.version && (r.version->empty() || r.version->size() > limits::version_bytes))
    fail(rule::version_shape, "a version must be 1 to " + std::to_string(limits::version_bytes) + " bytes long (got " +
                                  std::to_string(r.version->size()) + ")");
  switch (event.operation) {
    case Operation::read:
      if (!r.data) fail(rule::read_without_data, "a successful read must return its content in \"data\"");
      break;
    case Operation::list: {
      if (!r.entries) fail(rule::list_without_entries, "a successful list must return an \"entries\" array");
      std::string_view folder = event.path;
      while (folder.size() > 1 && folder.back() == '/') folder.remove_suffix(1);
      std::string prefix(folder);
      if (prefix != "/") prefix += '/';
      std::vector<std::string_view> seen;
      seen.reserve(r.entries->size());
      for (const auto& e : *r.entries) {
        if (e.path.empty() || e.path.front() != '/')
          fail(rule::entry_not_absolute, "every entry's path must be absolute; got \"" + e.path + "\"");
        std::string_view name = std::string_view(e.path).substr(std::min(prefix.size(), e.path.size()));
        if (!e.path.starts_with(prefix) || name.empty() || name.find('/') != std::string_view::npos)
          fail(rule::entry_not_child, "every entry must be an immediate child of " + std::string(folder) +
                                          "; got \"" + e.path + "\"");
        seen.push_back(e.path);
      }
      std::sort(seen.begin(), seen.end());
      if (auto dup = std::adjacent_find(seen.begin(), seen.end()); dup != seen.end())
        fail(rule::entry_repeated, "every entry must appear once; \"" + std::string(*dup) + "\" is repeated");
      break;
    }
    case Operation::batch: {
      if (!r.results) fail(rule::batch_without_results, "a successful batch must return a \"results\" array");
      if (r.results->size() != event.operations.size())
        fail(rule::batch_result_count, "a batch must return one result per operation (sent " +
                                           std::to_string(event.operations.size()) + ", got " +
                                           std::to_string(r.results->size()) + ")");
      bool all_ok = true;
      for (std::size_t i = 0; i < r.results->size(); ++i) {
        check((*r.results)[i], event.operations[i], origin, answer);
        all_ok = all_ok && (*r.results)[i].success;
      }
      if (r.overall_success && *r.overall_success != all_ok)
        fail(rule::overall_success_mismatch,
             "\"overall_success\" must be true exactly when every operation succeeded");
      break;
    }
    default:
      break;
  }
}

}  // namespace

void validate_response(const Response& r, const Event& event, Origin origin) { check(r, event, origin, r); }

Error violation(Origin origin, const Event& event, std::string_view rule_id, std::string_view what,
                std::string_view received) {
  return violation(origin, event, rule_id, what, received, received.size());
}

Error violation(Origin origin, const Event& event, std::string_view rule_id, std::string_view what,
                std::string_view received_start, std::size_t received_size) {
  std::string op(to_string(event.operation));
  std::string message = "module '" + std::string(origin.module_id) + "' broke the storage contract on '" + op +
                        "': " + text::printable_utf8(what) + " [rule " + std::string(rule_id) + "]";
  std::string seen = excerpt_of_start(received_start, received_size);
  message += received_size == 0 ? "; it answered nothing" : "; it answered: " + seen;
  return Error(Errc::storage_contract_violation, std::move(message),
               {{"module", origin.module_id}, {"operation", op}, {"rule", rule_id}, {"response_excerpt", seen}},
               {"Run `homeboy module test " + std::string(origin.module_id) +
                "` to check the module against the storage contract."});
}

}  // namespace homeboy::contract
