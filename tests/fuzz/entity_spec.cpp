// Fuzz target: the JSON a user gives `homeboy project|server|component set` (parsed as the
// CLI's read_spec does) deep-merged into a stored document, then written as the config
// store writes it. The input is "DOCUMENT\n---\nPATCH"; with no separator it is a document
// and the patch is empty.
//
// Invariants: an empty patch changes nothing; untouched keys keep their values, null removes,
// scalars replace, arrays union (or replace when the field is named), objects stay objects;
// the reported fields are exactly those whose value changed; merging the same patch again
// changes nothing; the written document parses back to the same value (doubles to within an
// ulp, see same_json).

#include "fuzz_support.hpp"

#include "homeboy/config/config_store.hpp"
#include "homeboy/contract/json_text.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <set>
#include <string>

namespace json = boost::json;
using namespace homeboy;

namespace {

bool has_nan(const json::value& v) {
  if (v.is_double()) return std::isnan(v.get_double());
  if (v.is_array()) return std::any_of(v.get_array().begin(), v.get_array().end(), has_nan);
  if (v.is_object())
    return std::any_of(v.get_object().begin(), v.get_object().end(), [](const auto& kv) { return has_nan(kv.value()); });
  return false;
}

// JSON text cannot say NaN, but Boost.JSON 1.81 reads a zero with a huge exponent (0e400) as
// one, and NaN equals nothing, itself included: such documents are out of this target's scope
// (homeboy writes a NaN as null, see json_text.cpp).
std::optional<json::object> parse_object(std::string_view text) {
  json::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec || !value.is_object() || has_nan(value)) return std::nullopt;
  return std::move(value.as_object());
}

// The dotted path of every field of `patch` at any depth: --replace naming them all.
void all_paths(const json::object& patch, const std::string& prefix, std::set<std::string>& out) {
  for (const auto& kv : patch) {
    std::string path = prefix.empty() ? std::string(kv.key()) : prefix + "." + std::string(kv.key());
    out.insert(path);
    if (kv.value().is_object()) all_paths(kv.value().get_object(), path, out);
  }
}

// Equal, except that doubles may differ in their last bits: Boost.JSON 1.81 (Debian 12) parses
// numbers to within an ulp, not always to the nearest double (exact parsing came in 1.83).
bool same_json(const json::value& a, const json::value& b) {
  if (a.is_double() && b.is_double()) {
    double x = a.get_double(), y = b.get_double();
    return x == y || std::fabs(x - y) <= 4 * (std::numeric_limits<double>::epsilon() * std::fabs(x) +
                                                std::numeric_limits<double>::denorm_min());
  }
  if (a.is_object() && b.is_object()) {
    const auto &p = a.get_object(), &q = b.get_object();
    if (p.size() != q.size()) return false;
    for (auto i = p.begin(), j = q.begin(); i != p.end(); ++i, ++j)
      if (i->key() != j->key() || !same_json(i->value(), j->value())) return false;
    return true;
  }
  if (a.is_array() && b.is_array()) {
    const auto &p = a.get_array(), &q = b.get_array();
    return std::equal(p.begin(), p.end(), q.begin(), q.end(), same_json);
  }
  return a == b;
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
    if (wanted.is_object()) {
      FUZZ_CHECK(after->is_object());
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
  FUZZ_CHECK_SAYING(read_back && same_json(*read_back, merged), written);
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
