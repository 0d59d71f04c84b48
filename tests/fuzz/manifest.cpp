// Fuzz target: a module manifest (`<id>/<id>.json`) through parse_manifest.
//
// Invariants: a bad manifest is a config.invalid_manifest naming the file, never another
// error; an accepted one has what discovery and the transports rely on: a name and a
// version, a timeout in (0, 24 h], an executable that splits into a non-empty argv, and a
// storage provider that has something to run.

#include "fuzz_support.hpp"

#include "homeboy/error.hpp"
#include "homeboy/modules/manifest.hpp"

#include <chrono>
#include <stdexcept>
#include <string>

using namespace homeboy;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::filesystem::path file = "/modules/fuzz/fuzz.json";
  Manifest m;
  try {
    m = parse_manifest(fuzz::as_text(data, size), file);
  } catch (const Error& e) {
    FUZZ_CHECK_SAYING(e.code() == "config.invalid_manifest", e.what());
    FUZZ_CHECK(std::string_view(e.what()).find(file.string()) != std::string_view::npos);
    return 0;
  }
  FUZZ_CHECK(!m.name.empty() && !m.version.empty());
  FUZZ_CHECK_SAYING(m.runtime.timeout > std::chrono::milliseconds::zero() && m.runtime.timeout <= std::chrono::hours(24),
                    std::to_string(m.runtime.timeout.count()) + " ms");
  FUZZ_CHECK_SAYING(m.runtime.idle > std::chrono::milliseconds::zero() && m.runtime.idle <= std::chrono::hours(7 * 24),
                    std::to_string(m.runtime.idle.count()) + " ms");
  if (m.runtime.daemon) FUZZ_CHECK(m.runtime.executable.has_value());
  if (m.runtime.library) FUZZ_CHECK(!m.runtime.library->empty());
  if (m.runtime.executable) {
    try {
      FUZZ_CHECK(!split_command(*m.runtime.executable).empty());
    } catch (const std::invalid_argument& e) {
      fuzz::invariant_broken("an accepted executable splits into argv", __FILE__, __LINE__, e.what());
    }
  }
  if (m.storage_provider) {
    FUZZ_CHECK(!m.storage_provider->storage_type.empty());
    FUZZ_CHECK(m.runtime.library || m.runtime.executable);
  }
  return 0;
}
