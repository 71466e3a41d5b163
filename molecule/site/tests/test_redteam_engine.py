"""Issue 21's red team: what reaches Podman, the builder and libvirt; paths root
follows (conftest.py says how the red team acts)."""

import json
import shlex

import pytest
from students import (
    GS01,
    LIMITED,
    OWNER,
    VIRSH,
    as_user,
    host_state,
    iep,
    iev,
    ok,
    owned,
    uid,
)

# -- 1. option smuggling --------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        "run -- --privileged -v /:/host box /bin/busybox cat /host/etc/shadow",
        "run --rm -- -v /:/host box",
        "run -d -- --uidmap=0:0:1 box",
        "run -- --authfile=/etc/ie/ie-podman-registry-auth.json box",
        "run -itv/:/h box",
        "run -dv/etc:/h box",
        "run --name=x --network=host box",
        "run --label ie.owner.uid={limited_uid} box",
        "run --label=IE.owner.user={limited} box",
        "run -- localhost/{limited}/box",
        "run localhost/{limited}/box:latest",
        "run $'box\\n'",
        "run --name $'x\\n' box",
        "run -e $'A=1\\n--privileged' box",
        "run --user $'0\\n' box",
        "run --gpus all box",
        "run --memory 9999g box",
        "exec -- --privileged web true",
        "build --tag $'x\\n' rt",
        "build --tag x -- --network=host rt",
    ],
)
def test_smuggled_options_are_refused_and_nothing_changes(args):
    args = args.format(limited=LIMITED, limited_uid=uid(LIMITED))
    before = host_state()
    # (timeout: were one of these let through, its container would sleep for minutes)
    result = as_user(OWNER, f"timeout 60 sudo -n ie-podman {args}")
    # run and exec keep podman's 125 for ie-podman's own errors; build its classes
    wanted = (125,) if args.split()[0] in ("run", "exec") else (2, 3, 4)
    assert result.rc in wanted, (result.rc, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert host_state() == before


def test_the_image_reaches_podman_by_id_and_the_audit_shows_what_ran():
    ok(iep(OWNER, "run --rm --name idcheck box /bin/busybox true"))
    line = [
        json.loads(x)
        for x in GS01.file("/var/log/ie-podman/audit.log").content_string.splitlines()
        if '"run"' in x and "idcheck" in x
    ][-1]
    image_id = GS01.check_output(
        f"podman image inspect --format '{{{{.Id}}}}' localhost/{OWNER}/box"
    )
    assert f"container={OWNER}_idcheck" in line["detail"]
    assert f"-- {image_id}" in line["detail"]
    assert "--security-opt=no-new-privileges" in line["detail"]


# -- 2. recipes are read the way the builder reads them ------------------------------------


@pytest.mark.parametrize(
    ("recipe", "status"),
    [
        ("FROM localhost/{other}/box", 4),
        ("FROM scratch\nCOPY \\\n# a comment\n  --from=localhost/{other}/box /bin/busybox /b", 4),
        ("# escape=`\nFROM scratch\nRUN `\n  --mount=type=bind,from=localhost/{other}/box ls", 4),
        ("FROM scratch\nRUN \\   \n  --mount=type=cache,target=/c true", 3),
        ("FROM scratch\nRUN \\\n\n--mount=type=secret,id=x true", 3),
    ],
)
def test_containerfile_spellings_are_refused_on_the_real_builder(recipe, status):
    recipe = recipe.replace("{other}", LIMITED)
    as_user(OWNER, "rm -rf sp && mkdir sp && cp /bin/busybox sp/")
    ok(as_user(OWNER, f"printf %s {shlex.quote(recipe + chr(10))} > sp/Containerfile"))
    before = host_state()
    result = iep(OWNER, "build --tag spelled sp")
    assert result.rc == status, (result.rc, result.stderr)
    assert host_state() == before


# -- 1. inspect after create ----------------------------------------------------------------


def test_every_allowed_option_passes_the_check_on_real_podman():
    out = ok(
        iep(
            OWNER,
            # (--memory and --cpus need cgroups, which this nested Podman has not)
            "run --rm -e A=1 --label k=v -w /tmp -u 0 -h box1 "
            "-v ./data:/data:ro box /bin/busybox sh -c 'cat /data/marker; hostname'",
        )
    )
    assert out.split() == ["owner-data", "box1"]
    ok(iep(OWNER, "run -d --ip --name withip box"))
    ok(iep(OWNER, "rm --force withip"))


def test_a_container_podman_made_differently_is_removed():
    """An admin default (here an added capability) makes Podman create
    something ie-podman did not ask for: the check removes it."""
    GS01.check_output(
        "mkdir -p /etc/containers/containers.conf.d && printf '[containers]\\n"
        'default_capabilities = ["CHOWN", "SYS_ADMIN"]\\n'
        "' > /etc/containers/containers.conf.d/zz-redteam.conf"
    )
    try:
        before = host_state()
        result = iep(OWNER, "run -d --name capped box")
        assert result.rc == 125 and "capabilities" in result.stderr, result.stderr
        assert host_state() == before
    finally:
        GS01.check_output("rm -f /etc/containers/containers.conf.d/zz-redteam.conf")


# -- 5. root never follows a path a student can change -----------------------------------------


def test_a_volume_swapped_for_a_link_in_a_loop_never_mounts_etc():
    as_user(
        OWNER, "rm -rf swap swap.real stop-swap && mkdir swap.real && echo mine > swap.real/marker"
    )
    # swap is by turns the student's own directory (on CephFS) and a link to /etc
    swapper = (
        "end=$((SECONDS+60)); while [ ! -e stop-swap ] && [ $SECONDS -lt $end ]; do "
        "rm -f swap; mv -T swap.real swap; mv -T swap swap.real; ln -sfn /etc swap; done"
    )
    as_user(OWNER, f"(nohup bash -c {shlex.quote(swapper)} >/dev/null 2>&1 &)")
    seen = []
    try:
        for _ in range(12):
            result = iep(OWNER, "run --rm -v ./swap:/x box /bin/busybox ls /x")
            assert "Traceback" not in result.stderr
            seen.append((result.rc, result.stdout.split(), result.stderr.strip()[-200:]))
    finally:
        as_user(OWNER, "touch stop-swap; sleep 1")
    for rc, out, err in seen:
        assert "shadow" not in out and "passwd" not in out, seen
        # done with the student's own directory, or refused or Podman found
        # nothing at the name when it made the container (125, run's own
        # errors), or ls in the container found nothing (1): never /etc
        assert (rc == 0 and out == ["marker"]) or rc in (1, 125), (rc, out, err)
    assert not owned(OWNER)


def test_the_gdb_socket_cannot_be_swapped_and_its_target_is_left_alone():
    ok(as_user(OWNER, "echo secret > victim && chmod 600 victim"))
    ok(iev(OWNER, "define kern2 --template rt --memory 64 --disk 1 -gdb"))
    swapper = (
        "end=$((SECONDS+8)); while [ $SECONDS -lt $end ]; do "
        f"ln -sf ~/victim /run/ie-virsh/{OWNER}/kern2.gdb 2>/dev/null; done"
    )
    as_user(OWNER, f"(nohup bash -c {shlex.quote(swapper)} >/dev/null 2>&1 &)")
    result = iev(OWNER, "start kern2")
    as_user(OWNER, "sleep 9")
    assert not GS01.file(f"/run/ie-virsh/{OWNER}/kern2.gdb").is_symlink
    assert result.rc in (0, 1, 3), result.stderr
    assert "Traceback" not in result.stderr
    victim = GS01.file(f"/home/{OWNER}/victim")
    assert (victim.user, victim.mode) == (OWNER, 0o600)
    GS01.run(f"{VIRSH} destroy {OWNER}_kern2")
    ok(iev(OWNER, "undefine kern2"))
