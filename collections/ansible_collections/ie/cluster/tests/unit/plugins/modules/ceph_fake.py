# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fake ``ceph`` for the unit tests of the ceph_* modules.

It keeps users, pools, file systems and config settings in dicts and answers
the commands the modules use the way Ceph 18 does (same JSON shapes, same
ENOENT exit status, same normalised values), recording every argv.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

OPTION_TYPES = {
    "mds_cache_memory_limit": "size",
    "osd_memory_target": "size",
    "auth_allow_insecure_global_id_reclaim": "bool",
    "mon_data_avail_warn": "int",
    "public_network": "str",
}
BASE = ["/usr/bin/ceph", "--cluster", "ceph", "--connect-timeout", "30"]


class FakeCeph(object):
    def __init__(self, users=None, pools=None, fs=None, config=None, health=None):
        self.users = dict(users or {})
        self.pools = dict(pools or {})
        self.fs = dict(fs or {})
        self.config = dict(config or {})
        self.health = list(health or [])
        self.calls = []
        self.next_key = 0

    def __call__(self, argv, **kwargs):
        self.calls.append(argv)
        assert argv[: len(BASE)] == BASE, argv
        args = argv[len(BASE) :]
        if args[-2:] == ["--format", "json"]:
            return self.read(args[:-2])
        return self.change(args)

    def changes(self):
        return [c[len(BASE) :] for c in self.calls if "--format" not in c]

    # ---- reads
    def read(self, args):
        if args[:2] == ["auth", "get"]:
            user = self.users.get(args[2])
            if user is None:
                return 2, "", "Error ENOENT: failed to find %s in keyring" % args[2]
            return 0, json.dumps([dict(entity=args[2], key=user["key"], caps=user["caps"])]), ""
        if args == ["osd", "pool", "ls", "detail"]:
            rows = [
                dict(
                    pool_name=name,
                    size=p["size"],
                    min_size=p["min_size"],
                    pg_autoscale_mode=p["mode"],
                    pg_num=p["pg_num"],
                    application_metadata=dict((a, {}) for a in p["apps"]),
                )
                for name, p in self.pools.items()
            ]
            return 0, json.dumps(rows), ""
        if args == ["fs", "ls"]:
            rows = [
                dict(name=n, metadata_pool=f["meta"], data_pools=f["data"])
                for n, f in self.fs.items()
            ]
            return 0, json.dumps(rows), ""
        if args[:2] == ["fs", "get"]:
            f = self.fs[args[2]]
            return (
                0,
                json.dumps(
                    {"mdsmap": {"max_mds": f["max_mds"], "standby_count_wanted": f["standby"]}}
                ),
                "",
            )
        if args == ["config", "dump"]:
            rows = []
            for (who, name), value in sorted(self.config.items()):
                section, mask = who.partition("/")[::2]
                rows.append(dict(section=section, name=name, value=value, mask=mask))
            return 0, json.dumps(rows), ""
        if args[:2] == ["config", "help"]:
            if args[2] not in OPTION_TYPES:
                return 2, "", "Error ENOENT:"
            return 0, json.dumps({"name": args[2], "type": OPTION_TYPES[args[2]]}), ""
        if args == ["health", "detail"]:
            status = self.health.pop(0) if len(self.health) > 1 else self.health[0]
            return 0, json.dumps(status), ""
        raise AssertionError("unexpected ceph read %r" % (args,))

    # ---- changes
    def change(self, args):
        if args[:2] == ["auth", "get-or-create"]:
            self.next_key += 1
            caps = dict(zip(args[3::2], args[4::2], strict=True))
            self.users[args[2]] = {"key": "AQfake%d==" % self.next_key, "caps": caps}
            return 0, "", ""
        if args[:2] == ["fs", "authorize"]:
            fs, name, path, perm = args[2:6]
            self.next_key += 1
            mds = "allow %s fsname=%s" % (perm, fs) + ("" if path == "/" else " path=%s" % path)
            self.users[name] = {
                "key": "AQfake%d==" % self.next_key,
                "caps": {
                    "mds": mds,
                    "mon": "allow r fsname=%s" % fs,
                    "osd": "allow %s tag cephfs data=%s" % (perm, fs),
                },
            }
            return 0, "", ""
        if args[:2] == ["auth", "caps"]:
            self.users[args[2]]["caps"] = dict(zip(args[3::2], args[4::2], strict=True))
            return 0, "", ""
        if args[:2] == ["auth", "del"]:
            del self.users[args[2]]
            return 0, "", ""
        if args[:3] == ["osd", "pool", "create"]:
            pg = int(args[4]) if len(args) > 6 else 32
            mode = args[-1].split("=", 1)[1]
            self.pools[args[3]] = {"size": 3, "min_size": 2, "mode": mode, "pg_num": pg, "apps": []}
            return 0, "", ""
        if args[:3] == ["osd", "pool", "set"]:
            pool, key, value = self.pools[args[3]], args[4], args[5]
            if key == "size":
                pool["size"] = int(value)
                pool["min_size"] = int(value) - int(value) // 2  # Ceph's default rule
            elif key == "pg_autoscale_mode":
                pool["mode"] = value
            else:
                pool[key] = int(value)
            return 0, "", ""
        if args[:4] == ["osd", "pool", "application", "enable"]:
            self.pools[args[4]]["apps"].append(args[5])
            return 0, "", ""
        if args[:3] == ["osd", "pool", "rm"]:
            del self.pools[args[3]]
            return 0, "", ""
        if args[:2] == ["fs", "new"]:
            self.fs[args[2]] = {"meta": args[3], "data": [args[4]], "max_mds": 1, "standby": 0}
            return 0, "", ""
        if args[:2] == ["fs", "set"]:
            key = {"max_mds": "max_mds", "standby_count_wanted": "standby"}[args[3]]
            self.fs[args[2]][key] = int(args[4])
            return 0, "", ""
        if args[:2] == ["fs", "fail"]:
            return 0, "", ""
        if args[:2] == ["fs", "rm"]:
            del self.fs[args[2]]
            return 0, "", ""
        if args[:2] == ["config", "set"]:
            self.config[(args[2], args[3])] = self.store(args[3], args[4])
            return 0, "", ""
        if args[:2] == ["config", "rm"]:
            self.config.pop((args[2], args[3]), None)
            return 0, "", ""
        raise AssertionError("unexpected ceph change %r" % (args,))

    @staticmethod
    def store(option, value):
        """What Ceph stores: sizes in bytes, booleans in lower case."""
        kind = OPTION_TYPES[option]
        if kind == "size" and value[-1] in "KMGT":
            return str(int(value[:-1]) * 1024 ** ("KMGT".index(value[-1]) + 1))
        if kind == "bool":
            return value.lower()
        return value
