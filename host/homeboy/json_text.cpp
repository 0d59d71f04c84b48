#include "homeboy/json_text.hpp"

#include "homeboy/text.hpp"

#include <boost/json.hpp>

#include <cmath>

namespace json = boost::json;

namespace homeboy {

namespace {

// JSON text is UTF-8: a string holding other bytes is shown with them as \xNN.
void write_string(std::string& out, std::string_view s) {
  if (text::is_utf8(s))
    out += json::serialize(json::string_view(s.data(), s.size()));
  else
    out += json::serialize(json::string_view(text::printable_utf8(s)));
}

// `depth` < 0: all on one line, no spaces.
void write_value(std::string& out, const json::value& v, int depth) {
  bool one_line = depth < 0;
  auto indent = [&](int d) {
    if (!one_line) out.append(static_cast<std::size_t>(d) * 2, ' ');
  };
  auto newline = [&] {
    if (!one_line) out += '\n';
  };
  auto deeper = [&] { return one_line ? depth : depth + 1; };
  switch (v.kind()) {
    case json::kind::object: {
      const auto& obj = v.get_object();
      if (obj.empty()) {
        out += "{}";
        return;
      }
      out += '{';
      newline();
      bool first = true;
      for (const auto& kv : obj) {
        if (!first) out += ',';
        if (!first) newline();
        first = false;
        indent(depth + 1);
        write_string(out, kv.key());
        out += one_line ? ":" : ": ";
        write_value(out, kv.value(), deeper());
      }
      newline();
      indent(depth);
      out += '}';
      return;
    }
    case json::kind::array: {
      const auto& arr = v.get_array();
      if (arr.empty()) {
        out += "[]";
        return;
      }
      out += '[';
      newline();
      for (std::size_t i = 0; i < arr.size(); ++i) {
        if (i) out += ',';
        if (i) newline();
        indent(depth + 1);
        write_value(out, arr[i], deeper());
      }
      newline();
      indent(depth);
      out += ']';
      return;
    }
    case json::kind::string:
      write_string(out, v.get_string());
      return;
    case json::kind::double_:
      // JSON has no infinity (1e400 parses to one) and Boost.JSON 1.81 writes "Infinity", which
      // no parser reads back: a config document holding it could not be read again.
      // 1e99999 reads back as the same infinity; a NaN (never parsed) is null.
      if (std::isinf(v.get_double())) {
        out += v.get_double() > 0 ? "1e99999" : "-1e99999";
        return;
      }
      out += std::isnan(v.get_double()) ? std::string("null") : json::serialize(v);
      return;
    default:
      out += json::serialize(v);
  }
}

}  // namespace

std::string pretty(const json::value& value) {
  std::string out;
  write_value(out, value, 0);
  return out;
}

std::string compact(const json::value& value) {
  std::string out;
  write_value(out, value, -1);
  return out;
}

}  // namespace homeboy
