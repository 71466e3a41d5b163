"""Mitogen's linear strategy is what production and every test run use
(issue 24): ansible.cfg and the Molecule base config name it, and the
repository's strategy_plugins/mitogen_linear.py loads as Mitogen's strategy
over Ansible's linear one."""

from __future__ import annotations

import configparser
import importlib.util
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]


def test_ansible_cfg_and_the_molecule_base_config_name_the_strategy():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "ansible.cfg")
    assert cfg["defaults"]["strategy"] == "mitogen_linear"
    assert (ROOT / cfg["defaults"]["strategy_plugins"] / "mitogen_linear.py").is_file()
    base = yaml.safe_load((ROOT / ".config/molecule/config.yml").read_text())
    defaults = base["provisioner"]["config_options"]["defaults"]
    assert defaults["strategy"] == "mitogen_linear"
    assert defaults["strategy_plugins"] == "${IE_REPO_ROOT}/strategy_plugins"


def test_the_plugin_is_mitogens_strategy_over_ansibles_linear():
    import ansible.plugins.strategy.linear as linear
    import ansible_mitogen.strategy

    spec = importlib.util.spec_from_file_location(
        "ie_mitogen_linear", ROOT / "strategy_plugins" / "mitogen_linear.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    strategy = module.StrategyModule
    assert issubclass(strategy, ansible_mitogen.strategy.StrategyMixin)
    assert issubclass(strategy, linear.StrategyModule)
    assert "podman" in ansible_mitogen.strategy.REDIRECTED_CONNECTION_PLUGINS
    assert "ssh" in ansible_mitogen.strategy.REDIRECTED_CONNECTION_PLUGINS
