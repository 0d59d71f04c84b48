// Fuzz target: a provider's raw answer through parse_response and validate_response, as
// every transport does. The first line names the event the answer is for: one operation
// ("read"), or "batch" followed by the operations it carries ("batch read write list");
// the rest of the input is the answer.
//
// Invariants: a bad answer is a storage.contract_violation naming a known rule, never
// another error, with a message that is valid UTF-8; an accepted answer carries what its operation promises, and serializes
// (to_json) and parses back to the same model, which the validator accepts again.

#include "fuzz_support.hpp"

#include "homeboy/contract/contract.hpp"
#include "homeboy/contract/json_text.hpp"
#include "homeboy/text.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <variant>

namespace json = boost::json;
using namespace homeboy;
using namespace homeboy::contract;

namespace {

constexpr Origin origin{"fuzz-module"};

std::optional<Event> event_from_header(std::string_view header) {
  std::optional<Event> event;
  while (!header.empty()) {
    auto space = header.find(' ');
    auto word = header.substr(0, space);
    header = space == std::string_view::npos ? std::string_view{} : header.substr(space + 1);
    auto op = parse_operation(word);
    if (!op) return std::nullopt;
    Event e{*op, "/fuzz/" + std::string(word), *op == Operation::write ? "content" : "", false, {}, {}};
    if (!event) {
      event = std::move(e);
    } else if (event->operation != Operation::batch || *op == Operation::batch) {
      return std::nullopt;  // only a batch carries operations, and never another batch
    } else {
      event->operations.push_back(std::move(e));
    }
  }
  return event;
}

void check_violation(const Error& e) {
  static constexpr std::array known{
      rule::response_empty,        rule::response_not_json,     rule::response_not_object, rule::field_type,
      rule::success_with_error,    rule::failure_without_error, rule::read_without_data,   rule::list_without_entries,
      rule::entry_shape,           rule::batch_without_results, rule::batch_result_count,  rule::overall_success_mismatch,
      rule::id_mismatch,           rule::entry_not_absolute,    rule::entry_not_child,     rule::entry_repeated,
      rule::data_set_twice,        rule::bad_base64,            rule::version_shape};
  FUZZ_CHECK_SAYING(e.code() == "storage.contract_violation", e.what());
  const auto* rule_id = e.details().if_contains("rule");
  FUZZ_CHECK(rule_id && rule_id->is_string());
  FUZZ_CHECK_SAYING(std::find(known.begin(), known.end(), std::string_view(rule_id->get_string())) != known.end(),
                    e.what());
  FUZZ_CHECK(std::string_view(e.what()).find("fuzz-module") != std::string_view::npos);
  // homeboy's own output quotes this message: it must be UTF-8 whatever the module sent.
  FUZZ_CHECK_SAYING(text::is_utf8(e.what()), e.what());
}

// What the storage facade relies on once the validator said yes.
void check_accepted(const Response& r, const Event& event) {
  if (!r.success) {
    FUZZ_CHECK(r.error && !r.error->empty());
    return;
  }
  FUZZ_CHECK(!r.error);
  if (event.operation == Operation::read) FUZZ_CHECK(r.data.has_value());
  if (event.operation == Operation::list) FUZZ_CHECK(r.entries.has_value());
  if (event.operation == Operation::batch) {
    FUZZ_CHECK(r.results && r.results->size() == event.operations.size());
    bool all_ok = std::all_of(r.results->begin(), r.results->end(), [](const Response& s) { return s.success; });
    FUZZ_CHECK(!r.overall_success || *r.overall_success == all_ok);
    for (std::size_t i = 0; i < r.results->size(); ++i) check_accepted((*r.results)[i], event.operations[i]);
  }
}

// The reference reading of an answer: parse the whole text into a tree of values, then read
// its fields in the order the rules are documented. parse_response reads answers as they
// arrive instead; it must come to the same model, or break the same rule with the same
// message, whatever pieces the answer arrives in.
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
    r.data = optional_string(*obj, "data");
    if (auto encoded = optional_string(*obj, "data_base64")) {
      if (r.data) fail(rule::field_type, "a response carries \"data\" or \"data_base64\", not both");
      r.data = text::base64_decode(*encoded);
      if (!r.data) fail(rule::bad_base64, "\"data_base64\" is not valid base64 (RFC 4648, padded)");
    }
    r.version = optional_string(*obj, "version");
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

  Entry entry(const json::value& value) const {
    const auto* obj = value.if_object();
    const json::value* path = obj ? obj->if_contains("path") : nullptr;
    const json::value* dir = obj ? obj->if_contains("is_directory") : nullptr;
    if (!path || !path->is_string() || !dir || !dir->is_bool())
      fail(rule::entry_shape, "every entry needs a string \"path\" and a boolean \"is_directory\"");
    return Entry{std::string(path->get_string()), dir->get_bool()};
  }

  const Event& event_;
  Origin origin_;
  std::string_view raw_;
};

Response reference_parse(std::string_view text, const Event& event) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos)
    throw violation(origin, event, rule::response_empty, "the module wrote no response", text);
  json::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec)
    throw violation(origin, event, rule::response_not_json,
                    "the response must be one JSON object (" + ec.message() + ")", text);
  return ResponseReader(event, origin, text).read(value);
}

bool same(const Response& a, const Response& b) {
  if (a.success != b.success || a.data != b.data || a.version != b.version || a.entries != b.entries ||
      a.error != b.error || a.error_code != b.error_code || a.overall_success != b.overall_success || a.id != b.id ||
      a.results.has_value() != b.results.has_value())
    return false;
  if (!a.results) return true;
  return std::equal(a.results->begin(), a.results->end(), b.results->begin(), b.results->end(), same);
}

// Either the answer's model, or the violation it is.
using Outcome = std::variant<Response, Error>;

template <class Parse>
Outcome outcome_of(Parse parse) {
  try {
    return parse();
  } catch (const Error& e) {
    return e;
  }
}

// The message without the JSON library's reason for response_not_json. Boost.JSON 1.81 may
// name the same malformed input differently when it arrives in pieces (its resumable path
// calls a lone low surrogate \ude00 after \ud41d "illegal trailing surrogate", its
// whole-text path "illegal leading surrogate"); the rule and everything else must agree.
std::string without_parser_reason(std::string message) {
  static constexpr std::string_view open = "one JSON object (", close = ") [rule ";
  auto from = message.find(open);
  auto to = from == std::string::npos ? std::string::npos : message.find(close, from);
  if (to != std::string::npos) message.erase(from + open.size(), to - from - open.size());
  return message;
}

enum class Reason { same, may_differ };

void check_same(const Outcome& expected, const Outcome& got, std::string_view how, Reason reason = Reason::same) {
  if (const auto* e = std::get_if<Error>(&expected)) {
    const auto* g = std::get_if<Error>(&got);
    FUZZ_CHECK_SAYING(g, how);
    bool not_json = e->details().at("rule") == json::value(rule::response_not_json);
    if (reason == Reason::may_differ && not_json) {
      FUZZ_CHECK_SAYING(g->details().at("rule") == e->details().at("rule"), std::string(how) + ": " + g->what());
      FUZZ_CHECK_SAYING(without_parser_reason(g->what()) == without_parser_reason(e->what()),
                        std::string(how) + ": " + g->what() + " <> " + e->what());
      return;
    }
    FUZZ_CHECK_SAYING(std::string_view(g->what()) == e->what(), std::string(how) + ": " + g->what() + " <> " + e->what());
    FUZZ_CHECK_SAYING(g->details() == e->details(), how);
  } else {
    const auto* g = std::get_if<Response>(&got);
    FUZZ_CHECK_SAYING(g, std::string(how) + ": " + std::get<Error>(got).what());
    FUZZ_CHECK_SAYING(same(*g, std::get<Response>(expected)), how);
  }
}

Outcome in_pieces(std::string_view text, const Event& event, std::size_t piece) {
  return outcome_of([&] {
    ResponseParser parser(event, origin);
    for (std::size_t at = 0; at < text.size(); at += piece) parser.feed(text.substr(at, piece));
    return parser.finish();
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto input = fuzz::split_at(fuzz::as_text(data, size), "\n");
  if (!input.found) return -1;
  auto event = event_from_header(input.first);
  if (!event) return -1;

  // The same outcome as the reference reading, given whole or in pieces of any size.
  Outcome expected = outcome_of([&] { return reference_parse(input.second, *event); });
  check_same(expected, outcome_of([&] { return parse_response(input.second, *event, origin); }), "whole");
  if (input.second.size() <= 2048)  // byte by byte is slow under the sanitizers; short answers show the same
    check_same(expected, in_pieces(input.second, *event, 1), "byte by byte", Reason::may_differ);
  check_same(expected, in_pieces(input.second, *event, 1 + input.second.size() % 61), "in pieces", Reason::may_differ);

  Response response;
  try {
    response = parse_response(input.second, *event, origin);
    validate_response(response, *event, origin);
  } catch (const Error& e) {
    check_violation(e);
    return 0;
  }
  check_accepted(response, *event);

  json::object model = to_json(response);
  // The CLI writes answers member by member: the same text as the model pretty-printed.
  JsonWriter streamed;
  streamed.begin_object();
  write_members(streamed, response);
  streamed.end_object();
  FUZZ_CHECK_SAYING(streamed.text() == pretty(model), streamed.text());
  std::string text = json::serialize(model);
  Response again;
  try {
    again = parse_response(text, *event, origin);
    validate_response(again, *event, origin);
  } catch (const Error& e) {
    fuzz::invariant_broken("an accepted response, serialized, is accepted again", __FILE__, __LINE__, e.what());
  }
  FUZZ_CHECK_SAYING(to_json(again) == model, text);
  FUZZ_CHECK(again.success == response.success && again.data == response.data && again.error == response.error &&
             again.entries == response.entries && again.effective_error_code() == response.effective_error_code());
  return 0;
}
