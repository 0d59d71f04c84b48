#pragma once
// The isolation helper's side (`homeboy-plugin-host`): it loads one native plugin with the
// same code as the in-process path (open_native) and serves it over the persistent framing,
// so a crash or a hang in the plugin ends the helper, never homeboy. The host's side is
// isolated_transport. The protocol: lines of JSON, one request at a time, a content carried
// raw after the line that announces its size:
//
//   host   {"hello": {"protocol": 2, "module_id", "module_dir", "library", "config_dir",
//                     "storage_type", "config"}, "id": 0}
//   helper {"hello": {"protocol": 2, "supports_batch", "capabilities": {"versions",
//                     "binary", "atomic_batch", "transactions"}}, "id": 0}
//       or {"load_error": {"kind", "message"}, "id": 0}, then it exits
//   host   contract::serialize(event, id)                       (as to a persistent module)
//       or, for a write, {"content_length": N, ...the event with "content": ""...} and then
//          the N bytes of its content, as they are (no escaping, no base64)
//   helper contract::to_json(response) plus "id"
//       or, for a read that found content, {"data_length": N, ...the answer with "data": ""...}
//          and then the N bytes of the content, as they are
//       or {"host_error": {"code", "message", "exit_code", "details", "hints"}, "id": N}
//
// The config travels in the hello, not on the command line, where any user could read it.
// The helper writes its own messages with their key first: the host tells a "host_error"
// from a response (which starts with "success") by the line's first bytes.
//
// As a daemon (`--storage-daemon --library LIB`, a library module with runtime.daemon), the
// helper is a module daemon like any (docs/module-authoring.md, "Daemons"): homeboy-reaper
// started it with the listening socket as fd 3, and the environment of a module
// (HOMEBOY_MODULE_ID, HOMEBOY_MODULE_DIR, HOMEBOY_CONFIG_DIR, HOMEBOY_STORAGE_CONFIG_FILE and
// the variables runtime.env names). It loads the plugin once, then serves every connection
// whose peer is its own user, one request at a time; each connection first gets
//   {"ready": true, "protocol": 2, "raw_content": true, "supports_batch", "capabilities": {...}}
// (its requests and answers carry content raw, as on the --storage-serve wire)
// or, when the plugin cannot be loaded, {"ready": false, "load_error": {"kind", "message"}},
// after which the daemon exits. SIGTERM, SIGINT and SIGHUP end it after the request in hand,
// with the plugin's destroy.

#include <string_view>

namespace homeboy::plugin_host {

inline constexpr int protocol = 2;  // 2: raw content after a line announcing its size
inline constexpr std::string_view host_error_prefix = "{\"host_error\":";

// The host's side of a "host_error" line: throws the Error the plugin's answer raised in the
// helper, as it would have been raised in-process.
[[noreturn]] void raise_host_error(std::string_view line);

// The isolation helper's work, in a copy of homeboy (Copy::body, the default) or in
// `homeboy-plugin-host --storage-serve`: serves the plugin named in the hello on stdin and
// stdout until end of input. What the plugin prints on stdout goes to stderr, so it cannot
// break the framing.
int serve_isolated();

// The helper's main: serves the plugin named in the hello on stdin/stdout until end of
// input (`--storage-serve`), or as a daemon (`--storage-daemon --library LIB`). Plugin output
// on stdout is sent to stderr so it cannot break the framing.
int run(int argc, char** argv);

}  // namespace homeboy::plugin_host
