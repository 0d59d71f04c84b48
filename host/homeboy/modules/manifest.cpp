#include "homeboy/modules/manifest.hpp"

#include "homeboy/error.hpp"
#include "homeboy/contract/limits.hpp"
#include "homeboy/seconds.hpp"

#include <boost/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <stdexcept>

namespace json = boost::json;

namespace homeboy {

namespace {

bool holds_non_finite(const json::object& obj);

bool holds_non_finite(const json::value& v) {
  if (v.is_double()) return !std::isfinite(v.get_double());
  if (v.is_array())
    return std::any_of(v.get_array().begin(), v.get_array().end(), [](const json::value& e) { return holds_non_finite(e); });
  return v.is_object() && holds_non_finite(v.get_object());
}

bool holds_non_finite(const json::object& obj) {
  return std::any_of(obj.begin(), obj.end(), [](const auto& kv) { return holds_non_finite(kv.value()); });
}

// What a manifest declaring "transactions" leaves out of what they need, as a phrase
// ("\"atomic_batch\" and \"runtime.supports_batch\": true"); empty when nothing is.
std::string missing_for_transactions(const contract::Capabilities& c, bool supports_batch) {
  if (!c.transactions) return {};
  std::vector<std::string_view> missing;
  if (!c.versions) missing.push_back("\"versions\"");
  if (!c.atomic_batch) missing.push_back("\"atomic_batch\"");
  if (!supports_batch) missing.push_back("\"runtime.supports_batch\": true");
  std::string text;
  for (std::size_t i = 0; i < missing.size(); ++i)
    text += std::string(i == 0 ? "" : i + 1 == missing.size() ? " and " : ", ") + std::string(missing[i]);
  return text;
}

std::optional<Durability> durability_named(std::string_view name) {
  if (name == "power_loss") return Durability::power_loss;
  if (name == "process_crash") return Durability::process_crash;
  return std::nullopt;
}

class ManifestReader {
 public:
  explicit ManifestReader(const std::filesystem::path& file) : file_(file) {}

  [[noreturn]] void fail(const std::string& problem) const {
    throw Error(Errc::config_invalid_manifest, "manifest " + file_.string() + ": " + problem,
                {{"manifest_path", file_.string()}, {"problem", problem}});
  }

  const json::value* field(const json::object& obj, std::string_view key) const {
    const auto* v = obj.if_contains(key);
    return (v && !v->is_null()) ? v : nullptr;
  }

  std::string required_string(const json::object& obj, std::string_view key, std::string_view where) const {
    const auto* v = field(obj, key);
    if (!v) fail("missing \"" + std::string(where) + "\"");
    if (!v->is_string() || v->get_string().empty())
      fail("\"" + std::string(where) + "\" must be a non-empty string");
    return std::string(v->get_string());
  }

  std::optional<std::string> optional_string(const json::object& obj, std::string_view key,
                                             std::string_view where) const {
    const auto* v = field(obj, key);
    if (!v) return std::nullopt;
    if (!v->is_string() || v->get_string().empty())
      fail("\"" + std::string(where) + "\" must be a non-empty string");
    return std::string(v->get_string());
  }

  bool optional_bool(const json::object& obj, std::string_view key, std::string_view where) const {
    const auto* v = field(obj, key);
    if (!v) return false;
    if (!v->is_bool()) fail("\"" + std::string(where) + "\" must be true or false");
    return v->get_bool();
  }

  const json::object* optional_object(const json::object& obj, std::string_view key, std::string_view where) const {
    const auto* v = field(obj, key);
    if (!v) return nullptr;
    if (!v->is_object()) fail("\"" + std::string(where) + "\" must be an object");
    return &v->get_object();
  }

  // A duration in seconds, above 0 and at most `max`; rounded up to whole milliseconds, so
  // a duration above 0 never becomes 0 ms.
  std::chrono::milliseconds seconds(const json::value& value, std::string_view where, double max) const {
    double secs = value.is_number() ? value.to_number<double>() : -1;
    if (!(secs > 0) || !std::isfinite(secs) || secs > max) {
      std::string problem = "\"";
      problem.append(where).append("\" must be a number of seconds above 0 and at most ");
      problem.append(std::to_string(static_cast<long long>(max)));
      fail(problem);
    }
    return milliseconds_up(secs);
  }

  // A durability level: "power_loss" or "process_crash".
  std::optional<Durability> durability(const json::object& obj, std::string_view where) const {
    const auto* v = field(obj, "durability");
    if (!v) return std::nullopt;
    auto level = v->is_string() ? durability_named(v->get_string()) : std::nullopt;
    if (!level) {
      std::string message(1, '"');  // (built step by step: GCC 12 warns, wrongly, of operator+ here)
      message.append(where).append("\" must be \"power_loss\" or \"process_crash\", not ").append(json::serialize(*v));
      fail(message);
    }
    return level;
  }

  // runtime.env: names only, or a prefix ending in "*" ("PG*": every variable starting with
  // PG); the values come from the host's environment.
  std::vector<std::string> variable_names(const json::value& value) const {
    const auto* list = value.if_array();
    if (!list) fail("\"runtime.env\" must be an array of variable names");
    std::vector<std::string> names;
    for (const auto& item : *list) {
      std::string_view entry = item.is_string() ? std::string_view(item.get_string()) : std::string_view();
      std::string_view name = entry.ends_with('*') ? entry.substr(0, entry.size() - 1) : entry;
      bool valid = !name.empty() && !std::isdigit(static_cast<unsigned char>(name.front())) &&
                   std::all_of(name.begin(), name.end(),
                               [](unsigned char c) { return std::isalnum(c) || c == '_'; });
      if (!valid)
        fail("\"runtime.env\" must hold variable names (letters, digits, _), or a prefix of one followed by *, not " +
             json::serialize(item));
      if (name.starts_with("HOMEBOY_"))
        fail("\"runtime.env\" may not name " + std::string(name) + ": the host sets the HOMEBOY_ variables itself");
      names.emplace_back(entry);
    }
    return names;
  }

  Manifest read(const json::value& root) const {
    const auto* obj = root.if_object();
    if (!obj) fail("the manifest must be a JSON object");
    Manifest m;
    m.name = required_string(*obj, "name", "name");
    m.version = required_string(*obj, "version", "version");
    if (const auto* rt = optional_object(*obj, "runtime", "runtime")) {
      m.runtime.library = optional_string(*rt, "library", "runtime.library");
      m.runtime.executable = optional_string(*rt, "executable", "runtime.executable");
      m.runtime.supports_batch = optional_bool(*rt, "supports_batch", "runtime.supports_batch");
      m.runtime.persistent = optional_bool(*rt, "persistent", "runtime.persistent");
      if (auto isolation = optional_string(*rt, "isolation", "runtime.isolation")) {
        if (*isolation == "process")
          m.runtime.isolation = Isolation::process;
        else if (*isolation != "in_process")
          fail("\"runtime.isolation\" must be \"in_process\" or \"process\", not \"" + *isolation + "\"");
      }
      if (const auto* t = field(*rt, "timeout_secs")) m.runtime.timeout = seconds(*t, "runtime.timeout_secs", 24 * 3600);
      m.runtime.daemon = optional_bool(*rt, "daemon", "runtime.daemon");
      if (const auto* t = field(*rt, "idle_secs")) m.runtime.idle = seconds(*t, "runtime.idle_secs", 7 * 24 * 3600);
      if (m.runtime.daemon && !m.runtime.executable && !m.runtime.library)
        fail("\"runtime.daemon\" needs \"runtime.executable\" or \"runtime.library\": the daemon is a process the host "
             "starts, the module's program or the plugin's helper");
      if (const auto* env = field(*rt, "env")) m.runtime.env = variable_names(*env);
      if (m.runtime.executable) {
        if (m.runtime.executable->find('\0') != std::string::npos)
          fail("\"runtime.executable\" contains a NUL character");
        try {
          split_command(*m.runtime.executable);
        } catch (const std::invalid_argument& e) {
          fail("\"runtime.executable\": " + std::string(e.what()));
        }
      }
    }
    m.overrides_builtin = optional_bool(*obj, "overrides_builtin", "overrides_builtin");
    if (const auto* sp = optional_object(*obj, "storage_provider", "storage_provider")) {
      StorageProvider provider;
      provider.storage_type = required_string(*sp, "storage_type", "storage_provider.storage_type");
      if (const auto* config = optional_object(*sp, "config", "storage_provider.config")) {
        // 1e400 parses as infinity, which no JSON can carry on to the module or plugin.
        if (holds_non_finite(*config))
          fail("\"storage_provider.config\" holds a number too large for JSON (such as 1e400)");
        provider.config = *config;
        provider.durability_chosen = durability(*config, "storage_provider.config.durability");
      }
      if (const auto* secrets = field(*sp, "secrets")) {
        const auto* keys = secrets->if_array();
        if (!keys) fail("\"storage_provider.secrets\" must be an array of keys of storage_provider.config");
        for (const auto& key : *keys) {
          if (!key.is_string() || key.get_string().empty())
            fail("\"storage_provider.secrets\" must be an array of keys of storage_provider.config, not " +
                 json::serialize(key));
          provider.secrets.emplace_back(key.get_string());
        }
      }
      provider.durability = durability(*sp, "storage_provider.durability");
      if (const auto* caps = field(*sp, "capabilities")) {
        if (!caps->is_array()) fail("\"storage_provider.capabilities\" must be an array of names");
        for (const auto& name : caps->get_array()) {
          if (!name.is_string()) fail("\"storage_provider.capabilities\" must be an array of names");
          // Names this host does not know are left alone: a module may be newer than the host.
          if (name.get_string() == "versions") provider.capabilities.versions = true;
          if (name.get_string() == "binary") provider.capabilities.binary = true;
          if (name.get_string() == "atomic_batch") provider.capabilities.atomic_batch = true;
          if (name.get_string() == "transactions") provider.capabilities.transactions = true;
          if (name.get_string() == "raw_content") provider.raw_content = true;
        }
        // A transaction is an all-or-nothing batch whose conditions hold: without those, the
        // host would send checks to a provider that cannot keep the promise.
        if (auto missing = missing_for_transactions(provider.capabilities, m.runtime.supports_batch); !missing.empty())
          fail("\"storage_provider.capabilities\" declares \"transactions\" without " + missing +
               ": transactions are all-or-nothing batches whose conditions hold");
      }
      if (!m.runtime.library && !m.runtime.executable)
        fail("a storage provider needs \"runtime.library\" or \"runtime.executable\" (it has neither)");
      m.storage_provider = std::move(provider);
    }
    return m;
  }

 private:
  const std::filesystem::path& file_;
};

}  // namespace

std::string_view to_string(Durability d) noexcept {
  return d == Durability::power_loss ? "power_loss" : "process_crash";
}

Manifest parse_manifest(std::string_view text, const std::filesystem::path& file) {
  ManifestReader reader(file);
  json::error_code ec;
  json::value root = json::parse(text, ec);
  if (ec) reader.fail("not valid JSON (" + ec.message() + ")");
  return reader.read(root);
}

Manifest load_manifest(const std::filesystem::path& file) {
  ManifestReader reader(file);
  auto unreadable = [&] {
    return Error(Errc::config_invalid_manifest, "manifest " + file.string() + ": cannot be read",
                          {{"manifest_path", file.string()}, {"problem", "cannot be read"}});
  };
  // One open, one fstat and one read: every command reads every manifest on the search path.
  // O_NONBLOCK: a FIFO in the manifest's place is refused below, never waited on.
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    struct stat st {};
    if (::stat(file.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) reader.fail("is not a regular file");
    throw unreadable();
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw unreadable();
  if (!S_ISREG(st.st_mode)) reader.fail("is not a regular file");
  auto size = static_cast<std::size_t>(st.st_size);
  if (size > limits::manifest_bytes)
    reader.fail("is " + std::to_string(size) + " bytes; a manifest (config included) may hold at most " +
                std::to_string(limits::manifest_bytes >> 20) + " MiB");
  std::string text(size, '\0');
  std::size_t filled = 0;
  while (filled < size) {
    ssize_t n = ::read(fd, text.data() + filled, size - filled);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw unreadable();
    if (n == 0) break;  // it shrank meanwhile
    filled += static_cast<std::size_t>(n);
  }
  text.resize(filled);
  return parse_manifest(text, file);
}

bool may_declare_storage_provider(std::string_view text) {
  json::error_code ec;
  json::value root = json::parse(text, ec);
  if (ec || !root.is_object()) return true;
  const auto* provider = root.get_object().if_contains("storage_provider");
  return provider && !provider->is_null();
}

std::vector<std::string> split_command(std::string_view command) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (std::size_t i = 0; i < command.size(); ++i) {
    char c = command[i];
    if (quote) {
      if (c == quote) {
        quote = 0;
      } else if (c == '\\' && quote == '"' && i + 1 < command.size()) {
        word += command[++i];
      } else {
        word += c;
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == '\\' && i + 1 < command.size()) {
      word += command[++i];
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (quote) throw std::invalid_argument(std::string("unterminated ") + quote + " quote");
  if (in_word) words.push_back(std::move(word));
  if (words.empty()) throw std::invalid_argument("the command is empty");
  return words;
}

}  // namespace homeboy
