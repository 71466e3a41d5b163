# Mitogen for Ansible's linear strategy (issue 24): each host keeps one Python
# interpreter for the whole run, reached once over the play's own connection
# (SSH with become in production, `podman exec` in the lab and tests), and
# every task runs in it, instead of a new interpreter and a module upload per
# task. Tasks, check mode, diff and become are Ansible's own; only how a
# module reaches the host changes. The package is PyPI's mitogen
# (requirements/dev.txt); this file only names its strategy, as its own
# plugins/strategy/mitogen_linear.py does, so that ansible.cfg needs no path
# into the virtualenv.
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import ansible_mitogen.loaders
import ansible_mitogen.strategy

DOCUMENTATION = """
    name: mitogen_linear
    short_description: Ansible's linear strategy with Mitogen's connections
    description:
      - The linear strategy, with modules run in one persistent interpreter
        per host (Mitogen for Ansible).
    author: ie-cluster system admin team
"""

Base = ansible_mitogen.loaders.strategy_loader.get("linear", class_only=True)


class StrategyModule(ansible_mitogen.strategy.StrategyMixin, Base):
    pass
