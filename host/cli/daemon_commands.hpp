#pragma once
// `homeboy module daemons` and `homeboy module stop`: the module daemons of this user.

#include "cli/app.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace homeboy::cli {

// Stops the daemons of module `id` in this config folder, and any daemon run from `dir`
// (`module uninstall`). Returns their pids.
boost::json::array stop_module_daemons(Context& ctx, const std::string& id, const std::filesystem::path& dir);

}  // namespace homeboy::cli
