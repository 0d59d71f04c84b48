// `homeboy project|server|component ...`: homeboy's config entities, stored through the
// active provider.

#include "cli/app.hpp"
#include "cli/progress.hpp"
#include "homeboy/config/config_store.hpp"
#include "homeboy/contract/json_input.hpp"
#include "homeboy/contract/json_text.hpp"
#include "homeboy/text.hpp"

#include <boost/json.hpp>

#include <iostream>
#include <memory>

namespace json = boost::json;

namespace homeboy::cli {

namespace {

// SPEC: JSON text, @file, or - for stdin.
json::value read_spec(const std::string& spec) {
  std::string text = spec == "-" ? read_input("-") : spec.starts_with("@") ? read_input(spec.substr(1)) : spec;
  std::string from = spec == "-"             ? "the SPEC on stdin"
                     : spec.starts_with("@") ? "the SPEC in " + spec.substr(1)
                                             : "SPEC";
  return parse_json_input(text, from);
}

// Bulk work (a create of many, a rename rewriting many projects) shows its batches'
// progress on a terminal, for batches large enough to be worth a line.
void show_progress(ConfigStore& store, TerminalProgress& progress) {
  auto shown = [&progress](std::string phase) -> BatchProgress {
    return [&progress, phase](std::size_t done, std::size_t total) {
      if (total >= progress_from_operations) progress.show(phase, done, total);
    };
  };
  store.set_progress(shown("writing"), shown("reading"));
}

// A SPEC rather than an id: JSON text, @file or -.
bool looks_like_spec(std::string_view word) {
  auto start = word.find_first_not_of(" \t\r\n");
  return word == "-" || word.starts_with("@") ||
         (start != std::string_view::npos && (word[start] == '{' || word[start] == '['));
}

// The document, given once: as the SPEC argument or as --json SPEC (the same for create
// and set). Nothing when neither is given.
std::optional<std::string> spec_of(const po::variables_map& vm) {
  if (vm.count("spec") && vm.count("json"))
    throw errors::invalid_argument("the document is given twice: as SPEC and as --json SPEC; give it once");
  if (vm.count("json")) return vm["json"].as<std::string>();
  if (vm.count("spec")) return vm["spec"].as<std::string>();
  return std::nullopt;
}

bool dry_run_of(const po::variables_map& vm) { return vm["dry-run"].as<bool>(); }

// An error as an item of a bulk answer: its code, message and hints.
json::object error_json(const Error& e) {
  json::array hints;
  for (const auto& h : e.hints()) hints.emplace_back(json::object{{"message", h}});  // as the envelope's
  return {{"code", e.code()}, {"message", e.what()}, {"hints", std::move(hints)}};
}

std::string name(EntityKind kind) { return std::string(to_string(kind)); }

Reply list(EntityKind kind, Context& ctx) {
  ConfigStore store(ctx.storage(), ctx.config_dir());
  auto listing = std::make_shared<ConfigStore::Listing>(store.list(kind));
  json::array warnings;
  for (const auto& w : listing->warnings) {
    ctx.warn(w);  // --quiet silences it; the envelope's "warnings" still lists it
    warnings.emplace_back(w);
  }
  Reply reply{{"command", name(kind) + ".list"}, {"count", listing->entities.size()}};
  reply.stream(plural(kind), [listing](JsonWriter& out) {
    out.begin_array();
    for (const auto& e : listing->entities) out.value(e.doc);
    out.end_array();
  });
  reply.data()["warnings"] = std::move(warnings);
  return reply;
}

json::object show(EntityKind kind, Context& ctx, const po::variables_map& vm) {
  ConfigStore store(ctx.storage(), ctx.config_dir());
  return {{"command", name(kind) + ".show"}, {name(kind), store.get(kind, vm["id"].as<std::string>()).doc}};
}

json::object create(EntityKind kind, Context& ctx, const po::variables_map& vm) {
  std::vector<json::object> docs;
  std::optional<std::string> id;
  if (vm.count("id")) id = vm["id"].as<std::string>();
  std::optional<std::string> given = spec_of(vm);
  // `create SPEC` with the id inside it: one argument that is a document, not an id.
  if (id && !given && looks_like_spec(*id)) {
    given = std::move(id);
    id.reset();
  }
  json::value spec = given ? read_spec(*given) : json::value(json::object{});
  if (spec.is_array()) {
    if (id) throw errors::invalid_argument("an <id> argument cannot be combined with an array SPEC (each item holds its id)");
    for (auto& item : spec.as_array()) {
      if (!item.is_object()) throw errors::invalid_argument("every item of the SPEC array must be a JSON object");
      docs.push_back(std::move(item.as_object()));
    }
    if (docs.empty()) throw errors::invalid_argument("the SPEC array is empty: nothing to create");
  } else if (spec.is_object()) {
    json::object doc = std::move(spec.as_object());
    if (id) {
      if (const auto* inner = doc.if_contains("id"); inner && !(inner->is_string() && inner->get_string() == *id))
        throw errors::invalid_argument("the <id> argument and the SPEC's \"id\" differ");
      doc["id"] = *id;
    } else if (!doc.contains("id")) {
      throw errors::invalid_argument("give the id as an argument or as \"id\" in SPEC");
    }
    docs.push_back(std::move(doc));
  } else {
    throw errors::invalid_argument("SPEC must be a JSON object or an array of objects");
  }

  bool many = docs.size() > 1 || spec.is_array();
  bool dry_run = dry_run_of(vm);
  ConfigStore store(ctx.storage(), ctx.config_dir());
  TerminalProgress progress(name(kind) + " create", ctx.quiet());
  show_progress(store, progress);
  auto outcomes = store.create(kind, std::move(docs), vm["skip-existing"].as<bool>(), dry_run);
  if (!many && outcomes[0].error) throw *outcomes[0].error;
  json::array items, created, skipped, failed;
  for (const auto& o : outcomes) {
    json::object item{{"id", o.id}, {"status", to_string(o.status)}};
    if (o.error) item["error"] = error_json(*o.error);
    (o.status == CreateStatus::created   ? created
     : o.status == CreateStatus::skipped ? skipped
                                         : failed)
        .emplace_back(o.id);
    items.emplace_back(std::move(item));
  }
  json::object data{{"command", name(kind) + ".create"}, {"dry_run", dry_run}, {"created", created},
                    {"skipped", skipped}, {"failed", failed}, {"items", std::move(items)}};
  if (!failed.empty()) {
    // The first failure's own hints (a did-you-mean for a reference), then where the rest are.
    std::vector<std::string> hints;
    for (const auto& o : outcomes)
      if (o.error && hints.empty()) {
        for (const auto& h : o.error->hints()) hints.push_back("'" + o.id + "': " + h);
      }
    hints.push_back("Each one's reason and hints: details.items.");
    throw Error(errc_for(kind, EntityFailure::create_failed),
                std::to_string(failed.size()) + " of " + std::to_string(outcomes.size()) + " " +
                    std::string(plural(kind)) + " could not be created (first: " + std::string(failed[0].as_string()) +
                    ")",
                std::move(data), std::move(hints));
  }
  return data;
}

// The patch of `set`: one JSON SPEC (text, @file, -), or key=value words.
Patch patch_of(EntityKind kind, const std::string& id, const po::variables_map& vm) {
  std::vector<std::string> words;
  if (vm.count("spec")) words = vm["spec"].as<std::vector<std::string>>();
  if (vm.count("json") && !words.empty())
    throw errors::invalid_argument("the document is given twice: as SPEC (or key=value words) and as --json SPEC; give it once");
  Patch patch;
  if (vm.count("json") || (words.size() == 1 && looks_like_spec(words[0]))) {
    json::value spec = read_spec(vm.count("json") ? vm["json"].as<std::string>() : words[0]);
    if (!spec.is_object()) throw errors::invalid_argument("the SPEC of `set` must be a JSON object");
    patch.merge = std::move(spec.as_object());
  } else if (!words.empty()) {
    for (const auto& w : words)
      if (looks_like_spec(w))
        throw errors::invalid_argument("a JSON SPEC comes alone; '" + excerpt(w, 40) + "' is given with key=value words");
    patch = patch_from_assignments(words);
  } else {
    throw errors::invalid_argument("`" + name(kind) + " set` needs the patch: key=value words or a JSON SPEC",
                                   {{"id", id}})
        .with_hint("For example: homeboy " + name(kind) + " set " + id + " name=\"New name\" port=2222");
  }
  if (vm.count("replace"))
    for (const auto& f : vm["replace"].as<std::vector<std::string>>()) patch.replace.insert(f);
  return patch;
}

// A set that changed nothing because arrays unite: said, with the --replace that would do it.
json::array unite_notes(EntityKind kind, const std::string& id, const Patch& patch, const json::object& doc) {
  json::array notes;
  for (const auto& kv : patch.merge) {
    std::string key(kv.key());
    const json::value* now = doc.if_contains(key);
    if (!kv.value().is_array() || patch.replace.count(key) || !now || *now == kv.value()) continue;
    std::string value = compact(kv.value());
    notes.emplace_back("\"" + key + "\" already holds every item given (arrays are united, not replaced); to make it exactly " +
                       value + ": homeboy " + name(kind) + " set " + id + " '" + key + "=" + value + "' --replace " + key);
  }
  return notes;
}

json::object set(EntityKind kind, Context& ctx, const po::variables_map& vm) {
  std::string id = vm["id"].as<std::string>();
  Patch patch = patch_of(kind, id, vm);
  bool dry_run = dry_run_of(vm);
  ConfigStore store(ctx.storage(), ctx.config_dir());
  auto [entity, changed] = store.set(kind, id, patch, dry_run);
  json::array fields;
  for (const auto& f : changed) fields.emplace_back(f);
  json::array notes = changed.empty() ? unite_notes(kind, id, patch, entity.doc) : json::array{};
  for (const auto& n : notes) ctx.warn(std::string(n.as_string()));
  return {{"command", name(kind) + ".set"}, {"id", id}, {"dry_run", dry_run}, {"updated_fields", std::move(fields)},
          {name(kind), std::move(entity.doc)}, {"warnings", std::move(notes)}};
}

json::object rename(EntityKind kind, Context& ctx, const po::variables_map& vm) {
  std::string id = vm["id"].as<std::string>(), new_id = vm["new-id"].as<std::string>();
  ConfigStore store(ctx.storage(), ctx.config_dir());
  bool dry_run = dry_run_of(vm);
  TerminalProgress progress(name(kind) + " rename", ctx.quiet());
  show_progress(store, progress);
  json::array updated;
  for (const auto& p : store.rename(kind, id, new_id, dry_run)) updated.emplace_back(p);
  return {{"command", name(kind) + ".rename"}, {"id", id},
          {"new_id", new_id}, {"dry_run", dry_run},
          {"updated_projects", std::move(updated)}};
}

json::object remove(EntityKind kind, Context& ctx, const po::variables_map& vm) {
  std::string id = vm["id"].as<std::string>();
  ConfigStore store(ctx.storage(), ctx.config_dir());
  bool dry_run = dry_run_of(vm);
  store.remove(kind, id, dry_run);
  return {{"command", name(kind) + ".delete"}, {"id", id}, {"dry_run", dry_run}};
}

OptionSpec id_argument(std::string help) {
  return argument("id", "id", std::move(help)).completing(Completion::entity);
}

OptionSpec spec_argument(std::string help) { return argument("spec", "SPEC", std::move(help)).optional(); }

OptionSpec dry_run_flag() { return flag("dry-run", "check everything and say what would change; change nothing"); }

OptionSpec json_option(std::string help) {
  return option("json", "SPEC", std::move(help) + " (the same as the SPEC argument)");
}

// Help texts say what each kind really does: only projects refer to others.
GroupSpec entity_group(EntityKind kind, std::string summary) {
  std::string n = name(kind), p(plural(kind));
  bool referred_to = kind != EntityKind::project;
  std::string document = "the document: JSON, @file or - for stdin";
  return GroupSpec{
      n,
      std::move(summary),
      {
          {"list",
           "List all " + p + " (documents that do not parse are reported as warnings).",
           "",
           {},
           [kind](Context& ctx, const po::variables_map&) { return list(kind, ctx); }},
          {"show",
           "Show one " + n + ".",
           "<id>",
           {id_argument("the " + n + "'s id")},
           [kind](Context& ctx, const po::variables_map& vm) { return show(kind, ctx, vm); }},
          {"create",
           "Create one " + n + ", or many from a JSON array.",
           "[<id>] [SPEC | --json SPEC] [--skip-existing] [--dry-run]",
           {id_argument("the new " + n + "'s id (or \"id\" inside SPEC)").optional(),
            spec_argument(document + "; an array creates many"), json_option(document),
            flag("skip-existing", "skip ids that exist instead of failing"), dry_run_flag()},
           [kind](Context& ctx, const po::variables_map& vm) { return create(kind, ctx, vm); },
           "SPEC alone (`homeboy " + n + " create '{\"id\": \"x\"}'`) is the document with its id inside."},
          {"set",
           "Change fields of a " + n + ": key=value words, or a JSON patch merged in.",
           "<id> (KEY=VALUE... | SPEC | --json SPEC) [--replace FIELD]... [--dry-run]",
           {id_argument("the " + n + "'s id"),
            argument("spec", "KEY=VALUE", "a field to set (key=value, key= removes, key+=item, key-=item; "
                                          "dotted keys reach into objects), or one JSON patch: JSON, @file or -")
                .optional()
                .repeat(),
            json_option("the patch"),
            option("replace", "FIELD", "replace this array field (a dotted path) instead of uniting it").repeat(),
            dry_run_flag()},
           [kind](Context& ctx, const po::variables_map& vm) { return set(kind, ctx, vm); },
           "A value is read as JSON when it is JSON (2222, true, [\"a\"], \"quoted text\") and kept as text otherwise; "
           "key= removes the key. Arrays are united with what is there (--replace FIELD replaces one); key-=item takes "
           "an item out."},
          {"rename",
           referred_to ? "Rename a " + n + " and update the projects that refer to it." : "Rename a project.",
           "<id> <new-id> [--dry-run]",
           {id_argument("the " + n + "'s id"), argument("new-id", "new-id", "its new id"), dry_run_flag()},
           [kind](Context& ctx, const po::variables_map& vm) { return rename(kind, ctx, vm); }},
          {"delete",
           referred_to ? "Delete a " + n + " (refused while a project refers to it)." : "Delete a project.",
           "<id> [--dry-run]",
           {id_argument("the " + n + "'s id"), dry_run_flag()},
           [kind](Context& ctx, const po::variables_map& vm) { return remove(kind, ctx, vm); }},
      }};
}

}  // namespace

GroupSpec project_group() {
  return entity_group(EntityKind::project, "Projects: a server and the components deployed to it.");
}
GroupSpec server_group() { return entity_group(EntityKind::server, "Servers that projects deploy to."); }
GroupSpec component_group() { return entity_group(EntityKind::component, "Components that projects are made of."); }

}  // namespace homeboy::cli
