// Fuzz target: the JSON a user gives `homeboy project|server|component set` (parsed exactly,
// as the CLI's read_spec does) deep-merged into a stored document, then written as the config
// store writes it. The input is "DOCUMENT\n---\nPATCH"; with no separator it is a document
// and the patch is empty.
//
// Invariants: an empty patch changes nothing; untouched keys keep their values, null removes,
// scalars (numbers as written included) replace, arrays union (or replace when the field is
// named), objects stay objects; the reported fields are exactly those whose value changed;
// merging the same patch again changes nothing; the written document reads back exactly
// equal, every number with the text it was given.

#include "fuzz_support.hpp"

#include "homeboy/config/document.hpp"
#include "homeboy/contract/json_exact.hpp"
#include "homeboy/contract/json_text.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <optional>
#include <set>
#include <string>

namespace json = boost::json;
using namespace homeboy;

namespace {

std::optional<json::object> parse_object(std::string_view text) {
  exact_json::Failure failure;
  auto value = exact_json::parse(text, 32, failure);
  if (!value || !value->is_object() || exact_json::number_literal(*value)) return std::nullopt;
  return std::move(value->as_object());
}

bool is_record(const json::value& v) { return v.is_object() && !exact_json::number_literal(v); }

// The dotted path of every field of `patch` at any depth: --replace naming them all.
void all_paths(const json::object& patch, const std::string& prefix, std::set<std::string>& out) {
  for (const auto& kv : patch) {
    std::string path = prefix.empty() ? std::string(kv.key()) : prefix + "." + std::string(kv.key());
    out.insert(path);
    if (is_record(kv.value())) all_paths(kv.value().get_object(), path, out);
  }
}

bool is_prefix(const json::array& head, const json::array& whole) {
  return head.size() <= whole.size() && std::equal(head.begin(), head.end(), whole.begin());
}

void check_merge(const json::object& doc, const json::object& patch, const std::set<std::string>& replace,
                 bool top_level_replaced) {
  json::object merged = doc;
  auto changed = deep_merge(merged, patch, replace);

  std::set<std::string> reported(changed.begin(), changed.end());
  FUZZ_CHECK(reported.size() == changed.size());
  for (const auto& kv : doc)
    if (!patch.contains(kv.key())) FUZZ_CHECK(merged.if_contains(kv.key()) && merged.at(kv.key()) == kv.value());
  for (const auto& kv : patch) {
    const json::value* before = doc.if_contains(kv.key());
    const json::value* after = merged.if_contains(kv.key());
    const json::value& wanted = kv.value();
    bool differs = !before != !after || (before && after && *before != *after);
    FUZZ_CHECK(reported.count(std::string(kv.key())) == (differs ? 1u : 0u));
    if (wanted.is_null()) {
      FUZZ_CHECK(!after);
      continue;
    }
    FUZZ_CHECK(after);
    if (is_record(wanted)) {
      FUZZ_CHECK(is_record(*after));
    } else if (wanted.is_array() && before && before->is_array() && !top_level_replaced) {
      FUZZ_CHECK(after->is_array() && is_prefix(before->get_array(), after->get_array()));
      for (const auto& item : wanted.get_array())
        FUZZ_CHECK(std::find(after->get_array().begin(), after->get_array().end(), item) != after->get_array().end());
    } else {
      FUZZ_CHECK(*after == wanted);
    }
  }

  json::object twice = merged;
  FUZZ_CHECK(deep_merge(twice, patch, replace).empty());
  FUZZ_CHECK(twice == merged);

  std::string written = pretty(merged);
  auto read_back = parse_object(written);
  FUZZ_CHECK_SAYING(read_back && *read_back == merged, written);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto parts = fuzz::split_at(fuzz::as_text(data, size), "\n---\n");
  auto doc = parse_object(parts.first);
  auto patch = parts.found ? parse_object(parts.second) : std::optional<json::object>(json::object{});
  if (!doc || !patch) return -1;

  json::object unchanged = *doc;
  FUZZ_CHECK(deep_merge(unchanged, json::object{}, {}).empty());
  FUZZ_CHECK(unchanged == *doc);

  check_merge(*doc, *patch, {}, false);
  std::set<std::string> every_field;
  all_paths(*patch, "", every_field);
  check_merge(*doc, *patch, every_field, true);
  return 0;
}
