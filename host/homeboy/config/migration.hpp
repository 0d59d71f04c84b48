#pragma once
// Moving documents into a provider, for `storage migrate` (from another provider) and
// `storage import` (from an archive): compare with what the target holds, write only what is
// missing or (when asked) different, read each written document back and compare it byte for
// byte. Nothing is ever deleted, so an interrupted run is finished by running it again.

#include "homeboy/storage.hpp"

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace homeboy::migration {

struct Document {
  std::string path;  // absolute storage path
  std::string content;
};

enum class Outcome {
  copied,     // the target did not have it; written and verified
  replaced,   // the target had other content; overwritten (Existing::replace) and verified
  unchanged,  // the target already holds the same bytes
  skipped,    // the target holds other content and keeps it (Existing::skip)
  conflict,   // the target holds other content; nothing decided (dry run with Existing::refuse)
  failed,     // could not be read, written, or did not read back the same
  extra,      // only the target holds it (migrate): refused unless pruned
  pruned,     // only the target held it; saved to the backup archive, then removed (migrate --prune)
};
std::string_view to_string(Outcome outcome) noexcept;

// What to do with a document the target already holds with other content.
enum class Existing { refuse, skip, replace };

struct DocumentResult {
  std::string path;
  Outcome outcome;
  std::string reason;  // failed: why
};

struct Report {
  std::vector<DocumentResult> documents;  // sorted by path
  std::size_t count(Outcome outcome) const noexcept;
  // Every document is on the target as the source has it (or kept there by choice).
  bool complete() const noexcept;
};

// Told as work advances: the phase ("reading", "comparing", "writing", "verifying"), done and total.
using Progress = std::function<void(std::string_view phase, std::size_t done, std::size_t total)>;

struct Options {
  Existing existing = Existing::refuse;
  bool dry_run = false;  // compare only: the report says what would happen
  Progress progress;
};

struct Sourced {
  std::vector<Document> documents;
  std::vector<DocumentResult> failures;  // documents the source could not give
};

// Reads `paths` from `source` in batches; a document that cannot be read is a failure, not
// an exception (a broken provider still throws).
Sourced read_documents(Storage& source, const std::vector<std::string>& paths, const Progress& progress = {});

// Puts `documents` into `target`. With Existing::refuse, documents that differ on the target
// make it throw storage.document_conflict, listing them, before anything is written (a dry
// run reports them as `conflict` instead). Folders are created as documents need them.
// `failures` (from read_documents) are carried into the report.
Report copy_into(Storage& target, Sourced sourced, const Options& options);

}  // namespace homeboy::migration
