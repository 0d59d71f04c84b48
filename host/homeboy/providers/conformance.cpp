#include "homeboy/providers/conformance.hpp"

#include "homeboy/transport/daemon.hpp"

#include "homeboy/transport/interrupt.hpp"

#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace fs = std::filesystem;

namespace homeboy {

namespace {

using contract::ErrorCode;
using contract::Event;

struct CaseFailed {
  std::string reason;
};

void expect(bool ok, const std::string& reason) {
  if (!ok) throw CaseFailed{reason};
}

std::string printable(std::string_view s, std::size_t limit = 40) {
  std::string out;
  for (unsigned char c : s.substr(0, limit)) {
    if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c == '\\') out += "\\\\";
    else if (c < 0x20) out += "\\x" + std::string{"0123456789abcdef"[c >> 4], "0123456789abcdef"[c & 15]};
    else out += static_cast<char>(c);
  }
  if (s.size() > limit) out += "...";
  return "\"" + out + "\"";
}

void expect_same(const std::string& wrote, const std::string& got) {
  if (wrote == got) return;
  std::size_t at = 0;
  while (at < wrote.size() && at < got.size() && wrote[at] == got[at]) ++at;
  throw CaseFailed{"wrote " + std::to_string(wrote.size()) + " bytes " + printable(wrote) + ", read back " +
                   std::to_string(got.size()) + " bytes " + printable(got) + "; first difference at byte " +
                   std::to_string(at)};
}

void expect_error(const std::function<void()>& call, Errc errc, const std::string& what) {
  std::string code(to_string(errc));
  try {
    call();
  } catch (const Error& e) {
    expect(e.errc() == errc,
           what + " should fail with " + code + ", failed with " + std::string(e.code()) + ": " + e.what());
    return;
  }
  throw CaseFailed{what + " should fail with " + code + " but succeeded"};
}

struct Suite {
  const Module& module;
  TransportPreference preference;
  IsolationPreference isolation;
  const Registry& registry;  // of the scratch config folder
  Storage& storage;
  std::string area;  // this case's folder

  std::string at(const std::string& name) const { return area + "/" + name; }

  void roundtrip(const std::string& content) {
    storage.write(at("f"), content);
    expect_same(content, storage.read(at("f")));
  }
};

// What a case needs beyond the core contract; it is skipped (and says why) without it.
enum class Needs { core, versions, binary, atomic_batch, transactions };

struct Case {
  const char* name;
  const char* rule;
  std::function<void(Suite&)> run;
  Needs needs = Needs::core;
};

contract::Condition stale_version_of(Suite& s, const std::string& path) {
  auto before = s.storage.read_versioned(path);
  expect(before.version.has_value(), "a read reported no version although the provider declares versions");
  s.storage.write(path, before.content);  // identical content: the version must still change
  auto after = s.storage.read_versioned(path);
  expect(after.version.has_value() && *after.version != *before.version,
         "rewriting identical content did not change the version (" + *before.version + ")");
  return contract::Condition::matching(*before.version);
}

// Two providers (two processes; two connections to a daemon; two instances of an in-process
// plugin) read the same version of one file, then both write it on that version at the same
// moment, round after round. Each write appends its own line to what it read, so a write
// that was acknowledged and then overwritten by the other is a line missing at the end: the
// lost update of a provider that checks the version and applies the write in two steps.
void compare_and_swap_race(Suite& s) {
  auto other = s.registry.open(s.module, s.preference, s.isolation);
  Storage* writers[2] = {&s.storage, other.get()};
  // A process per operation costs tens of milliseconds; fewer rounds still race often.
  const int rounds = s.storage.transport_kind() == TransportKind::subprocess ? 24 : 60;
  const std::string path = s.at("counter");
  s.storage.write(path, "");
  std::vector<std::string> acknowledged, versions;
  for (int round = 0; round < rounds; ++round) {
    Versioned seen[2] = {s.storage.read_versioned(path), other->read_versioned(path)};
    expect(seen[0].version && seen[1].version, "a read reported no version although the provider declares versions");
    expect(seen[0].version == seen[1].version && seen[0].content == seen[1].content,
           "two reads with no write between them disagree (versions " + *seen[0].version + " and " +
               *seen[1].version + ")");
    for (const auto& v : versions)
      expect(v != *seen[0].version, "version " + v + " came back after later writes (round " +
                                        std::to_string(round + 1) + "): a stale condition could hold again");
    versions.push_back(*seen[0].version);
    struct Outcome {
      std::string line;
      bool won = false;
      std::optional<std::string> version;
      std::string error;
    } outcome[2];
    std::atomic<int> ready{0};
    auto race = [&](int w) {
      outcome[w].line = "writer " + std::to_string(w + 1) + " round " + std::to_string(round + 1) + "\n";
      ready.fetch_add(1);
      while (ready.load() < 2) std::this_thread::yield();  // both start together
      try {
        outcome[w].version =
            writers[w]->write(path, seen[w].content + outcome[w].line, contract::Condition::matching(*seen[w].version));
        outcome[w].won = true;
      } catch (const Error& e) {
        if (e.errc() != Errc::storage_conflict) outcome[w].error = std::string(e.code()) + ": " + e.what();
      }
    };
    std::thread second(race, 1);
    race(0);
    second.join();
    for (const auto& o : outcome) expect(o.error.empty(), "a conditional write failed: " + o.error);
    std::string where = "round " + std::to_string(round + 1) + " of " + std::to_string(rounds);
    expect(!(outcome[0].won && outcome[1].won),
           where + ": both writes conditional on version " + *seen[0].version +
               " succeeded, so one overwrote the other unseen; the provider must check the version and write in "
               "one step (a lock every writer takes, or a transaction)");
    expect(outcome[0].won || outcome[1].won,
           where + ": both writes conditional on the current version " + *seen[0].version + " conflicted");
    const Outcome& winner = outcome[0].won ? outcome[0] : outcome[1];
    acknowledged.push_back(winner.line);
    if (winner.version) {
      for (const auto& v : versions)
        expect(v != *winner.version, where + ": a write reported version " + v + ", which the file had before");
    }
  }
  std::string final_content = s.storage.read(path);
  for (const auto& line : acknowledged)
    expect(final_content.find(line) != std::string::npos,
           "the acknowledged write of \"" + line.substr(0, line.size() - 1) + "\" is lost");
  std::string expected;
  for (const auto& line : acknowledged) expected += line;
  expect_same(expected, final_content);
}

std::string all_bytes() {
  std::string s;
  for (int round = 0; round < 2; ++round)
    for (int b = 0; b < 256; ++b) s += static_cast<char>(b);
  return s + "\xC3";  // ends inside a UTF-8 sequence
}

std::string megabyte() {
  std::string s;
  s.reserve(1 << 20);
  while (s.size() < (1u << 20)) s += "line of text \xC3\xA9 with \\ and \"quotes\"\n";
  s.resize(1 << 20);
  while ((static_cast<unsigned char>(s.back()) & 0xC0) == 0x80 || static_cast<unsigned char>(s.back()) >= 0xC0) s.pop_back();
  return s;
}

const std::vector<Case>& cases() {
  static const std::vector<Case> all = {
      {"roundtrip_empty", "empty content reads back empty", [](Suite& s) { s.roundtrip(""); }},
      {"roundtrip_trailing_newlines", "trailing newlines survive", [](Suite& s) { s.roundtrip("line\n\n\n"); }},
      {"roundtrip_dash_n", "content such as -n is not taken for an option",
       [](Suite& s) {
         s.roundtrip("-n");
         s.roundtrip("-e \\n -n\n");
       }},
      {"roundtrip_backslashes", "backslashes are not interpreted",
       [](Suite& s) { s.roundtrip("a\\b \\\\ \\t \\n \\u0041"); }},
      {"roundtrip_quotes", "quotes and shell syntax are not interpreted",
       [](Suite& s) { s.roundtrip("\"double\" 'single' `tick` $(echo no) ${HOME} *"); }},
      {"roundtrip_utf8", "multi-byte UTF-8 survives",
       [](Suite& s) { s.roundtrip("caf\xC3\xA9 \xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x98\x80 \xE2\x82\xAC"); }},
      {"roundtrip_1mib", "1 MiB of content survives", [](Suite& s) { s.roundtrip(megabyte()); }},
      {"overwrite", "a write replaces the whole previous content",
       [](Suite& s) {
         s.storage.write(s.at("f"), "a longer first version\n");
         s.storage.write(s.at("f"), "short");
         expect_same("short", s.storage.read(s.at("f")));
       }},
      {"write_needs_parent", "write does not create missing folders (not_found)",
       [](Suite& s) {
         expect_error([&] { s.storage.write(s.at("missing/f"), "x"); }, Errc::storage_not_found,
                      "write into a missing folder");
       }},
      {"ensure_dir_recursive_idempotent", "ensure_dir creates parents and may be repeated",
       [](Suite& s) {
         s.storage.ensure_dir(s.at("a/b/c"));
         s.storage.ensure_dir(s.at("a/b/c"));
         s.storage.ensure_dir(s.at("a"));
         s.storage.write(s.at("a/b/c/f"), "x");
         expect_same("x", s.storage.read(s.at("a/b/c/f")));
       }},
      {"read_missing_not_found", "read of a missing path fails with not_found",
       [](Suite& s) {
         expect_error([&] { s.storage.read(s.at("nope")); }, Errc::storage_not_found, "read of a missing file");
       }},
      {"delete_missing_not_found", "delete of a missing path fails with not_found",
       [](Suite& s) {
         expect_error([&] { s.storage.remove(s.at("nope")); }, Errc::storage_not_found, "delete of a missing file");
       }},
      {"delete_then_read", "a deleted file is gone",
       [](Suite& s) {
         s.storage.write(s.at("f"), "x");
         s.storage.remove(s.at("f"));
         expect_error([&] { s.storage.read(s.at("f")); }, Errc::storage_not_found, "read after delete");
       }},
      {"delete_folder", "a folder is deleted with its contents only when is_directory is set",
       [](Suite& s) {
         s.storage.ensure_dir(s.at("tree/sub"));
         s.storage.write(s.at("tree/sub/f"), "x");
         expect_error([&] { s.storage.remove(s.at("tree")); }, Errc::storage_invalid_argument,
                      "delete of a folder without is_directory");
         s.storage.remove(s.at("tree"), true);
         expect_error([&] { s.storage.read(s.at("tree/sub/f")); }, Errc::storage_not_found,
                      "read inside a deleted folder");
         expect(s.storage.list(s.at("tree")).empty(), "a deleted folder still lists entries");
       }},
      {"list_sorted_children", "list returns immediate children only, sorted by path, with is_directory",
       [](Suite& s) {
         s.storage.ensure_dir(s.at("d/sub"));
         s.storage.ensure_dir(s.at("d/sub2"));
         s.storage.write(s.at("d/b.txt"), "");
         s.storage.write(s.at("d/a.txt"), "");
         s.storage.write(s.at("d/sub/grandchild"), "");
         s.storage.write(s.at("d/sub2/x"), "");
         s.storage.write(s.at("d-sibling"), "");
         auto entries = s.storage.list(s.at("d"));
         std::vector<contract::Entry> expected = {
             {s.at("d/a.txt"), false}, {s.at("d/b.txt"), false}, {s.at("d/sub"), true}, {s.at("d/sub2"), true}};
         std::string got;
         for (const auto& e : entries) got += (got.empty() ? "" : ", ") + e.path + (e.is_directory ? "/" : "");
         expect(entries == expected, "expected a.txt, b.txt, sub/, sub2/ in that order, got: " + got);
       }},
      {"list_missing_empty", "list of a missing folder succeeds with no entries",
       [](Suite& s) { expect(s.storage.list(s.at("missing")).empty(), "a missing folder listed entries"); }},
      {"ensure_dir_on_file", "ensure_dir where a file is fails with conflict and leaves the file as it was",
       [](Suite& s) {
         s.storage.write(s.at("f"), "kept");
         expect_error([&] { s.storage.ensure_dir(s.at("f")); }, Errc::storage_conflict, "ensure_dir on a file");
         expect_error([&] { s.storage.ensure_dir(s.at("f/sub")); }, Errc::storage_conflict,
                      "ensure_dir below a file");
         expect_same("kept", s.storage.read(s.at("f")));
       }},
      {"read_folder", "read of a folder fails with invalid_argument",
       [](Suite& s) {
         s.storage.ensure_dir(s.at("d"));
         s.storage.write(s.at("d/f"), "x");
         expect_error([&] { s.storage.read(s.at("d")); }, Errc::storage_invalid_argument, "read of a folder");
       }},
      {"list_file", "list of a file fails with invalid_argument",
       [](Suite& s) {
         s.storage.write(s.at("f"), "x");
         expect_error([&] { s.storage.list(s.at("f")); }, Errc::storage_invalid_argument, "list of a file");
       }},
      {"write_onto_folder", "write where a folder is fails with invalid_argument and leaves the folder as it was",
       [](Suite& s) {
         s.storage.ensure_dir(s.at("d"));
         s.storage.write(s.at("d/f"), "x");
         expect_error([&] { s.storage.write(s.at("d"), "y"); }, Errc::storage_invalid_argument, "write onto a folder");
         auto entries = s.storage.list(s.at("d"));
         expect(entries.size() == 1 && entries[0].path == s.at("d/f"), "the folder written onto lost its file");
         expect_same("x", s.storage.read(s.at("d/f")));
       }},
      {"delete_file_as_folder", "delete of a file with is_directory set deletes the file",
       [](Suite& s) {
         s.storage.write(s.at("f"), "x");
         s.storage.remove(s.at("f"), true);
         expect_error([&] { s.storage.read(s.at("f")); }, Errc::storage_not_found, "read of a file deleted with is_directory");
       }},
      {"batch_order_partial_failure", "batch keeps order, and one failure does not stop or hide the others",
       [](Suite& s) {
         auto r = s.storage.batch({Event::write(s.at("1"), "one"), Event::read(s.at("nope")), Event::read(s.at("1")),
                                   Event::write(s.at("2"), "two"), Event::list(s.area)});
         expect(r.size() == 5, "expected 5 results");
         expect(r[0].success && r[3].success, "the writes in the batch failed");
         expect(!r[1].success && r[1].effective_error_code() == ErrorCode::not_found,
                "the read of a missing file in the batch did not fail with not_found");
         expect(r[2].success && r[2].data == std::optional<std::string>("one"), "the 3rd result is not the 1st write's content");
         expect(r[4].entries && r[4].entries->size() == 2, "the list at the end did not see both writes");
       }},
      {"response_shapes", "every operation, succeeding and failing, answers in the contract's shape",
       [](Suite& s) {
         // Each call below goes through the validator: a malformed answer fails this case
         // with the rule it broke. Failures must carry an error and the right code.
         s.storage.ensure_dir(s.at("d"));
         s.storage.write(s.at("d/f"), "x");
         expect(s.storage.read(s.at("d/f")) == "x", "read after write");
         expect(s.storage.list(s.at("d")).size() == 1, "list of a folder with one file");
         auto batch = s.storage.batch({Event::read(s.at("d/f")), Event::list(s.at("d")), Event::read(s.at("nope")),
                                       Event::remove(s.at("nope")), Event::ensure_dir(s.at("d"))});
         expect(batch[2].error && !batch[2].error->empty(), "a failed read in a batch carries no error message");
         expect(batch[3].effective_error_code() == ErrorCode::not_found, "a failed delete in a batch is not not_found");
         s.storage.remove(s.at("d/f"));
         expect_error([&] { s.storage.read(s.at("d/f")); }, Errc::storage_not_found, "read of a deleted file");
       }},
      {"batch_read_after_write", "in a batch, a read sees the writes before it and not the ones after",
       [](Suite& s) {
         auto r = s.storage.batch({Event::write(s.at("a"), "v1"), Event::read(s.at("a")), Event::write(s.at("a"), "v2"),
                                   Event::read(s.at("a"))});
         expect(r[1].success && r[1].data == std::optional<std::string>("v1"),
                "the read between two writes did not see the first one");
         expect(r[3].success && r[3].data == std::optional<std::string>("v2"), "the last read did not see the second write");
       }},
      {"batch_read_before_overwrite", "in a batch, a read before an overwrite sees the old content",
       [](Suite& s) {
         s.storage.write(s.at("a"), "old");
         auto r = s.storage.batch({Event::read(s.at("a")), Event::write(s.at("a"), "new")});
         expect(r[0].success && r[0].data == std::optional<std::string>("old"), "the read saw the later write");
         expect(r[1].success, "the overwrite failed");
         expect_same("new", s.storage.read(s.at("a")));
       }},
      {"batch_read_before_delete", "in a batch, a read before a delete succeeds, and the delete too",
       [](Suite& s) {
         s.storage.write(s.at("a"), "here");
         auto r = s.storage.batch({Event::read(s.at("a")), Event::remove(s.at("a")), Event::read(s.at("a"))});
         expect(r[0].success && r[0].data == std::optional<std::string>("here"), "the read before the delete failed");
         expect(r[1].success, "the delete after a read failed: " + r[1].error.value_or(""));
         expect(!r[2].success && r[2].effective_error_code() == ErrorCode::not_found,
                "the read after the delete did not fail with not_found");
       }},
      {"batch_list_after_writes", "in a batch, a list sees the folder and files made before it",
       [](Suite& s) {
         auto r = s.storage.batch({Event::ensure_dir(s.at("d")), Event::write(s.at("d/x"), "1"),
                                   Event::write(s.at("d/y"), "2"), Event::list(s.at("d")), Event::remove(s.at("d/x")),
                                   Event::list(s.at("d"))});
         expect(r[3].success && r[3].entries && r[3].entries->size() == 2, "the list did not see both writes");
         expect(r[5].success && r[5].entries && r[5].entries->size() == 1, "the second list still saw the deleted file");
       }},
      {"batch_writes_keep_their_content", "each write of a batch stores exactly its own content, NUL bytes included",
       [](Suite& s) {
         const std::string with_nul("x\0y\n", 4);
         auto r = s.storage.batch({Event::write(s.at("a"), with_nul), Event::write(s.at("b"), "B"),
                                   Event::write(s.at("c"), "C\n\n"), Event::write(s.at("d"), "")});
         for (const auto& result : r)
           expect(result.success, "a write in the batch failed: " + result.error.value_or(""));
         expect_same(with_nul, s.storage.read(s.at("a")));
         expect_same("B", s.storage.read(s.at("b")));
         expect_same("C\n\n", s.storage.read(s.at("c")));
         expect_same("", s.storage.read(s.at("d")));
       }},
      {"versions_reported", "reads report a version that changes on every write, even of identical content",
       [](Suite& s) {
         s.storage.write(s.at("f"), "same");
         stale_version_of(s, s.at("f"));
       },
       Needs::versions},
      {"write_if_version", "a write applies only while the version it names is current (else conflict)",
       [](Suite& s) {
         s.storage.write(s.at("f"), "one");
         auto current = s.storage.read_versioned(s.at("f"));
         auto stale = stale_version_of(s, s.at("f"));
         expect_error([&] { s.storage.write(s.at("f"), "lost", stale); }, Errc::storage_conflict,
                      "a write with a stale version");
         expect_same("one", s.storage.read(s.at("f")));
         auto fresh = s.storage.read_versioned(s.at("f"));
         s.storage.write(s.at("f"), "two", contract::Condition::matching(*fresh.version));
         expect_same("two", s.storage.read(s.at("f")));
         expect_error([&] { s.storage.write(s.at("gone"), "x", contract::Condition::matching(*current.version)); },
                      Errc::storage_conflict, "a write naming a version of a missing file");
       },
       Needs::versions},
      {"write_if_absent", "a create-only write applies only while nothing is at the path (else conflict)",
       [](Suite& s) {
         s.storage.write(s.at("new"), "first", contract::Condition::absent());
         expect_same("first", s.storage.read(s.at("new")));
         expect_error([&] { s.storage.write(s.at("new"), "second", contract::Condition::absent()); },
                      Errc::storage_conflict, "a create-only write over an existing file");
         expect_same("first", s.storage.read(s.at("new")));
       },
       Needs::versions},
      {"delete_if_version", "a delete applies only while the version it names is current (else conflict)",
       [](Suite& s) {
         s.storage.write(s.at("f"), "x");
         auto stale = stale_version_of(s, s.at("f"));
         expect_error([&] { s.storage.remove(s.at("f"), false, stale); }, Errc::storage_conflict,
                      "a delete with a stale version");
         auto fresh = s.storage.read_versioned(s.at("f"));
         s.storage.remove(s.at("f"), false, contract::Condition::matching(*fresh.version));
         expect_error([&] { s.storage.read(s.at("f")); }, Errc::storage_not_found, "read after a conditional delete");
       },
       Needs::versions},
      {"if_version_missing_path", "if_version on a missing path: a write conflicts, a delete is not_found; nothing is created",
       [](Suite& s) {
         s.storage.write(s.at("f"), "x");
         auto version = s.storage.read_versioned(s.at("f")).version.value_or("");
         s.storage.remove(s.at("f"));
         expect_error([&] { s.storage.write(s.at("f"), "y", contract::Condition::matching(version)); },
                      Errc::storage_conflict, "a write naming a version of a deleted file");
         expect_error([&] { s.storage.write(s.at("never"), "y", contract::Condition::matching(version)); },
                      Errc::storage_conflict, "a write naming a version at a path that never existed");
         expect_error([&] { s.storage.remove(s.at("f"), false, contract::Condition::matching(version)); },
                      Errc::storage_not_found, "a delete naming a version of a deleted file");
         expect_error([&] { s.storage.read(s.at("f")); }, Errc::storage_not_found,
                      "a refused conditional write left a file");
         expect_error([&] { s.storage.read(s.at("never")); }, Errc::storage_not_found,
                      "a refused conditional write left a file");
       },
       Needs::versions},
      {"conditions_on_folders", "a folder has no version: conditional writes and deletes of a folder are invalid_argument",
       [](Suite& s) {
         s.storage.write(s.at("f"), "x");
         auto version = s.storage.read_versioned(s.at("f")).version.value_or("");
         s.storage.ensure_dir(s.at("d/sub"));
         expect_error([&] { s.storage.write(s.at("d"), "y", contract::Condition::matching(version)); },
                      Errc::storage_invalid_argument, "a write with if_version onto a folder");
         expect_error([&] { s.storage.write(s.at("d"), "y", contract::Condition::absent()); },
                      Errc::storage_invalid_argument, "a write with if_absent onto a folder");
         expect_error([&] { s.storage.remove(s.at("d"), true, contract::Condition::matching(version)); },
                      Errc::storage_invalid_argument, "a delete with if_version of a folder");
         expect(s.storage.list(s.at("d")).size() == 1, "a refused conditional change of a folder changed it");
       },
       Needs::versions},
      {"versions_in_a_batch", "conditions hold in a batch as in single operations",
       [](Suite& s) {
         s.storage.write(s.at("f"), "x");
         auto v = s.storage.read_versioned(s.at("f")).version.value_or("");
         auto r = s.storage.batch({Event::write(s.at("f"), "y", contract::Condition::matching(v)),
                                   Event::write(s.at("g"), "g", contract::Condition::absent())});
         expect(r[0].success && r[1].success, "conditional writes that hold failed in a batch: " +
                                                  r[0].error.value_or("") + r[1].error.value_or(""));
         auto stale = s.storage.batch({Event::write(s.at("f"), "z", contract::Condition::matching(v))});
         expect(!stale[0].success && stale[0].effective_error_code() == ErrorCode::conflict,
                "a batched write with a stale version did not conflict");
         auto taken = s.storage.batch({Event::write(s.at("g"), "h", contract::Condition::absent())});
         expect(!taken[0].success && taken[0].effective_error_code() == ErrorCode::conflict,
                "a batched create-only write over an existing file did not conflict");
         expect_same("y", s.storage.read(s.at("f")));
         expect_same("g", s.storage.read(s.at("g")));
       },
       Needs::versions},
      {"atomic_batch_all_or_nothing", "a provider with atomic batches applies none of a batch whose change fails",
       [](Suite& s) {
         auto r = s.storage.batch({Event::write(s.at("a"), "1"), Event::write(s.at("missing/x"), "2"),
                                   Event::write(s.at("b"), "3")});
         expect(!r[1].success && r[1].effective_error_code() == ErrorCode::not_found,
                "the failing write did not report its own error");
         expect(!r[0].success && r[0].effective_error_code() == ErrorCode::aborted,
                "a change before the failing one did not report aborted");
         expect(!r[2].success && r[2].effective_error_code() == ErrorCode::aborted,
                "a change after the failing one did not report aborted");
         expect_error([&] { s.storage.read(s.at("a")); }, Errc::storage_not_found,
                      "a change of a failed atomic batch remained");
         expect_error([&] { s.storage.read(s.at("b")); }, Errc::storage_not_found,
                      "a change of a failed atomic batch remained");
       },
       Needs::atomic_batch},
      {"check_if_version", "a check with if_version holds while a file has that version (else conflict; a folder has none)",
       [](Suite& s) {
         s.storage.write(s.at("f"), "x");
         auto stale = stale_version_of(s, s.at("f"));
         auto current = s.storage.read_versioned(s.at("f")).version.value_or("");
         s.storage.check(s.at("f"), contract::Condition::matching(current));
         expect_error([&] { s.storage.check(s.at("f"), stale); }, Errc::storage_conflict, "a check with a stale version");
         s.storage.ensure_dir(s.at("d"));
         expect_error([&] { s.storage.check(s.at("d"), contract::Condition::matching(current)); }, Errc::storage_conflict,
                      "a check with a version on a folder");
         expect_error([&] { s.storage.check(s.at("gone"), contract::Condition::matching(current)); },
                      Errc::storage_conflict, "a check with a version on a missing path");
         expect_same("x", s.storage.read(s.at("f")));
       },
       Needs::transactions},
      {"check_if_absent", "a check with if_absent holds while nothing, file or folder, is at the path (else conflict)",
       [](Suite& s) {
         s.storage.check(s.at("nothing"), contract::Condition::absent());
         s.storage.write(s.at("f"), "x");
         expect_error([&] { s.storage.check(s.at("f"), contract::Condition::absent()); }, Errc::storage_conflict,
                      "a check with if_absent on a file");
         s.storage.ensure_dir(s.at("d"));
         expect_error([&] { s.storage.check(s.at("d"), contract::Condition::absent()); }, Errc::storage_conflict,
                      "a check with if_absent on a folder");
         expect_error([&] { s.storage.read(s.at("nothing")); }, Errc::storage_not_found,
                      "a check left something at the path it checked");
       },
       Needs::transactions},
      {"check_needs_condition", "a check without a condition is invalid_argument",
       [](Suite& s) {
         expect_error([&] { s.storage.check(s.at("f"), contract::Condition::none()); }, Errc::storage_invalid_argument,
                      "a check without a condition");
       },
       Needs::transactions},
      {"check_fails_batch", "a batch whose check fails applies none of it; one whose checks hold applies whole",
       [](Suite& s) {
         s.storage.write(s.at("taken"), "x");
         auto r = s.storage.batch({Event::write(s.at("a"), "1"), Event::check(s.at("taken"), contract::Condition::absent()),
                                   Event::write(s.at("b"), "2")});
         expect(!r[1].success && r[1].effective_error_code() == ErrorCode::conflict,
                "the failing check did not report conflict");
         expect(!r[0].success && r[0].effective_error_code() == ErrorCode::aborted,
                "a change before the failing check did not report aborted");
         expect(!r[2].success && r[2].effective_error_code() == ErrorCode::aborted,
                "a change after the failing check did not report aborted");
         expect_error([&] { s.storage.read(s.at("a")); }, Errc::storage_not_found,
                      "a change of a batch whose check failed remained");
         expect_error([&] { s.storage.read(s.at("b")); }, Errc::storage_not_found,
                      "a change of a batch whose check failed remained");
         auto version = s.storage.read_versioned(s.at("taken")).version.value_or("");
         auto ok = s.storage.batch({Event::check(s.at("taken"), contract::Condition::matching(version)),
                                    Event::check(s.at("free"), contract::Condition::absent()), Event::write(s.at("a"), "1")});
         for (const auto& result : ok)
           expect(result.success, "a batch whose checks hold failed: " + result.error.value_or(""));
         expect_same("1", s.storage.read(s.at("a")));
       },
       Needs::transactions},
      {"binary_roundtrip",
       "content that is not UTF-8 (every byte value, NUL included) survives byte for byte, or, for a text-only "
       "module, is refused before anything is written",
       [](Suite& s) {
         if (s.storage.capabilities().binary) return s.roundtrip(all_bytes());
         expect_error([&] { s.storage.write(s.at("bin"), all_bytes()); }, Errc::storage_binary_unsupported,
                      "a write of bytes that are not UTF-8 to a text-only module");
         expect_error([&] { s.storage.read(s.at("bin")); }, Errc::storage_not_found, "the refused write left a file");
       }},
      {"atomic_under_concurrent_reader", "a reader sees the old or the new content, never a mix",
       [](Suite& s) {
         const std::string a(256 * 1024, 'a'), b(256 * 1024, 'b');
         s.storage.write(s.at("f"), a);
         auto writer_storage = s.registry.open(s.module, s.preference, s.isolation);
         bool in_process = s.storage.transport_kind() == TransportKind::native;
         bool native = in_process || s.storage.transport_kind() == TransportKind::isolated;
         const int rounds = native ? 300 : 8;
         std::atomic<bool> done{false};
         std::string writer_error;
         std::thread writer([&] {
           try {
             for (int i = 0; i < rounds; ++i) writer_storage->write(s.at("f"), i % 2 ? a : b);
           } catch (const std::exception& e) {
             writer_error = e.what();
           }
           done = true;
         });
         int torn = 0, reads = 0;
         std::string reader_error;
         while (!done || reads < 3) {
           try {
             std::string seen = s.storage.read(s.at("f"));
             if (seen != a && seen != b) ++torn;
           } catch (const std::exception& e) {
             reader_error = e.what();
             break;
           }
           ++reads;
           if (done && reads >= 3) break;
           // A reader streaming through pipes without a pause can starve the kernel worker
           // that completes the writer's fsync on a busy machine, and the writer never ends.
           if (!in_process) std::this_thread::sleep_for(std::chrono::milliseconds(1));
         }
         writer.join();
         expect(writer_error.empty(), "a concurrent write failed: " + writer_error);
         expect(reader_error.empty(), "a read during concurrent writes failed: " + reader_error);
         expect(torn == 0, std::to_string(torn) + " of " + std::to_string(reads) + " reads saw a torn file");
       }},
      {"compare_and_swap_race",
       "two writers racing conditional writes on one path: one wins each round, every version is new, no "
       "acknowledged write is lost",
       [](Suite& s) { compare_and_swap_race(s); }, Needs::versions},
  };
  return all;
}

}  // namespace

std::size_t ConformanceReport::failed() const {
  std::size_t n = 0;
  for (const auto& c : cases) n += (c.passed || c.skipped) ? 0 : 1;
  return n;
}

ConformanceReport run_conformance(const Module& module, TransportPreference preference, IsolationPreference isolation,
                                  const std::function<void(const CaseResult&)>& progress) {
  // Scratch: a config folder (for providers that keep state there) and a storage area.
  std::string config_pattern = (fs::temp_directory_path() / "homeboy-conformance-config-XXXXXX").string();
  std::string area_pattern = (fs::temp_directory_path() / "homeboy-conformance-XXXXXX").string();
  if (!::mkdtemp(config_pattern.data()) || !::mkdtemp(area_pattern.data()))
    throw errors::internal("cannot create a scratch folder for the conformance run");
  fs::path config_dir = config_pattern, area = area_pattern;
  struct Cleanup {
    fs::path a, b;
    bool stop_daemon;
    ~Cleanup() {
      // A daemon started for the scratch config folder would outlive it, idle, for nothing.
      if (auto runtime = stop_daemon ? daemon::existing_runtime_dir() : std::nullopt) try {
          daemon::stop_where(*runtime, [&](const daemon::State& s) { return daemon::same_folder(s.config_dir, a); });
        } catch (const std::exception&) {
          // Best effort: it stops on its own once idle.
        }
      std::error_code ec;
      fs::remove_all(a, ec);
      fs::remove_all(b, ec);
    }
  } cleanup{config_dir, area, module.manifest.runtime.daemon};

  // The scratch config folder's registry knows the module under test alone.
  Registry registry(Catalog{{module}, {}, {}}, config_dir);
  auto storage = registry.open(module, preference, isolation);
  ConformanceReport report{module.id, storage->transport_kind(), {}};
  const auto capabilities = storage->capabilities();
  for (const auto& c : cases()) {
    CaseResult result{c.name, c.rule, false, false, {}, 0};
    const char* missing = c.needs == Needs::versions && !capabilities.versions     ? "versions"
                          : c.needs == Needs::binary && !capabilities.binary         ? "binary"
                          : c.needs == Needs::atomic_batch && !capabilities.atomic_batch ? "atomic_batch"
                          : c.needs == Needs::transactions && !capabilities.transactions ? "transactions"
                                                                                     : nullptr;
    if (missing) {
      result.skipped = true;
      result.reason = std::string("the provider does not declare \"") + missing + "\"";
      progress(result);
      report.cases.push_back(std::move(result));
      continue;
    }
    auto start = std::chrono::steady_clock::now();
    try {
      Suite suite{module, preference, isolation, registry, *storage, area.string() + "/" + c.name};
      storage->ensure_dir(suite.area);
      c.run(suite);
      result.passed = true;
    } catch (const CaseFailed& f) {
      result.reason = f.reason;
    } catch (const Error& e) {
      result.reason = std::string(e.code()) + ": " + e.what();
    } catch (const std::exception& e) {
      result.reason = e.what();
    }
    throw_if_interrupted();  // stop at once; `cleanup` removes the scratch folders on the way out
    result.millis = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    progress(result);
    if (!result.passed) {
      // A crashed or killed helper, or a module left in a bad state, must not fail the
      // cases after this one; when no fresh provider opens, the old one's errors speak.
      try {
        storage = registry.open(module, preference, isolation);
      } catch (const Error&) {
      }
    }
    report.cases.push_back(std::move(result));
  }
  try {
    storage->remove(area.string(), true);  // providers that do not store on disk clean up too
  } catch (const Error&) {
    // Best effort: a module that failed the delete cases may fail here too; the scratch
    // folders on disk are removed by `cleanup` either way.
  }
  return report;
}

}  // namespace homeboy
