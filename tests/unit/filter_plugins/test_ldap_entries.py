"""ldap_entries_in_place: the lab directory's entry tasks skipped only when
the tree already holds every entry and every managed value exactly."""

import base64

import pytest

from filter_plugins.ldap_entries import FilterModule, ldap_entries_in_place, parse_ldif

BASE = "dc=ie,dc=lab"
GROUPS = [{"name": "ieadmin", "gid": 2000}, {"name": "students", "gid": "3000"}]
USERS = [
    {"name": "student1", "uid": 3101, "gid": 3000, "groups": ["students"], "gecos": "学生 一"},
    {"name": "admin1", "uid": 3201, "gid": 3001, "groups": ["ieadmin"], "shell": "/bin/zsh"},
]
JP = base64.b64encode("学生 一".encode()).decode()


def tree(**change):
    """The LDIF ldapsearch -LLL gives for GROUPS and USERS; ``change`` maps
    a line to the lines that replace it."""
    lines = [
        f"dn: ou=people,{BASE}",
        "",
        f"dn: ou=groups,{BASE}",
        "",
        f"dn: ou=services,{BASE}",
        "",
        f"dn: cn=sssd,ou=services,{BASE}",
        "cn: sssd",
        "",
        f"dn: cn=ieadmin,ou=groups,{BASE}",
        "gidNumber: 2000",
        "cn: ieadmin",
        "memberUid: admin1",
        "",
        f"dn: cn=students,ou=groups,{BASE}",
        "gidNumber: 3000",
        "cn: students",
        "memberUid: student1",
        "",
        f"dn: uid=student1,ou=people,{BASE}",
        f"cn:: {JP}",
        "uidNumber: 3101",
        "gidNumber: 3000",
        "homeDirectory: /home/student1",
        "loginShell: /bin/bash",
        "",
        f"dn: uid=admin1,ou=people,{BASE}",
        "cn: admin1",
        "uidNumber: 3201",
        "gidNumber: 3001",
        "homeDirectory: /home/admin1",
        "loginShell: /bin/zsh",
        "",
    ]
    out = []
    for line in lines:
        out.extend(change.get(line, line).split("\n"))
    return "\n".join(out) + "\n"


def in_place(ldif):
    return ldap_entries_in_place(ldif, BASE, "sssd", GROUPS, USERS, "/home")


def test_the_tree_as_listed_is_in_place():
    assert in_place(tree())
    assert FilterModule().filters() == {"ldap_entries_in_place": ldap_entries_in_place}


def test_folded_lines_and_comments_are_read():
    folded = tree(**{"homeDirectory: /home/admin1": "homeDirectory: /ho\n me/admin1\n# a comment"})
    assert parse_ldif(folded)[f"uid=admin1,ou=people,{BASE}"]["homeDirectory"] == {"/home/admin1"}
    assert in_place(folded)


@pytest.mark.parametrize(
    ("line", "instead"),
    [
        (f"dn: ou=services,{BASE}", f"dn: ou=service,{BASE}"),  # an OU missing
        (f"dn: cn=sssd,ou=services,{BASE}", f"dn: cn=nslcd,ou=services,{BASE}"),
        (f"dn: cn=students,ou=groups,{BASE}", f"dn: cn=student,ou=groups,{BASE}"),
        (f"dn: uid=admin1,ou=people,{BASE}", f"dn: uid=admin2,ou=people,{BASE}"),
        ("gidNumber: 2000", "gidNumber: 2001"),
        ("memberUid: student1", "memberUid: student1\nmemberUid: student9"),  # one too many
        ("memberUid: admin1", "cn: x"),  # a member missing
        (f"cn:: {JP}", "cn: Student One"),
        (f"cn:: {JP}", f"cn:: {JP}\ncn: Student One"),  # a second value
        ("uidNumber: 3101", "uidNumber: 3109"),
        ("homeDirectory: /home/student1", "homeDirectory: /srv/student1"),
        ("loginShell: /bin/zsh", "loginShell: /bin/bash"),
        ("loginShell: /bin/bash", "description: no shell"),
        (f"cn:: {JP}", "cn:: not base64!"),
        ("gidNumber: 3001", "a line without a colon"),
    ],
)
def test_anything_missing_or_different_runs_the_tasks(line, instead):
    assert not in_place(tree(**{line: instead}))


def test_nothing_read_runs_the_tasks():
    assert not in_place("")
    assert not ldap_entries_in_place(None, BASE, "sssd", [], [], "/home")
    # an empty directory with no groups and accounts asked still needs its OUs
    assert not ldap_entries_in_place(f"dn: {BASE}\n", BASE, "sssd", [], [], "/home")
