// `homeboy project|server|component ...`: homeboy's config entities, stored through the
// active provider.

#include "cli/app.hpp"
#include "homeboy/config_store.hpp"

#include <boost/json.hpp>

#include <iostream>
#include <memory>

namespace json = boost::json;

namespace homeboy::cli {

namespace {

// SPEC: JSON text, @file, or - for stdin.
json::value read_spec(const std::string& spec) {
  std::string text = spec == "-" ? read_input("-") : spec.starts_with("@") ? read_input(spec.substr(1)) : spec;
  json::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec)
    throw errors::invalid_argument("SPEC is not valid JSON (" + ec.message() + "): " + excerpt(text, 80),
                                   {{"spec", excerpt(text, 200)}});
  return value;
}

std::string name(EntityKind kind) { return std::string(to_string(kind)); }

Reply list(EntityKind kind, Context& ctx) {
  ConfigStore store(ctx.storage(), ctx.config_dir());
  auto listing = std::make_shared<ConfigStore::Listing>(store.list(kind));
  json::array warnings;
  for (const auto& w : listing->warnings) {
    std::cerr << "homeboy: warning: " << w << '\n';
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
  json::value spec = vm.count("json") ? read_spec(vm["json"].as<std::string>()) : json::value(json::object{});
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
      throw errors::invalid_argument("give the id as an argument or as \"id\" in --json SPEC");
    }
    docs.push_back(std::move(doc));
  } else {
    throw errors::invalid_argument("SPEC must be a JSON object or an array of objects");
  }

  bool many = docs.size() > 1 || spec.is_array();
  ConfigStore store(ctx.storage(), ctx.config_dir());
  auto outcomes = store.create(kind, std::move(docs), vm["skip-existing"].as<bool>());
  if (!many && outcomes[0].error) throw *outcomes[0].error;
  json::array items, created, skipped, failed;
  for (const auto& o : outcomes) {
    json::object item{{"id", o.id}, {"status", o.status}};
    if (o.error) item["error"] = json::object{{"code", o.error->code()}, {"message", o.error->what()}};
    (o.status == "created" ? created : o.status == "skipped" ? skipped : failed).emplace_back(o.id);
    items.emplace_back(std::move(item));
  }
  json::object data{{"command", name(kind) + ".create"}, {"created", created}, {"skipped", skipped},
                    {"failed", failed},                    {"items", std::move(items)}};
  if (!failed.empty())
    throw Error(name(kind) + ".create_failed",
                std::to_string(failed.size()) + " of " + std::to_string(outcomes.size()) + " " +
                    std::string(plural(kind)) + " could not be created",
                ExitCode::invalid, std::move(data));
  return data;
}

json::object set(EntityKind kind, Context& ctx, const po::variables_map& vm) {
  std::string id = vm["id"].as<std::string>();
  json::value patch = read_spec(vm["spec"].as<std::string>());
  if (!patch.is_object()) throw errors::invalid_argument("the SPEC of `set` must be a JSON object");
  std::set<std::string> replace;
  if (vm.count("replace"))
    for (const auto& f : vm["replace"].as<std::vector<std::string>>()) replace.insert(f);
  ConfigStore store(ctx.storage(), ctx.config_dir());
  auto [entity, changed] = store.set(kind, id, patch.as_object(), replace);
  json::array fields;
  for (const auto& f : changed) fields.emplace_back(f);
  return {{"command", name(kind) + ".set"}, {"id", id}, {"updated_fields", std::move(fields)},
          {name(kind), std::move(entity.doc)}};
}

json::object rename(EntityKind kind, Context& ctx, const po::variables_map& vm) {
  std::string id = vm["id"].as<std::string>(), new_id = vm["new-id"].as<std::string>();
  ConfigStore store(ctx.storage(), ctx.config_dir());
  json::array updated;
  for (const auto& p : store.rename(kind, id, new_id)) updated.emplace_back(p);
  return {{"command", name(kind) + ".rename"}, {"id", id}, {"new_id", new_id}, {"updated_projects", std::move(updated)}};
}

json::object remove(EntityKind kind, Context& ctx, const po::variables_map& vm) {
  std::string id = vm["id"].as<std::string>();
  ConfigStore store(ctx.storage(), ctx.config_dir());
  store.remove(kind, id);
  return {{"command", name(kind) + ".delete"}, {"id", id}};
}

void id_argument(po::options_description& desc, po::positional_options_description& pos, bool required) {
  auto value = po::value<std::string>()->value_name("ID");
  desc.add_options()("id", required ? value->required() : value, "the id");
  pos.add("id", 1);
}

Group entity_group(EntityKind kind, std::string summary) {
  std::string n = name(kind), p(plural(kind));
  return Group{
      n,
      std::move(summary),
      {
          {"list", "List all " + p + " (documents that do not parse are reported as warnings).", "",
           nullptr, [kind](Context& ctx, const po::variables_map&) { return list(kind, ctx); }},
          {"show", "Show one " + n + ".", "<id>", [](auto& d, auto& pos) { id_argument(d, pos, true); },
           [kind](Context& ctx, const po::variables_map& vm) { return show(kind, ctx, vm); }},
          {"create", "Create one " + n + ", or many from a JSON array.", "[<id>] [--json SPEC] [--skip-existing]",
           [](auto& d, auto& pos) {
             id_argument(d, pos, false);
             d.add_options()("json", po::value<std::string>()->value_name("SPEC"),
                             "the document: JSON, @file or - for stdin; an array creates many")(
                 "skip-existing", po::bool_switch(), "skip ids that exist instead of failing");
           },
           [kind](Context& ctx, const po::variables_map& vm) { return create(kind, ctx, vm); }},
          {"set", "Merge a JSON patch into a " + n + " (null removes a key, arrays union).", "<id> SPEC [--replace FIELD]...",
           [](auto& d, auto& pos) {
             id_argument(d, pos, true);
             d.add_options()("spec", po::value<std::string>()->required()->value_name("SPEC"),
                             "the patch: JSON, @file or - for stdin")(
                 "replace", po::value<std::vector<std::string>>()->value_name("FIELD")->composing(),
                 "replace this array field (dotted path) instead of merging it");
             pos.add("spec", 1);
           },
           [kind](Context& ctx, const po::variables_map& vm) { return set(kind, ctx, vm); }},
          {"rename", "Rename a " + n + " and update the projects that refer to it.", "<id> <new-id>",
           [](auto& d, auto& pos) {
             id_argument(d, pos, true);
             d.add_options()("new-id", po::value<std::string>()->required()->value_name("NEW_ID"), "the new id");
             pos.add("new-id", 1);
           },
           [kind](Context& ctx, const po::variables_map& vm) { return rename(kind, ctx, vm); }},
          {"delete", "Delete a " + n + " (refused while a project refers to it).", "<id>",
           [](auto& d, auto& pos) { id_argument(d, pos, true); },
           [kind](Context& ctx, const po::variables_map& vm) { return remove(kind, ctx, vm); }},
      }};
}

}  // namespace

Group project_group() { return entity_group(EntityKind::project, "Projects: a server and the components deployed to it."); }
Group server_group() { return entity_group(EntityKind::server, "Servers that projects deploy to."); }
Group component_group() { return entity_group(EntityKind::component, "Components that projects are made of."); }

}  // namespace homeboy::cli
