"""A VM from the template the kvm role built (kvm_template_builds) really
boots (issue 25): Debian from the distribution's packages, booted by
libvirt's direct kernel boot, reaches a login prompt on its serial console,
and its owner attaches gdb to its gdbstub through ie-virsh."""

import re
import shlex

from students import GS01, as_user, ok, wrapper

testinfra_hosts = ["podman://ctr-gs01"]
TEMPLATES = "/var/lib/ie-virsh/templates"
DOMAIN = "alice_boot"

# Reads the console's terminal (raw: the prompt ends without a new line)
# until "login:" or the time is up; prints what it read.
READ_CONSOLE = r"""
import os, select, sys, termios, time, tty
fd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY)
tty.setraw(fd)
seen, end = b"", time.monotonic() + float(sys.argv[2])
while b"login:" not in seen and time.monotonic() < end:
    if select.select([fd], [], [], 5)[0]:
        seen += os.read(fd, 4096)
    else:
        os.write(fd, b"\r")  # wakes a getty that printed its prompt before we read
sys.stdout.write(seen.decode(errors="replace")[-2000:])
sys.exit(0 if b"login:" in seen else 1)
"""


def iev(user, args):
    return wrapper("ie-virsh", user, args)


def test_the_built_template_is_listed_with_its_kernel():
    assert "debian-13" in ok(iev("alice", "templates")).split()
    for suffix in ("qcow2", "vmlinuz", "initrd"):
        f = GS01.file(f"{TEMPLATES}/debian-13.{suffix}")
        assert (f.user, f.group, f.mode) == ("root", "root", 0o644), suffix


def templates_writable_by_qemu():
    """The template files QEMU's user could write (none, ever: libvirt
    relabels nothing for ie-virsh's domains)."""
    found = GS01.run(
        f"find {TEMPLATES} -type f "
        r"\( ! -user root -o -exec runuser -u libvirt-qemu -- test -w {} \; \) -print"
    )
    assert found.rc == 0, found.stderr
    return found.stdout.split()


def test_a_vm_boots_to_a_login_prompt_and_its_owner_attaches_gdb():
    ok(iev("alice", "define boot --template debian-13 --memory 384M --disk 2 -gdb"))
    try:
        ok(iev("alice", "start boot"))
        pty = GS01.check_output(f"virsh -c qemu:///system ttyconsole {DOMAIN}").strip()
        GS01.check_output(f"printf %s {shlex.quote(READ_CONSOLE)} > /tmp/read-console.py")
        console = GS01.run(f"python3 /tmp/read-console.py {pty} 600")
        assert console.rc == 0, console.stdout + console.stderr
        assert "debian-13 login:" in console.stdout
        # While it runs: QEMU is QEMU's user, and the template, kernel and
        # initrd under it are still root's (libvirt's default would have
        # chowned them to QEMU's user, for every VM to write).
        qemu = GS01.check_output("ps -o user:32=,group:32= -C qemu-system-x86_64").split()
        assert qemu and set(qemu) == {"libvirt-qemu"}, qemu
        assert templates_writable_by_qemu() == []
        # the owner attaches gdb to the running kernel through the socket ie-virsh names
        socket = ok(iev("alice", "gdb boot")).split()[3]
        gdb = as_user(
            "alice",
            f"gdb -nx -batch -ex {shlex.quote('target remote ' + socket)} "
            "-ex 'info registers rip' -ex detach",
        )
        assert gdb.rc == 0, gdb.stderr
        # the guest's instruction pointer: in the kernel when it idles, but it
        # may be in a process of the guest's (getty) at that moment
        assert re.search(r"^rip\s+0x[0-9a-f]+", gdb.stdout, re.M), gdb.stdout
        # another student cannot
        bob = as_user("bob", f"gdb -nx -batch -ex {shlex.quote('target remote ' + socket)}")
        assert "rip" not in bob.stdout
    finally:
        iev("alice", "destroy boot")
        iev("alice", "undefine boot")
    GS01.run("rm -f /tmp/read-console.py")
    assert templates_writable_by_qemu() == []
