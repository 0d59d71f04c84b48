#pragma once
// The config's rules checked over a whole set of documents at once, and the config folder's
// state on disk: what `homeboy doctor` reports, what `storage import` holds an archive to
// before it writes anything, and what `migrate` and `import` check on the target afterwards.
//
// The rules (docs/config.md): every document of <config>/{projects,servers,components}/ is
// a JSON object named <id>.json with a valid id, its "id" (when given) is that name, no key
// is given twice, an id names one document of one kind, a project's references have the
// right shape and name documents that exist, and nothing else lives in those folders.

#include "homeboy/config/document.hpp"
#include "homeboy/storage.hpp"

#include <boost/json/object.hpp>

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace homeboy {

// A file under the config folder, by its path relative to it ("servers/web.json").
struct ConfigFile {
  std::string relative;
  std::string content;
  std::optional<std::size_t> line;  // its line, when it comes from an archive
};

struct Problem {
  std::string check;    // stable: "invalid_json", "duplicate_key", "not_an_object", "invalid_id", "id_mismatch",
                        // "reference_shape", "missing_reference", "id_in_two_kinds", "stray_file", "unreadable",
                        // "folder_link", "folder_owner", "folder_mode", "not_a_folder", "document_mode"
  std::string path;     // relative to the config folder ("" for the folder itself)
  std::string message;  // what is wrong, naming the path
  std::string fix;      // a command or a step that mends it
  std::optional<std::size_t> line;  // in an archive
  std::vector<std::string> also;    // other paths the problem involves (the other kind's document)
  boost::json::object to_json() const;
  std::string text() const;  // "<path>[, line N]: <message>"
};

// Whether `relative` lies in an entity folder ("servers/web.json", "servers/x/y").
bool in_entity_folder(std::string_view relative);

// Every rule over the files of the entity folders among `files` (the others are ignored).
std::vector<Problem> check_documents(const std::vector<ConfigFile>& files);

// The files of the entity folders as `storage` holds them: one listing per folder, one batch
// of reads. Subfolders are reported as stray files (not descended into); a file that cannot be
// read is a problem. A provider that fails throws.
std::vector<ConfigFile> entity_files(Storage& storage, const std::filesystem::path& config_dir,
                                     std::vector<Problem>& problems);

// The config folder and its entity folders on disk: a link, another owner or access for
// others is a problem, and so is a document on disk that others may read.
std::vector<Problem> check_folders(const std::filesystem::path& config_dir);

}  // namespace homeboy
