"""The prometheus role's filter: the repository's rules with other holds."""

from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from filter_plugins.prometheus import FilterModule, alert_holds

RULES = Path(__file__).parents[3] / "roles/prometheus/files/rules/ie-cluster.rules.yml"


def by_alert(text):
    return {r["alert"]: r for g in yaml.safe_load(text)["groups"] for r in g["rules"]}


def test_without_holds_the_file_is_installed_as_it_is():
    text = RULES.read_text()
    assert alert_holds(text, {}) is text
    assert alert_holds(text, None) is text


def test_a_hold_replaces_the_rules_for_and_nothing_else():
    text = RULES.read_text()
    before = by_alert(text)
    after = by_alert(alert_holds(text, {"IeCephOsdDown": "15s", "IeHostDown": "0s"}))
    assert before["IeCephOsdDown"]["for"] == "1m"
    assert after["IeCephOsdDown"]["for"] == "15s"
    assert "for" in before["IeHostDown"] and "for" not in after["IeHostDown"]
    for name in before:
        rest = {k: v for k, v in after[name].items() if k != "for"}
        assert rest == {k: v for k, v in before[name].items() if k != "for"}, name
        if name not in ("IeCephOsdDown", "IeHostDown"):
            assert after[name] == before[name], name
    # Prometheus's own templates in the annotations are kept as text
    assert after["IeHostDown"]["annotations"]["summary"].startswith("{{ $labels.host }}")


def test_an_unknown_alert_is_named():
    with pytest.raises(AnsibleFilterError, match="names no alert of the rules: IeNoSuch"):
        alert_holds(RULES.read_text(), {"IeNoSuch": "1m"})


@pytest.mark.parametrize("hold", ["1 minute", "", "5", 30, "-1m"])
def test_a_hold_that_is_no_duration_is_refused(hold):
    with pytest.raises(AnsibleFilterError, match="the hold of IeHostDown must be a duration"):
        alert_holds(RULES.read_text(), {"IeHostDown": hold})


def test_not_text_is_refused():
    with pytest.raises(AnsibleFilterError, match="expected the rules file's text"):
        alert_holds({"groups": []}, {"IeHostDown": "1m"})


def test_registered():
    assert FilterModule().filters()["alert_holds"] is alert_holds


def test_ansibles_tagged_strings_are_written_as_plain_text():
    # ansible-core 2.19 hands filters its tagged str (the value's origin),
    # which PyYAML's safe_dump cannot represent
    from ansible._internal._datatag._tags import Origin
    from ansible.module_utils._internal._datatag import AnsibleTagHelper

    def tagged(value):
        return AnsibleTagHelper.tag(value, [Origin(path="/inventory/monitoring.yml")])

    text = tagged(RULES.read_text())
    after = by_alert(alert_holds(text, {tagged("IeCephOsdDown"): tagged("15s")}))
    assert after["IeCephOsdDown"]["for"] == "15s"
