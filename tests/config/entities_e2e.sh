#!/usr/bin/env bash
# The config-entity scenario of homeboy, end to end through the CLI, on whichever provider
# the config folder selects: create a server, components and a project that refers to
# them, set, rename a component, list, show with a typo, a refused delete, deletes.
# usage: entities_e2e.sh <homeboy> <scratch dir> [module folder to install as the provider]
set -euo pipefail
homeboy=$1 work=$2 provider=${3:-}
rm -rf "$work"
mkdir -p "$work/config"
config=$work/config
export HOMEBOY_MODULE_PATH=

step=0
hb() { "$homeboy" --config-dir "$config" "$@"; }
fail() { echo "entities e2e (step $step): $*" >&2; exit 1; }
expect() {  # expect EXIT_CODE JQ_CONDITION -- homeboy args...
  local want=$1 condition=$2 out rc
  shift 3
  step=$((step + 1))
  set +e
  out=$(hb "$@")
  rc=$?
  set -e
  [[ $rc == "$want" ]] || fail "homeboy $* exited $rc, expected $want: $out"
  jq -e "$condition" >/dev/null <<<"$out" || fail "homeboy $* gave an unexpected answer ($condition): $out"
}

if [[ -n $provider ]]; then
  expect 0 '.success' -- module install "$provider"
fi
transport=$(hb storage status | jq -r '.data.provider.module_id + "/" + .data.provider.transport')
echo "entities e2e on $transport"

expect 0 '.data.created == ["web-1"]' -- server create web-1 --json '{"host": "web1.example.com", "port": 22}'
expect 0 '.data.created == ["api", "frontend"]' -- component create --json '[{"id": "api"}, {"id": "frontend", "path": "/srv/fe"}]'
expect 0 '.data.created == ["website"]' -- \
  project create website --json '{"name": "Website", "server_id": "web-1", "component_ids": ["api"], "tags": ["prod"]}'
expect 2 '.error.code == "config.invalid_reference" and (.error.message | contains("nope"))' -- \
  project create broken-ref --json '{"server_id": "nope"}'
expect 2 '.error.code == "config.id_collision"' -- component create website
expect 0 '.data.skipped == ["api"] and .data.created == ["worker"]' -- \
  component create --json '[{"id": "api"}, {"id": "worker"}]' --skip-existing

# set: deep merge, arrays union, null removes, --replace replaces
expect 0 '.data.project.component_ids == ["api", "frontend"] and .data.project.tags == ["prod", "eu"] and (.data.updated_fields | sort) == ["component_ids", "tags"]' -- \
  project set website '{"component_ids": ["frontend"], "tags": ["eu"]}'
expect 0 '.data.project.settings == {"php": "8.2"} and (.data.project | has("name") | not)' -- \
  project set website '{"settings": {"php": "8.2", "debug": null}, "name": null}'
expect 0 '.data.project.tags == ["staging"]' -- project set website '{"tags": ["staging"]}' --replace tags
expect 2 '.error.code == "config.empty_patch"' -- project set website '{}'
expect 4 '.error.code == "project.not_found"' -- project set nowhere '{"a": 1}'

# SPEC from a file (@file) and from stdin (-)
printf '{"port": 2222}' >"$work/patch.json"
expect 0 '.data.server.port == 2222 and .data.server.host == "web1.example.com"' -- server set web-1 "@$work/patch.json"
step=$((step + 1))
out=$(hb component set frontend - <<<'{"path": "/srv/frontend"}') || fail "component set from stdin failed: $out"
jq -e '.data.component.path == "/srv/frontend"' >/dev/null <<<"$out" || fail "stdin patch not applied: $out"
expect 2 '.error.code == "cli.invalid_argument"' -- server set web-1 '{not json'

# rename a component: the project that refers to it follows
expect 0 '.data.updated_projects == ["website"]' -- component rename api backend
expect 0 '.data.project.component_ids == ["backend", "frontend"]' -- project show website
expect 4 '.error.code == "component.not_found"' -- component show api
expect 2 '.error.code == "config.id_collision"' -- component rename frontend web-1

# list, with a broken document reported by name and not fatal (written past the rules with --force)
expect 2 '.error.code == "storage.config_protected"' -- storage write "$config/projects/broken.json" --content '{oops'
hb storage write "$config/projects/broken.json" --content '{oops' --force >/dev/null
expect 0 '.data.count == 1 and .data.projects[0].id == "website" and (.data.warnings[0] | contains("broken.json"))' -- project list
expect 2 '.error.code == "config.unhealthy" and .error.details.problems[0].path == "projects/broken.json"' -- doctor
hb storage delete "$config/projects/broken.json" --force >/dev/null

# show with a typo: not found, exit 4, with a hint
expect 4 '.error.code == "project.not_found" and (.error.hints[0].message | contains("website"))' -- project show websit

# delete: refused while referenced, then allowed
expect 2 '.error.code == "config.in_use" and .error.details.projects == ["website"]' -- server delete web-1
expect 2 '.error.code == "config.in_use"' -- component delete backend
expect 0 '.data.id == "website"' -- project delete website
expect 0 '.success' -- server delete web-1
expect 0 '.data.count == 0' -- project list
echo "entities e2e passed on $transport ($step steps)"
