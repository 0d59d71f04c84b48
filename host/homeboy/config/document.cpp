#include "homeboy/config/document.hpp"

#include "homeboy/contract/json_exact.hpp"
#include "homeboy/contract/json_input.hpp"
#include "homeboy/contract/json_text.hpp"
#include "homeboy/contract/limits.hpp"

#include <boost/json.hpp>

#include <algorithm>

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

}  // namespace homeboy
