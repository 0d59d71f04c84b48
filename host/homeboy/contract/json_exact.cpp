#include "homeboy/contract/json_exact.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>

#include <unordered_set>
#include <vector>

namespace json = boost::json;

namespace homeboy::exact_json {

namespace {

// Not UTF-8 (0xFF never is), so no parsed key can be it.
constexpr std::string_view literal_key = "\xFF#number";

// Builds the value as Boost.JSON's own parser does, but with every number's text at hand
// (on_int64 and friends receive it) and each object's keys, to refuse a repeated one.
struct Builder {
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  json::value_stack stack;
  std::string number_text, key_text, duplicate;
  std::vector<std::unordered_set<std::string>> keys;  // of each object being read

  void push_literal() {
    stack.push_key(literal_key);
    stack.push_string(number_text);
    stack.push_object(1);
    number_text.clear();
  }

  bool on_document_begin(json::error_code&) {
    stack.reset();
    return true;
  }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) {
    keys.emplace_back();
    return true;
  }
  bool on_object_end(std::size_t n, json::error_code&) {
    keys.pop_back();
    stack.push_object(n);
    return true;
  }
  bool on_array_begin(json::error_code&) { return true; }
  bool on_array_end(std::size_t n, json::error_code&) {
    stack.push_array(n);
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    key_text.append(s.data(), s.size());
    stack.push_chars(s);
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code& ec) {
    key_text.append(s.data(), s.size());
    if (!keys.back().insert(key_text).second) {
      duplicate = std::move(key_text);
      ec = json::error::syntax;
      return false;
    }
    key_text.clear();
    stack.push_key(s);
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    stack.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    stack.push_string(s);
    return true;
  }
  bool on_number_part(json::string_view s, json::error_code&) {
    number_text.append(s.data(), s.size());
    return true;
  }
  bool on_int64(std::int64_t i, json::string_view s, json::error_code&) {
    number_text.append(s.data(), s.size());
    if (number_text == "-0") {  // an int64 has no negative zero
      push_literal();
    } else {
      stack.push_int64(i);
      number_text.clear();
    }
    return true;
  }
  bool on_uint64(std::uint64_t u, json::string_view, json::error_code&) {
    stack.push_uint64(u);
    number_text.clear();
    return true;
  }
  bool on_double(double, json::string_view s, json::error_code&) {
    number_text.append(s.data(), s.size());
    push_literal();
    return true;
  }
  bool on_bool(bool b, json::error_code&) {
    stack.push_bool(b);
    return true;
  }
  bool on_null(json::error_code&) {
    stack.push_null();
    return true;
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }
};

bool only_whitespace(std::string_view s) { return s.find_first_not_of(" \t\r\n") == std::string_view::npos; }

}  // namespace

json::value number(std::string_view literal) {
  json::object box;
  box.emplace(literal_key, json::string(literal));
  return box;
}

std::optional<std::string_view> number_literal(const json::value& v) noexcept {
  if (!v.is_object()) return std::nullopt;
  const auto& box = v.get_object();
  if (box.size() != 1 || box.begin()->key() != literal_key || !box.begin()->value().is_string()) return std::nullopt;
  const auto& text = box.begin()->value().get_string();
  return std::string_view(text.data(), text.size());
}

std::optional<std::string> number_text(const json::value& v) {
  if (v.is_int64()) return std::to_string(v.get_int64());
  if (v.is_uint64()) return std::to_string(v.get_uint64());
  if (auto literal = number_literal(v)) return std::string(*literal);
  return std::nullopt;
}

std::optional<json::value> parse(std::string_view text, std::size_t max_depth, Failure& failure) {
  json::parse_options options;
  options.max_depth = max_depth;
  json::basic_parser<Builder> parser(options);
  json::error_code ec;
  std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
  if (!ec && !only_whitespace(text.substr(used))) ec = json::error::extra_data;
  if (ec) {
    auto& duplicate = parser.handler().duplicate;
    failure.offset = std::min(used, text.size());
    if (!duplicate.empty()) failure.duplicate_key = duplicate;
    failure.reason = !duplicate.empty()                       ? "the key \"" + duplicate + "\" is given twice"
                     : ec == json::error::too_deep             ? "nested deeper than " + std::to_string(max_depth) + " levels"
                     : ec == json::error::extra_data           ? "more than one value"
                                                               : ec.message();
    return std::nullopt;
  }
  return parser.handler().stack.release();
}

}  // namespace homeboy::exact_json
