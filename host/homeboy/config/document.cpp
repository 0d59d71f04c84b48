#include "homeboy/config/document.hpp"

#include "homeboy/contract/json_exact.hpp"
#include "homeboy/contract/json_input.hpp"
#include "homeboy/contract/json_text.hpp"
#include "homeboy/contract/limits.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <map>
#include <set>

namespace json = boost::json;

namespace homeboy {

namespace {

// An object to merge into, as opposed to a number literal, which is one value.
bool mergeable(const json::value& v) { return v.is_object() && !exact_json::number_literal(v); }

void merge_into(json::object& target, const json::object& patch, const std::set<std::string>& replace,
                const std::string& prefix) {
  for (const auto& kv : patch) {
    std::string key(kv.key());
    std::string path = prefix.empty() ? key : prefix + "." + key;
    const json::value& value = kv.value();
    if (value.is_null()) {
      // json::object::erase moves the last key into the gap; keep the user's key order.
      if (target.contains(key)) {
        json::object kept;
        kept.reserve(target.size());
        for (auto& kv2 : target)
          if (kv2.key() != key) kept.emplace(kv2.key(), std::move(kv2.value()));
        target = std::move(kept);
      }
      continue;
    }
    json::value* existing = target.if_contains(key);
    if (mergeable(value)) {
      // Merge into what is there (or a fresh object), so nulls inside the patch remove keys
      // rather than being stored.
      if (!existing || !mergeable(*existing)) existing = &(target[key] = json::object{});
      merge_into(existing->as_object(), value.get_object(), replace, path);
    } else if (existing && existing->is_array() && value.is_array() && !replace.count(path)) {
      auto& items = existing->as_array();
      for (const auto& item : value.get_array())
        if (std::find(items.begin(), items.end(), item) == items.end()) items.push_back(item);
    } else {
      target[key] = value;
    }
  }
}

Error invalid_document(std::string_view shown, const std::string& why, json::object details = {}) {
  details["path"] = shown;
  return Error(Errc::config_invalid_document, std::string(shown) + ": " + why, std::move(details),
               {"Fix or delete the file, then try again."});
}

}  // namespace

std::string_view to_string(EntityKind kind) noexcept {
  switch (kind) {
    case EntityKind::project: return "project";
    case EntityKind::server: return "server";
    case EntityKind::component: return "component";
  }
  return "component";
}

std::string_view plural(EntityKind kind) noexcept {
  switch (kind) {
    case EntityKind::project: return "projects";
    case EntityKind::server: return "servers";
    case EntityKind::component: return "components";
  }
  return "components";
}

std::optional<EntityKind> kind_of_folder(std::string_view name) noexcept {
  for (EntityKind kind : all_kinds)
    if (plural(kind) == name) return kind;
  return std::nullopt;
}

json::object parse_document(std::string_view shown, std::string_view text) {
  exact_json::Failure failure;
  auto value = exact_json::parse(text, limits::json_depth, failure);
  if (!value) {
    std::string where = line_and_column(text, failure.offset);
    if (failure.duplicate_key)
      throw invalid_document(shown, "the key \"" + excerpt(*failure.duplicate_key, 80) + "\" is given twice (" + where + ")",
                             {{"key", *failure.duplicate_key}, {"position", where}});
    throw invalid_document(shown, "not valid JSON at " + where + " (" + failure.reason + ")", {{"position", where}});
  }
  if (!value->is_object() || exact_json::number_literal(*value)) throw invalid_document(shown, "must be a JSON object");
  return std::move(value->as_object());
}

std::string serialize_document(const json::object& doc) { return pretty(doc) + "\n"; }

std::vector<Ref> references_of(const json::object& project) {
  std::vector<Ref> refs;
  if (const auto* server = project.if_contains("server_id"); server && server->is_string())
    refs.emplace_back(EntityKind::server, std::string(server->get_string()));
  if (const auto* components = project.if_contains("component_ids"); components && components->is_array())
    for (const auto& item : components->get_array())
      if (item.is_string()) refs.emplace_back(EntityKind::component, std::string(item.get_string()));
  return refs;
}

std::optional<std::string> reference_shape_problem(const json::object& project) {
  if (const auto* server = project.if_contains("server_id"); server && !server->is_null() && !server->is_string())
    return "\"server_id\" must be a string (a server's id)";
  if (const auto* comps = project.if_contains("component_ids"); comps && !comps->is_null()) {
    if (!comps->is_array() || std::any_of(comps->get_array().begin(), comps->get_array().end(),
                                          [](const json::value& v) { return !v.is_string(); }))
      return "\"component_ids\" must be an array of strings (components' ids)";
  }
  return std::nullopt;
}

std::vector<std::string> deep_merge(json::object& target, const json::object& patch,
                                    const std::set<std::string>& replace) {
  json::object before = target;
  merge_into(target, patch, replace, "");
  std::vector<std::string> changed;
  for (const auto& kv : patch) {
    const auto* was = before.if_contains(kv.key());
    const auto* now = target.if_contains(kv.key());
    bool same = (!was && !now) || (was && now && *was == *now);
    if (!same) changed.emplace_back(kv.key());
  }
  return changed;
}

namespace {

// The value at the dotted `path` of `doc`, or nothing.
json::value* at_path(json::object& doc, const std::string& path) {
  json::object* node = &doc;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = path.find('.', start);
    std::string key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    json::value* v = node->if_contains(key);
    if (!v || dot == std::string::npos) return v;
    if (!mergeable(*v)) return nullptr;
    node = &v->as_object();
    start = dot + 1;
  }
}

std::vector<std::string> split_path(const std::string& word, const std::string& key) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = key.find('.', start);
    parts.push_back(key.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (parts.back().empty())
      throw errors::invalid_argument("'" + word + "': the key '" + key + "' has an empty name (a dot at its start or end, or two in a row)");
    if (dot == std::string::npos) return parts;
    start = dot + 1;
  }
}

// What a person typed after '=': JSON when it is JSON, else the text itself.
json::value typed_value(const std::string& text) {
  exact_json::Failure failure;
  if (auto value = exact_json::parse(text, limits::json_depth, failure)) return std::move(*value);
  return json::string(text);
}

}  // namespace

std::vector<std::string> apply_patch(json::object& target, const Patch& patch) {
  json::object before = target;
  merge_into(target, patch.merge, patch.replace, "");
  for (const auto& [path, item] : patch.remove_items) {
    json::value* v = at_path(target, path);
    if (!v) continue;  // nothing there, nothing to take out
    if (!v->is_array())
      throw Error(Errc::config_invalid_patch, "cannot take an item out of \"" + path + "\": it is not an array",
                  {{"field", path}}, {"`-=` takes items out of arrays; set the field with `" + path + "=...` instead."});
    auto& items = v->as_array();
    json::array kept;
    for (auto& existing : items)
      if (existing != item) kept.push_back(std::move(existing));
    items = std::move(kept);
  }
  std::set<std::string> touched;
  for (const auto& kv : patch.merge) touched.insert(std::string(kv.key()));
  for (const auto& r : patch.remove_items) touched.insert(r.first.substr(0, r.first.find('.')));
  std::vector<std::string> changed;
  for (const auto& key : touched) {
    const auto* was = before.if_contains(key);
    const auto* now = target.if_contains(key);
    if (!((!was && !now) || (was && now && *was == *now))) changed.push_back(key);
  }
  // In the patch's order, as deep_merge reports them.
  std::vector<std::string> ordered;
  for (const auto& kv : patch.merge)
    if (std::find(changed.begin(), changed.end(), kv.key()) != changed.end()) ordered.emplace_back(kv.key());
  for (const auto& key : changed)
    if (std::find(ordered.begin(), ordered.end(), key) == ordered.end()) ordered.push_back(key);
  return ordered;
}

Patch patch_from_assignments(const std::vector<std::string>& words) {
  Patch patch;
  std::map<std::string, char> given;  // key -> '=' (set alone) or '+' (added to or taken from)
  for (const auto& word : words) {
    auto eq = word.find('=');
    if (eq == std::string::npos)
      throw errors::invalid_argument("'" + excerpt(word, 80) + "' is not key=value (nor a JSON SPEC)")
          .with_hint("For example: host=web2.example.com port=2222, or a JSON object: '{\"host\": \"web2.example.com\"}'.");
    char op = eq > 0 && (word[eq - 1] == '+' || word[eq - 1] == '-') ? word[eq - 1] : '=';
    std::string key = word.substr(0, op == '=' ? eq : eq - 1), text = word.substr(eq + 1);
    if (key.empty()) throw errors::invalid_argument("'" + excerpt(word, 80) + "' names no key before '='");
    auto parts = split_path(word, key);
    // A key is set once; items may be added to it and taken from it several times.
    char kind = op == '=' ? '=' : '+';
    if (auto it = given.find(key); it != given.end() && (it->second == '=' || kind == '='))
      throw errors::invalid_argument("the key '" + key + "' is given twice");
    given.emplace(key, kind);
    for (const auto& [other, _] : given)
      if (other != key && (other.starts_with(key + ".") || key.starts_with(other + ".")))
        throw errors::invalid_argument("'" + key + "' and '" + other + "' are both given: one holds the other");
    json::value value = op == '=' && text.empty() ? json::value(nullptr) : typed_value(text);
    if (op == '-') {
      if (value.is_array())
        for (auto& item : value.as_array()) patch.remove_items.emplace_back(key, std::move(item));
      else
        patch.remove_items.emplace_back(key, std::move(value));
      continue;
    }
    if (op == '+' && !value.is_array()) value = json::array{std::move(value)};  // arrays unite: the item is added
    json::object* node = &patch.merge;
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      json::value& next = (*node)[parts[i]];
      if (!next.is_object()) next = json::object{};
      node = &next.as_object();
    }
    json::value& slot = (*node)[parts.back()];
    if (op == '+' && slot.is_array())  // added to before: one array of all the items
      for (auto& item : value.as_array()) slot.as_array().push_back(std::move(item));
    else
      slot = std::move(value);
  }
  return patch;
}

}  // namespace homeboy
