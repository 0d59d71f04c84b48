#include "homeboy/modules/secrets.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

namespace json = boost::json;

namespace homeboy::secrets {

namespace {

constexpr std::size_t shortest_scrubbed = 3;

struct Span {
  std::size_t at, size;
  enum class Form { plain, quoted, percent } form;
};

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

bool is_scheme_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
}

// Where the passwords of `s` are written: URI userinfo ("scheme://user:PW@host"), URI
// parameters ("?password=PW", "&password=PW") and key=value pairs ("password=PW",
// "password = 'P W'"), in text order.
std::vector<Span> spans(std::string_view s) {
  std::vector<Span> out;
  for (std::size_t at = s.find("://"); at != std::string_view::npos; at = s.find("://", at + 3)) {
    std::size_t start = at;
    while (start > 0 && is_scheme_char(s[start - 1])) --start;
    if (start == at || !std::isalpha(static_cast<unsigned char>(s[start]))) continue;
    std::size_t begin = at + 3, end = begin;
    while (end < s.size() && s[end] != '/' && s[end] != '?' && s[end] != '#' && !is_space(s[end])) ++end;
    std::string_view authority = s.substr(begin, end - begin);
    auto user_end = authority.rfind('@');
    if (user_end == std::string_view::npos) continue;
    auto colon = authority.substr(0, user_end).find(':');
    if (colon == std::string_view::npos || colon + 1 == user_end) continue;
    out.push_back({begin + colon + 1, user_end - colon - 1, Span::Form::percent});
  }
  constexpr std::string_view key = "password";
  for (std::size_t at = s.find(key); at != std::string_view::npos; at = s.find(key, at + 1)) {
    char before = at == 0 ? ' ' : s[at - 1];
    bool parameter = before == '?' || before == '&';
    if (!parameter && !is_space(before)) continue;
    std::size_t i = at + key.size();
    while (!parameter && i < s.size() && is_space(s[i])) ++i;
    if (i >= s.size() || s[i] != '=') continue;
    ++i;
    while (!parameter && i < s.size() && is_space(s[i])) ++i;
    if (!parameter && i < s.size() && s[i] == '\'') {
      std::size_t start = ++i;
      for (; i < s.size() && s[i] != '\''; ++i)
        if (s[i] == '\\') ++i;
      i = std::min(i, s.size());
      if (i > start) out.push_back({start, i - start, Span::Form::quoted});
      continue;
    }
    std::size_t start = i;
    while (i < s.size() && !is_space(s[i]) && !(parameter && (s[i] == '&' || s[i] == '#'))) ++i;
    if (i > start) out.push_back({start, i - start, parameter ? Span::Form::percent : Span::Form::plain});
  }
  std::sort(out.begin(), out.end(), [](const Span& a, const Span& b) { return a.at < b.at; });
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The password as the server gets it.
std::string decoded(std::string_view written, Span::Form form) {
  std::string out;
  for (std::size_t i = 0; i < written.size(); ++i) {
    if (form == Span::Form::quoted && written[i] == '\\' && i + 1 < written.size()) {
      out += written[++i];
    } else if (form == Span::Form::percent && written[i] == '%' && i + 2 < written.size() &&
               hex_value(written[i + 1]) >= 0 && hex_value(written[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(written[i + 1]) * 16 + hex_value(written[i + 2]));
      i += 2;
    } else {
      out += written[i];
    }
  }
  return out;
}

void add(std::vector<std::string>& out, std::string value) {
  if (value.size() < shortest_scrubbed) return;
  if (std::find(out.begin(), out.end(), value) == out.end()) out.push_back(std::move(value));
}

// Every string in `v`, each as a secret.
void collect_strings(const json::value& v, std::vector<std::string>& out) {
  if (v.is_string()) add(out, std::string(v.get_string()));
  if (v.is_array())
    for (const auto& item : v.get_array()) collect_strings(item, out);
  if (v.is_object())
    for (const auto& kv : v.get_object()) collect_strings(kv.value(), out);
}

// The passwords in every string of `v`.
void collect_passwords(const json::value& v, std::vector<std::string>& out) {
  if (v.is_string())
    for (auto& p : passwords_in(v.get_string())) add(out, std::move(p));
  if (v.is_array())
    for (const auto& item : v.get_array()) collect_passwords(item, out);
  if (v.is_object())
    for (const auto& kv : v.get_object()) collect_passwords(kv.value(), out);
}

json::value redacted(const json::value& v) {
  if (v.is_string()) return json::value(redact_text(v.get_string()));
  if (v.is_array()) {
    json::array out;
    for (const auto& item : v.get_array()) out.push_back(redacted(item));
    return out;
  }
  if (v.is_object()) {
    json::object out;
    for (const auto& kv : v.get_object()) out[kv.key()] = redacted(kv.value());
    return out;
  }
  return v;
}

bool declared(const StorageProvider& provider, std::string_view key) {
  return std::find(provider.secrets.begin(), provider.secrets.end(), key) != provider.secrets.end();
}

bool empty_value(const json::value& v) { return v.is_null() || (v.is_string() && v.get_string().empty()); }

}  // namespace

std::vector<std::string> passwords_in(std::string_view text) {
  std::vector<std::string> out;
  for (const auto& span : spans(text)) {
    std::string written(text.substr(span.at, span.size));
    std::string used = decoded(written, span.form);
    if (used != written) out.push_back(std::move(used));
    out.push_back(std::move(written));
  }
  return out;
}

std::string redact_text(std::string_view text) {
  std::string out(text);
  auto found = spans(text);
  for (auto it = found.rbegin(); it != found.rend(); ++it) out.replace(it->at, it->size, mask);
  return out;
}

json::object redacted_config(const StorageProvider& provider) {
  json::object out;
  for (const auto& kv : provider.config)
    out[kv.key()] = declared(provider, kv.key()) && !empty_value(kv.value()) ? json::value(mask) : redacted(kv.value());
  return out;
}

std::vector<std::string> secret_values(const StorageProvider& provider) {
  std::vector<std::string> out;
  for (const auto& kv : provider.config) {
    if (declared(provider, kv.key()))
      collect_strings(kv.value(), out);
    else
      collect_passwords(kv.value(), out);
  }
  return out;
}

bool holds_secret(const StorageProvider& provider) {
  for (const auto& kv : provider.config)
    if (declared(provider, kv.key()) ? !empty_value(kv.value()) : redacted(kv.value()) != kv.value()) return true;
  return false;
}

std::string scrub(std::string text, const std::vector<std::string>& values) {
  std::vector<const std::string*> longest_first;
  for (const auto& v : values)
    if (!v.empty()) longest_first.push_back(&v);
  std::sort(longest_first.begin(), longest_first.end(), [](auto* a, auto* b) { return a->size() > b->size(); });
  for (const auto* value : longest_first)
    for (std::size_t at = text.find(*value); at != std::string::npos; at = text.find(*value, at + mask.size()))
      text.replace(at, value->size(), mask);
  return text;
}

}  // namespace homeboy::secrets
