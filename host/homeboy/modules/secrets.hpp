#pragma once
// The secrets a provider's config may hold, and what may be shown of it (docs/security.md,
// "Secrets in a provider's config"): the password of a connection string, in any string of
// the config, and the whole value of every key the module declares secret
// (storage_provider.secrets). Output shows them as `********`.

#include "homeboy/modules/manifest.hpp"

#include <boost/json/object.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace homeboy::secrets {

inline constexpr std::string_view mask = "********";

// The passwords written into `text` as a connection string writes them: key=value
// ("password=x", "password = 'a b'") and URI ("scheme://user:x@host", "...?password=x").
// Each as written, and as the server sees it when that differs (unquoted, percent-decoded).
std::vector<std::string> passwords_in(std::string_view text);

// `text` with each of those passwords replaced by `mask`.
std::string redact_text(std::string_view text);

// The provider config as it may be shown: the value of each declared secret key is `mask`,
// and every string has its passwords redacted.
boost::json::object redacted_config(const StorageProvider& provider);

// Every secret the config holds, as written and as used: what must be blanked out of any
// message that might quote it. Secrets shorter than 3 bytes are left out: blanking every
// "a" out of a message would leave nothing to read, and would not hide such a password.
std::vector<std::string> secret_values(const StorageProvider& provider);

// Whether the config holds any secret (the manifest then must be private to the user).
bool holds_secret(const StorageProvider& provider);

// `text` with every one of `values` replaced by `mask`.
std::string scrub(std::string text, const std::vector<std::string>& values);

}  // namespace homeboy::secrets
