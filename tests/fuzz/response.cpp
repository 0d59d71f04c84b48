// Fuzz target: a provider's raw answer through parse_response and validate_response, as
// every transport does. The first line names the event the answer is for: one operation
// ("read"), or "batch" followed by the operations it carries ("batch read write list");
// the rest of the input is the answer.
//
// Invariants: a bad answer is a storage.contract_violation naming a known rule, never
// another error, with a message that is valid UTF-8; an accepted answer carries what its operation promises, and serializes
// (to_json) and parses back to the same model, which the validator accepts again.

#include "fuzz_support.hpp"

#include "homeboy/contract.hpp"
#include "homeboy/json_text.hpp"
#include "homeboy/text.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <optional>
#include <string>

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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto input = fuzz::split_at(fuzz::as_text(data, size), "\n");
  if (!input.found) return -1;
  auto event = event_from_header(input.first);
  if (!event) return -1;

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
