"""backup_points: one key and one tree per backup point."""

import pytest
from ansible.errors import AnsibleFilterError

from filter_plugins.backups import FilterModule, backup_points


def test_each_point_gets_its_own_key_and_tree():
    points = backup_points(
        [
            {"host": "gs01", "path": "/home/", "dest": "homes/", "exclude": ["*/.cache/"]},
            {"host": "gs01", "path": "/var/www/", "dest": "web/site/"},
            {"host": "gs02", "path": "/", "dest": "all/"},
        ]
    )
    assert [(p["key"], p["slug"], p["tree"]) for p in points] == [
        ("ie-backup-homes_ed25519", "homes", "/home"),
        ("ie-backup-web-site_ed25519", "web-site", "/var/www"),
        ("ie-backup-all_ed25519", "all", "/"),
    ]
    assert points[0]["exclude"] == ["*/.cache/"] and points[0]["host"] == "gs01"


@pytest.mark.parametrize(
    "entry",
    [
        {"host": "gs01", "path": "/home/", "dest": "../up/"},
        {"host": "gs01", "path": "/home/", "dest": "/abs/"},
        {"host": "gs01", "path": "/home/", "dest": "homes"},
        {"host": "gs01", "path": "home/", "dest": "homes/"},
        {"host": "gs01", "path": "/home/../etc/", "dest": "homes/"},
        {"host": "gs01", "path": '/a"b/', "dest": "homes/"},
    ],
)
def test_a_point_that_could_escape_is_refused(entry):
    with pytest.raises(AnsibleFilterError):
        backup_points([entry])


def test_a_string_is_refused():
    with pytest.raises(AnsibleFilterError):
        backup_points("homes/")


def test_the_filter_is_exported():
    assert FilterModule().filters() == {"backup_points": backup_points}
