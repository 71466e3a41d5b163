"""stemplates (roles/slurm_templates/files): the templates a job can run in,
as a table and as JSON, from the listing the role writes."""

from __future__ import annotations

import json
from pathlib import Path

from scripts import load_script

from filter_plugins.slurm import slurm_templates

ROOT = Path(__file__).resolve().parents[3]
stemplates = load_script(ROOT / "roles" / "slurm_templates" / "files" / "stemplates", "stemplates")

TEMPLATES = slurm_templates(
    [
        {
            "name": "pytorch",
            "image": "templates/pytorch:2.5",
            "cpus": 4,
            "mem": "8G",
            "gpus": "tesla:1",
            "time": "2:00:00",
            "comment": "PyTorch 2.5, CUDA",
        },
        {"name": "busybox", "image": "templates/busybox:1", "mem": "1536M"},
    ],
    "registry01:5000",
    "tesla",
)


def listing(tmp_path, templates=TEMPLATES):
    path = tmp_path / "slurm-templates.json"
    path.write_text(json.dumps({"templates": templates}))
    return str(path)


def test_the_table_lists_each_template_with_its_defaults(tmp_path, capsys):
    assert stemplates.main([], listing(tmp_path)) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["TEMPLATE", "IMAGE", "CPUS", "MEMORY", "GPUS", "TIME", "COMMENT"]
    assert lines[1].split() == [
        "pytorch",
        "templates/pytorch:2.5",
        "4",
        "8G",
        "tesla:1",
        "2:00:00",
        "PyTorch",
        "2.5,",
        "CUDA",
    ]
    # '-': Slurm's own default applies
    assert lines[2].split() == ["busybox", "templates/busybox:1", "-", "1536M", "-", "-", "-"]
    # the columns line up
    assert lines[1].index("templates/") == lines[0].index("IMAGE") == lines[2].index("templates/")


def test_json_output_and_a_selection(tmp_path, capsys):
    assert stemplates.main(["--format", "json", "busybox"], listing(tmp_path)) == 0
    [busybox] = json.loads(capsys.readouterr().out)
    assert busybox["name"] == "busybox" and busybox["ref"] == "registry01:5000/templates/busybox:1"
    assert busybox["mem_mb"] == 1536 and busybox["cpus"] is None


def test_an_unknown_template_and_a_missing_listing(tmp_path, capsys):
    assert stemplates.main(["nope"], listing(tmp_path)) == 2
    assert "no template nope. The templates: busybox, pytorch." in capsys.readouterr().err
    assert stemplates.main([], str(tmp_path / "none.json")) == 1
    assert "cannot read" in capsys.readouterr().err


def test_no_templates(tmp_path, capsys):
    assert stemplates.main([], listing(tmp_path, [])) == 0
    assert "No container templates" in capsys.readouterr().out
