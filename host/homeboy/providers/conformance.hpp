#pragma once
// The storage conformance suite behind `homeboy module test`: every semantic rule of the
// storage contract, run against a module or plugin through the transport the host would
// use, in a scratch area it creates and removes.

#include "homeboy/modules/discovery.hpp"
#include "homeboy/providers/registry.hpp"

#include <functional>
#include <string>
#include <vector>

namespace homeboy {

struct CaseResult {
  std::string name;
  std::string rule;     // what the case checks, in a sentence
  bool passed = false;
  bool skipped = false; // the case needs a capability the provider does not declare
  std::string reason;   // why it failed, or why it was skipped
  double millis = 0;
};

struct ConformanceReport {
  std::string module_id;
  TransportKind transport = TransportKind::native;
  std::vector<CaseResult> cases;
  std::size_t failed() const;
};

// Runs every case; `progress` is told of each result as it completes. A case that fails
// leaves the next one a freshly opened provider, so a crash or a hang (under isolation)
// fails that case only. Throws homeboy::Error only when the module cannot be opened at all.
ConformanceReport run_conformance(const Module& module, TransportPreference preference, IsolationPreference isolation,
                                  const std::function<void(const CaseResult&)>& progress);

}  // namespace homeboy
