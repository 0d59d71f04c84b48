#pragma once
// One config document: a project, server or component, kept as JSON at
// <config>/<kind>s/<id>.json. Read and written exactly (contract/json_exact.hpp): every value
// keeps the text the user gave it, and a document that repeats a key is refused.

#include "homeboy/error.hpp"

#include <boost/json/object.hpp>

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace homeboy {

enum class EntityKind { project, server, component };

std::string_view to_string(EntityKind kind) noexcept;   // "project"
std::string_view plural(EntityKind kind) noexcept;      // "projects", also the folder's name
inline constexpr EntityKind all_kinds[] = {EntityKind::project, EntityKind::server, EntityKind::component};
std::optional<EntityKind> kind_of_folder(std::string_view name) noexcept;  // "servers" -> server

// The document in `text`, an object. Throws config.invalid_document naming `shown` (the
// document's path as people see it) and what is wrong: not JSON (with line and column), not
// an object, a key given twice.
boost::json::object parse_document(std::string_view shown, std::string_view text);

// As homeboy writes documents: pretty-printed, numbers as they were given, a final newline.
std::string serialize_document(const boost::json::object& doc);

// A reference a project makes: the kind and the id it names.
using Ref = std::pair<EntityKind, std::string>;

// Its server ("server_id") and components ("component_ids"), in that order.
std::vector<Ref> references_of(const boost::json::object& project);

// Why the reference fields of `project` have the wrong shape ("server_id" must be a string,
// "component_ids" an array of strings), or nothing.
std::optional<std::string> reference_shape_problem(const boost::json::object& project);

// Merges `patch` into `target`: objects merge, null removes a key, arrays union (unless the
// field's dotted path is in `replace`), anything else (a number included) replaces. Returns
// the top-level fields whose value changed.
std::vector<std::string> deep_merge(boost::json::object& target, const boost::json::object& patch,
                                    const std::set<std::string>& replace);

}  // namespace homeboy
