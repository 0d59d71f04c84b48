// Fuzz target: the input of `homeboy storage batch`, through contract::parse_events.
//
// Invariants: bad input is a cli.invalid_argument, never another error; accepted events are
// never batches, and sent to a provider (serialize) they read back as the same events.

#include "fuzz_support.hpp"

#include "homeboy/contract.hpp"

#include <boost/json.hpp>

namespace json = boost::json;
using namespace homeboy;
using namespace homeboy::contract;

namespace {

bool same(const Event& a, const Event& b) {
  return a.operation == b.operation && a.path == b.path && a.content == b.content &&
         a.is_directory == b.is_directory && a.operations.empty() && b.operations.empty();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<Event> events;
  try {
    events = parse_events(fuzz::as_text(data, size), "fuzz");
  } catch (const Error& e) {
    FUZZ_CHECK_SAYING(e.code() == "cli.invalid_argument", e.what());
    return 0;
  }
  for (const auto& e : events) {
    FUZZ_CHECK(e.operation != Operation::batch);
    FUZZ_CHECK(e.operation == Operation::write || e.content.empty());
  }

  std::string wire = serialize(Event::batch(events), 42);
  json::value sent = json::parse(wire);
  const auto& operations = sent.at("operations").as_array();
  FUZZ_CHECK(operations.size() == events.size());
  FUZZ_CHECK(sent.at("id") == 42 && sent.at("contract_version") == version);
  for (std::size_t i = 0; i < events.size(); ++i) {
    Event back = parse_event(operations[i], "sent event");
    FUZZ_CHECK_SAYING(same(back, events[i]), wire);
  }
  return 0;
}
