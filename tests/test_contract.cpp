// The storage contract's validator, rule by rule (DESIGN.md section 3).
#define BOOST_TEST_MODULE contract
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "homeboy/contract/contract.hpp"
#include "homeboy/contract/json_text.hpp"

using namespace homeboy;
using namespace homeboy::contract;

namespace {

const Origin origin{"demo-module"};

// Parses and validates as the facade does; returns the rule broken, or "" when valid.
std::string broken_rule(const std::string& text, const Event& event) {
  try {
    auto r = parse_response(text, event, origin);
    validate_response(r, event, origin);
    return "";
  } catch (const Error& e) {
    BOOST_TEST(e.code() == "storage.contract_violation");
    BOOST_TEST(std::string(e.what()).find("demo-module") != std::string::npos, "the message names the module");
    return std::string(e.details().at("rule").as_string());
  }
}

Event batch_of_two() { return Event::batch({Event::read("/a"), Event::read("/b")}); }

}  // namespace

BOOST_AUTO_TEST_CASE(valid_responses_pass) {
  BOOST_TEST(broken_rule(R"({"success":true,"data":""})", Event::read("/a")) == "");
  BOOST_TEST(broken_rule(R"({"success":true,"entries":[]})", Event::list("/a")) == "");
  BOOST_TEST(broken_rule(R"({"success":true})", Event::write("/a", "x")) == "");
  BOOST_TEST(broken_rule(R"({"success":false,"error":"gone","error_code":"not_found"})", Event::read("/a")) == "");
  BOOST_TEST(broken_rule("{\"success\":true,\"error\":null}\n", Event::remove("/a")) == "");
}

BOOST_AUTO_TEST_CASE(anything_but_one_json_object_is_a_violation) {
  auto read = Event::read("/a");
  BOOST_TEST(broken_rule("", read) == "response_empty");
  BOOST_TEST(broken_rule("  \n", read) == "response_empty");
  BOOST_TEST(broken_rule("this is not json", read) == "response_not_json");
  BOOST_TEST(broken_rule(R"({"success": tr)", read) == "response_not_json");
  BOOST_TEST(broken_rule(R"({"success":true,"data":""}{"success":true,"data":""})", read) == "response_not_json");
  BOOST_TEST(broken_rule(R"([{"success":true}])", read) == "response_not_object");
  BOOST_TEST(broken_rule("42", read) == "response_not_object");
}

BOOST_AUTO_TEST_CASE(success_must_be_a_boolean_and_fields_typed) {
  auto read = Event::read("/a");
  BOOST_TEST(broken_rule(R"({"data":"x"})", read) == "field_type");
  BOOST_TEST(broken_rule(R"({"success":"yes","data":"x"})", read) == "field_type");
  BOOST_TEST(broken_rule(R"({"success":true,"data":5})", read) == "field_type");
  BOOST_TEST(broken_rule(R"({"success":false,"error":["x"]})", read) == "field_type");
  BOOST_TEST(broken_rule(R"({"success":true,"entries":{}})", Event::list("/a")) == "field_type");
}

BOOST_AUTO_TEST_CASE(success_with_error_is_a_violation) {
  BOOST_TEST(broken_rule(R"({"success":true,"error":"x"})", Event::write("/a", "")) == "success_with_error");
}

BOOST_AUTO_TEST_CASE(failure_without_error_is_a_violation) {
  BOOST_TEST(broken_rule(R"({"success":false})", Event::read("/a")) == "failure_without_error");
  BOOST_TEST(broken_rule(R"({"success":false,"error":""})", Event::read("/a")) == "failure_without_error");
}

BOOST_AUTO_TEST_CASE(read_without_data_is_a_violation) {
  BOOST_TEST(broken_rule(R"({"success":true})", Event::read("/a")) == "read_without_data");
}

BOOST_AUTO_TEST_CASE(list_without_entries_is_a_violation) {
  BOOST_TEST(broken_rule(R"({"success":true})", Event::list("/a")) == "list_without_entries");
}

BOOST_AUTO_TEST_CASE(every_entry_needs_a_string_path_and_a_boolean_is_directory) {
  auto list = Event::list("/a");
  BOOST_TEST(broken_rule(R"({"success":true,"entries":[{"path":"/a/b"}]})", list) == "entry_shape");
  BOOST_TEST(broken_rule(R"({"success":true,"entries":[{"path":1,"is_directory":false}]})", list) == "entry_shape");
  BOOST_TEST(broken_rule(R"({"success":true,"entries":[{"path":"/a/b","is_directory":"no"}]})", list) == "entry_shape");
  BOOST_TEST(broken_rule(R"({"success":true,"entries":["/a/b"]})", list) == "entry_shape");
}

BOOST_AUTO_TEST_CASE(batch_needs_one_result_per_operation) {
  BOOST_TEST(broken_rule(R"({"success":true})", batch_of_two()) == "batch_without_results");
  BOOST_TEST(broken_rule(R"({"success":true,"results":[{"success":true,"data":""}]})", batch_of_two()) ==
             "batch_result_count");
  BOOST_TEST(broken_rule(
                 R"({"success":true,"results":[{"success":true,"data":""},{"success":true,"data":""},{"success":true,"data":""}]})",
                 batch_of_two()) == "batch_result_count");
  BOOST_TEST(broken_rule(R"({"success":true,"results":[{"success":true,"data":""},{"success":true}]})",
                         batch_of_two()) == "read_without_data");
}

BOOST_AUTO_TEST_CASE(overall_success_must_agree_with_the_results) {
  BOOST_TEST(broken_rule(
                 R"({"success":true,"overall_success":true,"results":[{"success":true,"data":""},{"success":false,"error":"x"}]})",
                 batch_of_two()) == "overall_success_mismatch");
  BOOST_TEST(broken_rule(
                 R"({"success":true,"overall_success":false,"results":[{"success":true,"data":""},{"success":false,"error":"x"}]})",
                 batch_of_two()) == "");
}

BOOST_AUTO_TEST_CASE(error_codes_are_read_and_default_to_io_error) {
  auto r = parse_response(R"({"success":false,"error":"x","error_code":"not_found"})", Event::read("/a"), origin);
  BOOST_TEST((r.effective_error_code() == ErrorCode::not_found));
  r = parse_response(R"({"success":false,"error":"x"})", Event::read("/a"), origin);
  BOOST_TEST((r.effective_error_code() == ErrorCode::io_error));
  r = parse_response(R"({"success":false,"error":"x","error_code":"from_the_future"})", Event::read("/a"), origin);
  BOOST_TEST((r.effective_error_code() == ErrorCode::io_error));
}

BOOST_AUTO_TEST_CASE(violation_message_names_module_operation_rule_and_excerpt) {
  try {
    auto r = parse_response(R"({"success":true,"error":"x"})", Event::write("/a", ""), origin);
    validate_response(r, Event::write("/a", ""), origin);
    BOOST_FAIL("expected a violation");
  } catch (const Error& e) {
    std::string msg = e.what();
    BOOST_TEST(msg.find("demo-module") != std::string::npos);
    BOOST_TEST(msg.find("'write'") != std::string::npos);
    BOOST_TEST(msg.find("success_with_error") != std::string::npos);
    BOOST_TEST(msg.find("\"error\":\"x\"") != std::string::npos);
    BOOST_TEST((e.exit_code() == ExitCode::failure));
  }
}

BOOST_AUTO_TEST_CASE(events_carry_the_contract_version_and_exact_content) {
  std::string tricky = "a\n\n-n \\t \xC3\xA9 \"q\" \x01\n";
  auto text = serialize(Event::write("/x/a.txt", tricky));
  auto value = boost::json::parse(text).as_object();
  BOOST_TEST(value.at("contract_version").as_int64() == contract::version);
  BOOST_TEST(value.at("operation").as_string() == "write");
  BOOST_TEST(std::string(value.at("content").as_string()) == tricky);
  BOOST_TEST(text.find('\n') == std::string::npos, "one line");
  auto batch = boost::json::parse(serialize(Event::batch({Event::remove("/a", true)}), 7)).as_object();
  BOOST_TEST(batch.at("id").as_int64() == 7);
  BOOST_TEST(batch.at("operations").as_array()[0].as_object().at("operation").as_string() == "delete");
  BOOST_TEST(batch.at("operations").as_array()[0].as_object().at("is_directory").as_bool());
}

BOOST_AUTO_TEST_CASE(user_events_are_checked_with_their_position) {
  auto bad = [](const char* text) {
    try {
      parse_event(boost::json::parse(text), "batch event #3");
      return std::string();
    } catch (const Error& e) {
      BOOST_TEST(e.code() == "cli.invalid_argument");
      return std::string(e.what());
    }
  };
  BOOST_TEST(bad(R"({"operation":"read","path":"/a"})") == "");
  BOOST_TEST(bad(R"({"operation":"rename","path":"/a"})").find("batch event #3: unknown operation") == 0);
  BOOST_TEST(bad(R"({"operation":"write","path":"/a"})").find("content") != std::string::npos);
  BOOST_TEST(bad(R"({"operation":"read"})").find("path") != std::string::npos);
  BOOST_TEST(bad(R"([1])").find("object") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bytes_that_are_not_utf8_cross_json_as_base64_both_ways) {
  // Latin-1 names, a binary hash as a version, and content that is not text: JSON text
  // cannot hold them, so each goes as "<field>_base64" and comes back byte for byte.
  const std::string path = "/caf\xE9/\xFF\x00x";
  const std::string content = std::string("\x00\x01\xFE\xFF", 4);
  const std::string version = "v\x80\x81";
  Event write = Event::write(path, content, Condition::matching(version));
  auto line = serialize(write, 3);
  auto sent = boost::json::parse(line).as_object();
  BOOST_TEST(sent.contains("path_base64"));
  BOOST_TEST(sent.contains("content_base64"));
  BOOST_TEST(sent.contains("if_version_base64"));
  Event back = parse_event(sent, "request");
  BOOST_TEST(back.path == path);
  BOOST_TEST(back.content == content);
  BOOST_TEST((back.condition == Condition::matching(version)));

  Response r = Response::ok();
  r.data = content;
  r.version = version;
  r.entries = std::vector<Entry>{{"/caf\xE9/a", false}, {"/plain", true}};
  auto answered = boost::json::serialize(to_json(r));
  auto parsed = parse_response(answered, Event::list("/caf\xE9"), origin);
  BOOST_TEST((parsed.data == r.data));
  BOOST_TEST((parsed.version == r.version));
  BOOST_TEST((parsed.entries == r.entries));
  BOOST_TEST(answered.find("\"path\":\"/plain\"") != std::string::npos, "UTF-8 stays plain text");

  BOOST_TEST(broken_rule(R"({"success":true,"data":"a","data_base64":"YQ=="})", Event::read("/a")) == "field_type");
  BOOST_TEST(broken_rule(R"({"success":true,"version_base64":"%%%","data":"a"})", Event::read("/a")) == "bad_base64");
  BOOST_TEST(broken_rule(R"({"success":true,"entries":[{"path":"/a","path_base64":"L2E=","is_directory":false}]})",
                         Event::list("/")) == "entry_shape");
}

BOOST_AUTO_TEST_CASE(a_batch_from_user_input_keeps_paths_as_given_and_names_the_faulty_event) {
  auto events = parse_events(R"([{"operation":"write","path":"notes/a","content":"x"},
                                 {"operation":"delete","path":"/d","is_directory":true}])",
                             "stdin");
  BOOST_TEST(events.size() == 2u);
  BOOST_TEST(events[0].path == "notes/a");
  BOOST_TEST(events[0].content == "x");
  BOOST_TEST(events[1].is_directory);
  auto bad = [](const char* text) {
    try {
      parse_events(text, "batch.json");
      return std::string();
    } catch (const Error& e) {
      BOOST_TEST(e.code() == "cli.invalid_argument");
      return std::string(e.what());
    }
  };
  BOOST_TEST(bad("[").find("batch input from batch.json is not valid JSON") == 0);
  BOOST_TEST(bad("{}").find("must be a JSON array") != std::string::npos);
  BOOST_TEST(bad(R"([{"operation":"read","path":"/a"},{"operation":"batch","path":"/b"}])").find("batch event #2") == 0);
  BOOST_TEST(parse_events("[]", "stdin").empty());
}

BOOST_AUTO_TEST_CASE(list_entries_must_be_absolute_immediate_children_named_once) {
  auto list = Event::list("/d");
  BOOST_TEST(broken_rule(R"({"success":true,"entries":[{"path":"/d/a","is_directory":false}]})", list) == "");
  BOOST_TEST(broken_rule(R"({"success":true,"entries":[{"path":"d/a","is_directory":false}]})", list) ==
             "entry_not_absolute");
  BOOST_TEST(broken_rule(R"({"success":true,"entries":[{"path":"/e/a","is_directory":false}]})", list) ==
             "entry_not_child");
  BOOST_TEST(broken_rule(R"({"success":true,"entries":[{"path":"/d/a/b","is_directory":false}]})", list) ==
             "entry_not_child");
  BOOST_TEST(broken_rule(R"({"success":true,"entries":[{"path":"/d","is_directory":true}]})", list) ==
             "entry_not_child");
  // Names no path may hold are no children either: a module cannot slip them past as entries.
  for (const char* name : {".", "..", ".homeboy-tmp", "x\\u0000y"})
    BOOST_TEST(broken_rule(std::string(R"({"success":true,"entries":[{"path":"/d/)") + name +
                               R"(","is_directory":true}]})",
                           list) == "entry_not_child",
               name);
  BOOST_TEST(broken_rule(R"({"success":true,"entries":[{"path":"/d/..a","is_directory":false}]})", list) == "");
  BOOST_TEST(broken_rule(R"({"success":true,"entries":[{"path":"/d/b","is_directory":false},{"path":"/d/a","is_directory":false},{"path":"/d/b","is_directory":true}]})",
                         list) == "entry_repeated");
  BOOST_TEST(broken_rule(R"({"success":true,"entries":[{"path":"/x","is_directory":false}]})", Event::list("/")) == "");
}

BOOST_AUTO_TEST_CASE(bytes_travel_as_base64_and_versions_have_a_shape) {
  auto read = Event::read("/a");
  auto r = parse_response(R"({"success":true,"data_base64":"AP8=","version":"v1"})", read, origin);
  BOOST_TEST(*r.data == std::string("\x00\xff", 2));
  BOOST_TEST(*r.version == "v1");
  BOOST_TEST(broken_rule(R"({"success":true,"data_base64":"not base64!"})", read) == "bad_base64");
  BOOST_TEST(broken_rule(R"({"success":true,"data_base64":"AP8"})", read) == "bad_base64");
  BOOST_TEST(broken_rule(R"({"success":true,"data":"x","data_base64":"eA=="})", read) == "field_type");
  BOOST_TEST(broken_rule(R"({"success":true,"data":"x","version":""})", read) == "version_shape");
  BOOST_TEST(broken_rule(R"({"success":true,"data":"x","version":")" + std::string(257, 'v') + "\"}", read) ==
             "version_shape");
  // Content that is not UTF-8 goes out as base64, and a batch input may carry it that way too.
  auto text = serialize(Event::write("/a", std::string("\xff\x00", 2)));
  auto event = boost::json::parse(text).as_object();
  BOOST_TEST(!event.contains("content"));
  BOOST_TEST(event.at("content_base64").as_string() == "/wA=");
  auto parsed = parse_event(boost::json::parse(R"({"operation":"write","path":"/a","content_base64":"/wA="})"), "e");
  BOOST_TEST(parsed.content == std::string("\xff\x00", 2));
}

BOOST_AUTO_TEST_CASE(conditions_are_serialized_and_parsed_for_write_and_delete_only) {
  auto w = boost::json::parse(serialize(Event::write("/a", "x", Condition::matching("v3")))).as_object();
  BOOST_TEST(w.at("if_version").as_string() == "v3");
  auto c = boost::json::parse(serialize(Event::write("/a", "x", Condition::absent()))).as_object();
  BOOST_TEST(c.at("if_absent").as_bool());
  auto d = parse_event(boost::json::parse(R"({"operation":"delete","path":"/a","if_version":"v9"})"), "e");
  BOOST_TEST((d.condition == Condition::matching("v9")));
  BOOST_CHECK_THROW(parse_event(boost::json::parse(R"({"operation":"read","path":"/a","if_version":"v9"})"), "e"), Error);
  BOOST_CHECK_THROW(parse_event(boost::json::parse(R"({"operation":"delete","path":"/a","if_absent":true})"), "e"), Error);
}

BOOST_AUTO_TEST_CASE(a_check_carries_its_condition_and_needs_one) {
  BOOST_TEST(serialize(Event::check("/a", Condition::absent())) ==
             R"({"operation":"check","path":"/a","if_absent":true,"contract_version":2})");
  BOOST_TEST(serialize(Event::check("/a", Condition::matching("7"))) ==
             R"({"operation":"check","path":"/a","if_version":"7","contract_version":2})");
  // What the host sends reads back as the same event, bytes that are not UTF-8 included.
  for (const Event& sent : {Event::check("/a", Condition::absent()), Event::check("/\xff", Condition::matching("v\x80"))}) {
    Event back = parse_event(boost::json::parse(serialize(sent)), "request");
    BOOST_TEST((back.operation == Operation::check));
    BOOST_TEST(back.path == sent.path);
    BOOST_TEST((back.condition == sent.condition));
  }
  auto refused = [](const char* text) {
    try {
      parse_event(boost::json::parse(text), "batch event #2");
      return std::string();
    } catch (const Error& e) {
      BOOST_TEST(e.code() == "cli.invalid_argument");
      return std::string(e.what());
    }
  };
  BOOST_TEST(refused(R"({"operation":"check","path":"/a"})") ==
             "batch event #2: a check needs a condition: \"if_version\" or \"if_absent\": true");
  BOOST_TEST(refused(R"({"operation":"check","path":"/a","if_absent":false})").find("needs a condition") !=
             std::string::npos);
  BOOST_TEST(refused(R"({"operation":"check","path":"/a","if_version":"1","if_absent":true})") ==
             "batch event #2: \"if_version\" and \"if_absent\" cannot both be set");
  BOOST_TEST(refused(R"({"operation":"read","path":"/a","if_absent":true})") ==
             "batch event #2: \"if_absent\" applies to write and check only");
  BOOST_TEST(refused(R"({"operation":"check","path":"/a","if_version_base64":"/w=="})") == "");
  // A successful check answers nothing more than success, alone and in a batch.
  BOOST_TEST(broken_rule(R"({"success":true})", Event::check("/a", Condition::absent())) == "");
  BOOST_TEST(broken_rule(R"({"success":false,"error":"exists: /a","error_code":"conflict"})",
                         Event::check("/a", Condition::absent())) == "");
  BOOST_TEST(broken_rule(R"({"success":true,"results":[{"success":true}]})",
                         Event::batch({Event::check("/a", Condition::absent())})) == "");
}

BOOST_AUTO_TEST_CASE(answers_nested_too_deep_are_not_json_and_quotes_stay_utf8) {
  std::string deep = R"({"success":true,"data":"x","extra":)" + std::string(40, '[') + std::string(40, ']') + "}";
  BOOST_TEST(broken_rule(deep, Event::read("/a")) == "response_not_json");
  try {
    parse_response("\xff\xfe not json", Event::read("/a"), origin);
    BOOST_FAIL("garbage was accepted");
  } catch (const Error& e) {
    std::string message = e.what();
    BOOST_TEST(message.find("\\xff\\xfe") != std::string::npos, message);
  }
}

BOOST_AUTO_TEST_CASE(an_answer_written_member_by_member_reads_as_its_json_model) {
  // The CLI writes large answers piece by piece (write_members); the text must be exactly
  // what pretty() makes of to_json(), escapes, base64 and nesting included.
  Response read_ok = Response::ok();
  read_ok.data = std::string("tab\t \"quoted\" \\ \x01 caf\xc3\xa9\n", 24);
  read_ok.version = "v1";
  Response binary = Response::ok();
  binary.data = std::string("\xff\x00\xfe", 3);
  Response listed = Response::ok();
  listed.entries = {{"/a/b", false}, {"/a/c", true}};
  Response empty_list = Response::ok();
  empty_list.entries.emplace();
  Response batch = Response::ok();
  batch.results = {read_ok, binary, listed, empty_list, Response::failure(ErrorCode::not_found, "gone: /a/\xff")};
  batch.overall_success = false;
  for (const Response& r : {read_ok, binary, listed, empty_list, batch, Response::failure(ErrorCode::conflict, "x")}) {
    JsonWriter out;
    out.begin_object();
    write_members(out, r);
    out.end_object();
    BOOST_TEST(out.text() == pretty(to_json(r)));
  }
}

BOOST_AUTO_TEST_CASE(events_are_compact_json_with_every_field_in_a_fixed_order) {
  BOOST_TEST(serialize(Event::read("/a")) == R"({"operation":"read","path":"/a","contract_version":2})");
  BOOST_TEST(serialize(Event::remove("/a \"b\"", true, Condition::matching("v\n1")), 7) ==
             R"({"operation":"delete","path":"/a \"b\"","is_directory":true,"if_version":"v\n1","contract_version":2,"id":7})");
  BOOST_TEST(serialize(Event::batch({Event::write("/a", std::string("x\x01\\\t", 4), Condition::absent()),
                                     Event::write("/b", std::string("\xff", 1)), Event::list("/")})) ==
             R"({"operation":"batch","operations":[{"operation":"write","path":"/a","content":"x\u0001\\\t","if_absent":true},)"
             R"({"operation":"write","path":"/b","content_base64":"/w=="},{"operation":"list","path":"/"}],"contract_version":2})");
}
