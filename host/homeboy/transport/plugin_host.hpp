#pragma once
// The isolation helper's side (`homeboy-plugin-host`): it loads one native plugin with the
// same code as the in-process path (open_native) and serves it over the persistent framing,
// so a crash or a hang in the plugin ends the helper, never homeboy. The host's side is
// isolated_transport. The protocol, newline-delimited JSON, one request at a time:
//
//   host   {"hello": {"protocol": 1, "module_id", "module_dir", "library", "config_dir",
//                     "storage_type", "config"}, "id": 0}
//   helper {"hello": {"protocol": 1, "supports_batch", "capabilities": {"versions",
//                     "binary", "atomic_batch", "transactions"}}, "id": 0}
//       or {"load_error": {"kind", "message"}, "id": 0}, then it exits
//   host   contract::serialize(event, id)                       (as to a persistent module)
//   helper contract::to_json(response) plus "id"
//       or {"host_error": {"code", "message", "exit_code", "details", "hints"}, "id": N}
//
// The config travels in the hello, not on the command line, where any user could read it.
// The helper writes its own messages with their key first: the host tells a "host_error"
// from a response (which starts with "success") by the line's first bytes.

#include <string_view>

namespace homeboy::plugin_host {

inline constexpr int protocol = 1;
inline constexpr std::string_view host_error_prefix = "{\"host_error\":";

// The helper's main: serves the plugin named in the hello on stdin/stdout until end of
// input. Plugin output on stdout is sent to stderr so it cannot break the framing.
int run(int argc, char** argv);

}  // namespace homeboy::plugin_host
