#!/usr/bin/env bash
# Production renders: every template of every role rendered with production's
# inventory and an example vault (tools/render/render.py; an undefined
# variable stops it), then each file checked by its own tool in a throw-away
# container of the test image (tools/render/validate.sh). The same container
# then shows that each validator refuses a broken file (tests/render/broken).
# `make test` runs it.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out=$root/.cache/render
rm -rf "$out" && mkdir -p "$out"
ANSIBLE_CACHE_PLUGIN_CONNECTION=$(mktemp -d) \
    python3 tools/render/render.py "$out" -i inventories/production -e @tools/render/example-vault.yml >"$out.log" \
    || { tail -40 "$out.log"; exit 1; }
echo "rendered $(find "$out" -type f | wc -l) files for $(find "$out" -mindepth 1 -maxdepth 1 | wc -l) hosts (log: $out.log)"
# The alerting rules are files, not templates: promtool checks them and
# runs their tests (tests/prometheus) in the same container.
podman run --rm -v "$out:/render:ro" -v "$root/tests/render/broken:/broken:ro" \
    -v "$root/tools/render/validate.sh:/validate.sh:ro" \
    -v "$root/roles/prometheus/files/rules:/rules:ro" -v "$root/tests/prometheus:/rule-tests:ro" \
    -v "$root/roles/alertmanager/files:/am-templates:ro" \
    localhost/ie-debian:trixie \
    bash -c 'bash /validate.sh /render && echo "--- each validator refuses a broken file:" && bash /validate.sh --expect-failures /broken \
        && echo "--- the alerting rules:" && promtool check rules /rules/*.yml && promtool test rules /rule-tests/*.test.yml'
