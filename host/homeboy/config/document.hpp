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

// What `set` changes: a patch merged in (deep_merge), and items taken out of arrays.
struct Patch {
  boost::json::object merge;
  std::set<std::string> replace;  // dotted paths of arrays replaced rather than united
  std::vector<std::pair<std::string, boost::json::value>> remove_items;  // dotted path, item
  bool empty() const noexcept { return merge.empty() && remove_items.empty(); }
};

// Applies `patch` to `target`. Returns the top-level fields whose value changed. Throws
// config.invalid_patch when an item is to be taken out of something that is not an array.
std::vector<std::string> apply_patch(boost::json::object& target, const Patch& patch);

// The patch that `key=value` words say (`homeboy server set web host=web2 port=2222`):
//   key=value    the value parsed as JSON when it is JSON (2222, true, [1,2], {"a":1},
//                "quoted"), else kept as the string it is (web2.example.com)
//   key=         null: the key is removed
//   key+=value   the value (or each item of an array value) added to the array at key
//   key-=value   the value (or each item of an array value) taken out of the array at key
// A dotted key (settings.php=8.2) reaches into objects. Throws cli.invalid_argument naming
// the word for a word without '=', an empty name, or a key given twice or both as a value
// and as an object.
Patch patch_from_assignments(const std::vector<std::string>& words);

}  // namespace homeboy
