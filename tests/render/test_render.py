"""tools/render/render.py: every template of every role, with production's
inventory. `make test` runs the whole render and the validators
(tools/render/check.sh); these tests show what it renders and that an
undefined variable stops it."""

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.production import production_env
from tools.render import render

ROOT = Path(__file__).resolve().parents[2]


def test_every_play_of_site_yml_with_roles_is_mirrored():
    names = [r["role"] if isinstance(r, dict) else r for p in render.plays() for r in p["roles"]]
    for role in (
        "base",
        "identity",
        "ceph_mon",
        "slurm_controller",
        "rsnapshot",
        "registry",
        "ie_podman",
    ):
        assert role in names
    book = render.playbook("/out")
    assert [p["hosts"] for p in book[:-1]] == [p["hosts"] for p in render.plays()]
    # the playbooks' own vars reach the render (slurm.conf's node lines)
    slurm = next(p for p in book if "slurm_controller_node_lines" in p["vars"])
    assert "slurm_node_lines" in slurm["vars"]["slurm_controller_node_lines"]


def test_each_template_is_one_lookup_and_the_role_runs_no_task():
    tasks = render.role_tasks({"role": "rsnapshot", "vars": {"x": 1}})
    assert tasks[0]["ansible.builtin.import_role"] == {"name": "rsnapshot"}
    assert tasks[0]["when"] is False
    rendered = [t for t in tasks if "ansible.builtin.set_fact" in t]
    templates = sorted((ROOT / "roles/rsnapshot/templates").glob("*.j2"))
    assert len(rendered) == len(templates)
    timer = next(t for t in rendered if "ie-rsnapshot.timer.j2" in t["name"])
    assert timer["loop"] == "{{ rsnapshot_levels }}"
    assert timer["loop_control"] == {"loop_var": "__rsnapshot_level"}
    assert all(t["vars"] == {"x": 1} for t in rendered)


def test_the_loops_and_unused_name_real_templates():
    for role, template in render.LOOPS:
        assert (ROOT / "roles" / role / "templates" / template).exists()
    for key in render.UNUSED:
        assert (ROOT / "roles" / key.replace("/", "/templates/", 1)).exists()


def test_the_example_vault_has_the_production_vaults_keys():
    example = yaml.safe_load(
        (ROOT / "inventories/production/group_vars/all/vault.yml.example").read_text()
    )
    assert set(yaml.safe_load((ROOT / "tools/render/example-vault.yml").read_text())) == set(
        example
    )


def test_a_variable_production_lacks_stops_the_render_naming_it(tmp_path):
    inventory = tmp_path / "production"
    shutil.copytree(ROOT / "inventories/production", inventory)
    slurm = inventory / "group_vars/all/slurm.yml"
    values = yaml.safe_load(slurm.read_text())
    del values["slurm_gpu_type"]  # the lab layer does not set it either: only production did
    slurm.write_text(yaml.safe_dump(values))
    env = production_env(ANSIBLE_CACHE_PLUGIN_CONNECTION=str(tmp_path / "facts"))
    result = subprocess.run(
        [
            sys.executable,
            "tools/render/render.py",
            str(tmp_path / "out"),
            "-i",
            str(inventory),
            "-e",
            "@tools/render/example-vault.yml",
            "--limit",
            "gs01",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "'slurm_gpu_type' is undefined" in result.stdout + result.stderr
