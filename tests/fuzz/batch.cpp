// Fuzz target: the input of `homeboy storage batch`, through contract::parse_events.
//
// Invariants: bad input is a cli.invalid_argument, never another error; accepted events are
// never batches, a check always has its condition, and sent to a provider (serialize) they
// read back as the same events, conditions included.

#include "fuzz_support.hpp"

#include "homeboy/contract/contract.hpp"
#include "homeboy/contract/json_input.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <optional>
#include <string_view>

namespace json = boost::json;
using namespace homeboy;
using namespace homeboy::contract;

namespace {

bool same(const Event& a, const Event& b) {
  return a.operation == b.operation && a.path == b.path && a.content == b.content &&
         a.is_directory == b.is_directory && a.operations.empty() && b.operations.empty();
}

// The reference reading of a batch: the whole input as one tree of values, then each event.
// parse_events reads it event by event; it must come to the same events, or the same error.
std::vector<Event> reference_events(std::string_view text) {
  std::string from = "batch input from fuzz";
  json::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec) {
    parse_json_input(text, from);  // the same mistake, named by line and column
    throw errors::invalid_argument(from + " is not valid JSON (" + ec.message() + ")");
  }
  if (!value.is_array()) throw errors::invalid_argument(from + " must be a JSON array of events");
  std::vector<Event> events;
  for (const auto& item : value.get_array())
    events.push_back(parse_event(item, "batch event #" + std::to_string(events.size() + 1)));
  return events;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<Event> events, expected;
  std::optional<Error> expected_error;
  try {
    expected = reference_events(fuzz::as_text(data, size));
  } catch (const Error& e) {
    expected_error = e;
  }
  try {
    events = parse_events(fuzz::as_text(data, size), "fuzz");
  } catch (const Error& e) {
    FUZZ_CHECK_SAYING(e.code() == "cli.invalid_argument", e.what());
    FUZZ_CHECK_SAYING(expected_error && std::string_view(e.what()) == expected_error->what(), e.what());
    FUZZ_CHECK(e.details() == expected_error->details());
    return 0;
  }
  FUZZ_CHECK_SAYING(!expected_error, expected_error ? expected_error->what() : "");
  FUZZ_CHECK(std::equal(events.begin(), events.end(), expected.begin(), expected.end(), [](const Event& a, const Event& b) {
    return same(a, b) && a.condition == b.condition;
  }));
  for (const auto& e : events) {
    FUZZ_CHECK(e.operation != Operation::batch);
    FUZZ_CHECK(e.operation == Operation::write || e.content.empty());
    FUZZ_CHECK(e.operation != Operation::check || e.condition);
  }

  std::string wire = serialize(Event::batch(events), 42);
  json::value sent = json::parse(wire);
  const auto& operations = sent.at("operations").as_array();
  FUZZ_CHECK(operations.size() == events.size());
  FUZZ_CHECK(sent.at("id") == 42 && sent.at("contract_version") == version);
  for (std::size_t i = 0; i < events.size(); ++i) {
    Event back = parse_event(operations[i], "sent event");
    FUZZ_CHECK_SAYING(same(back, events[i]) && back.condition == events[i].condition, wire);
  }
  return 0;
}
