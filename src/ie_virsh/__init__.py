"""ie-virsh: libvirt's system instance shared safely by many students.

Runs as root through sudo; the caller comes only from sudo. Every domain
has a name in the caller's namespace and an owner element in its libvirt
metadata, both checked on every command. Domain XML is always generated
here from validated values (raw XML on the system libvirt is
root-equivalent); disks are copy-on-write overlays of admin templates.
Modules: :mod:`config`, :mod:`domxml` (generation and reading back),
:mod:`backend` (libvirt and qemu-img), :mod:`cli` (the commands).
"""

__version__ = "1.0.0"
