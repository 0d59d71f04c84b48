#pragma once
// How the host reaches the active provider. Every transport hands back the same
// response model; the storage facade validates it, whatever the transport.

#include "homeboy/contract/contract.hpp"

#include <chrono>
#include <optional>
#include <string_view>

namespace homeboy {

// How the provider is reached, as `storage status` reports it.
enum class TransportKind {
  native,      // a plugin in homeboy's process
  isolated,    // a plugin in a helper process of its own
  subprocess,  // a module process per operation
  persistent,  // one module process for the run
  daemon,      // a module daemon shared by every command
};
std::string_view to_string(TransportKind kind) noexcept;

class Transport {
 public:
  virtual ~Transport() = default;

  // Delivers one event and returns the provider's answer, parsed but not yet validated
  // against the semantic rules. Throws homeboy::Error for failures of the transport itself
  // (timeout, crash, unreadable answer).
  virtual contract::Response send(const contract::Event& event) = 0;

  // Whether one `batch` event may be sent; otherwise the facade sends operations one by one.
  virtual bool supports_batch() const noexcept = 0;

  // Versions, bytes that are not UTF-8, all-or-nothing batches.
  virtual contract::Capabilities capabilities() const noexcept = 0;

  // How long one request may take before the transport gives up on it (subprocess and
  // isolated transports); nothing for an in-process plugin.
  virtual std::optional<std::chrono::milliseconds> timeout() const noexcept { return std::nullopt; }

  virtual TransportKind kind() const noexcept = 0;
};

}  // namespace homeboy
