"""Reading a command line against the allow-list (ie_podman.allowlist).

:func:`parse_options` walks the command line itself instead of passing
anything through, so an option ie-podman does not know never reaches
Podman. Options that would reach host privileges are refused with the
reason, the rest of the unknown ones with a pointer to ``--help``; the
values of the allowed ones are checked here too.
"""

from __future__ import annotations

import re

from ie_common.errors import Refused, UsageError
from ie_common.i18n import N_, _
from ie_podman.allowlist import HINTS, HOST_PRIVILEGE, Option


class Parsed:
    """The options' values by ``dest`` and the positional words, in order."""

    __slots__ = ("positionals", "values")

    def __init__(self) -> None:
        self.values: dict[str, object] = {}
        self.positionals: list[str] = []


ENV_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=[^\n\0]*")
LABEL_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*=[^\n\0]*")
RESERVED_LABEL_PREFIXES = ("ie.", "io.podman", "io.containers", "org.opencontainers")
MEMORY_RE = re.compile(r"([0-9]+)([bkmgBKMG]?)")
CPUS_RE = re.compile(r"[0-9]+(?:\.[0-9]+)?")
PULL_POLICIES = {"always", "missing", "never", "newer"}
# --user NAME|UID[:GROUP|GID], --hostname, --workdir and --entrypoint values.
USER_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,31})?")
HOSTNAME_RE = re.compile(
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
)
PATH_IN_CONTAINER_RE = re.compile(r"/[^\0\n:,]*")
ENTRYPOINT_RE = re.compile(r"[^\0\n]{1,4096}")
MEMORY_UNITS = {"": 1, "b": 1, "k": 2**10, "m": 2**20, "g": 2**30}


def _lookup(options: tuple[Option, ...]) -> dict[str, Option]:
    return {name: opt for opt in options for name in opt.names}


def _refuse(name: str, extra: dict[str, str], word: str = "") -> Refused:
    """The refusal of option ``name``: its reason and what to use instead
    (the tables' texts are translated here, where they are shown)."""
    inside = word and word != name and not word.startswith(name + "=")
    where = _(" (in {word!r})", word=word) if inside else ""
    reason = extra.get(name) or HOST_PRIVILEGE.get(name)
    hint = _(HINTS[name]) if name in HINTS else None
    if reason:
        return Refused(
            _(
                "option {name}{where} is not allowed: {reason}",
                name=name,
                where=where,
                reason=_(reason),
            ),
            hint,
        )
    return Refused(
        _("option {name}{where} is not allowed by ie-podman", name=name, where=where),
        hint or _("the options you can use are listed by --help"),
    )


def parse_options(
    args: list[str],
    options: tuple[Option, ...],
    stop_at_first_positional: bool = True,
    extra_refused: dict[str, str] | None = None,
) -> Parsed:
    """Parse ``args`` against ``options`` the way Podman's own parser (pflag)
    reads them, so that what ie-podman checks is what Podman would see.

    ``--opt=value`` and ``--opt value``; bundled short flags (``-it``), where
    an option that takes a value takes the rest of the word (``-itv/a:/b``
    is ``-i -t -v /a:/b``) or else the next word; ``--`` ends the options.
    With ``stop_at_first_positional`` everything from the first positional
    (the image) on is left as positionals, untouched: the container's
    command, never options.
    """
    table = _lookup(options)
    extra = extra_refused or {}
    parsed = Parsed()
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            parsed.positionals.extend(args[i:])
            break
        if not arg.startswith("-") or arg == "-":
            if stop_at_first_positional:
                parsed.positionals.extend(args[i - 1 :])
                break
            parsed.positionals.append(arg)
            continue
        if arg.startswith("--"):
            name, has_inline, inline = arg.partition("=")
            opt = table.get(name)
            if opt is None:
                raise _refuse(name, extra, arg)
            i = _take(parsed, opt, name, has_inline == "=", inline, args, i)
            continue
        # one or more short options in one word
        j = 1
        while j < len(arg):
            name = "-" + arg[j]
            opt = table.get(name)
            if opt is None:
                raise _refuse(name, extra, arg)
            rest = arg[j + 1 :]
            if opt.takes_value:
                if rest.startswith("="):
                    rest = rest[1:]
                i = _take(parsed, opt, name, bool(rest), rest, args, i)
                break
            if rest.startswith("="):  # -d=true, as pflag allows
                _take(parsed, opt, name, True, rest[1:], args, i)
                break
            _take(parsed, opt, name, False, "", args, i)
            j += 1
    return parsed


def _take(
    parsed: Parsed, opt: Option, name: str, has_inline: bool, inline: str, args: list[str], i: int
) -> int:
    """Record ``opt``'s value; the index of the next word to read."""
    if opt.optional_value is not None:
        if not has_inline and i < len(args) and opt.optional_value.fullmatch(args[i]):
            has_inline, inline, i = True, args[i], i + 1
        if has_inline and not opt.optional_value.fullmatch(inline):
            raise UsageError(
                _("option {name}: {inline!r} is not a value it takes", name=name, inline=inline),
                _(
                    "write {name} alone, or {name}={metavar}",
                    name=name,
                    metavar=opt.metavar.strip("[]"),
                ),
            )
        if opt.dest in parsed.values:
            raise UsageError(_("option {name} given twice", name=name))
        parsed.values[opt.dest] = inline if has_inline else True
        return i
    if opt.takes_value:
        if has_inline:
            value = inline
        else:
            if i >= len(args):
                raise UsageError(
                    _("option {name} needs a value ({metavar})", name=name, metavar=opt.metavar)
                )
            value = args[i]
            if value.startswith("-") and value != "-":
                raise UsageError(
                    _(
                        "option {name} needs a value ({metavar}), not the option {value}",
                        name=name,
                        metavar=opt.metavar,
                        value=value,
                    ),
                    _("write {name}={value} if that is the value", name=name, value=value),
                )
            i += 1
        if value == "":
            raise UsageError(
                _(
                    "option {name} needs a value ({metavar}), not an empty word",
                    name=name,
                    metavar=opt.metavar,
                ),
                _("leave {name} out for the default", name=name),
            )
        if opt.repeat:
            parsed.values.setdefault(opt.dest, [])
            parsed.values[opt.dest].append(value)  # type: ignore[union-attr]
        elif opt.dest in parsed.values:
            raise UsageError(_("option {name} given twice", name=name))
        else:
            parsed.values[opt.dest] = value
    elif has_inline:
        if inline not in ("true", "false"):
            raise UsageError(
                _("option {name} takes no value", name=name), _("write {name} alone", name=name)
            )
        parsed.values[opt.dest] = inline == "true"
    else:
        parsed.values[opt.dest] = True
    return i


def check_env(values: list[str]) -> list[str]:
    for value in values:
        if not ENV_RE.fullmatch(value):
            raise UsageError(
                _("-e {value!r}: give KEY=VALUE (one line)", value=value),
                _("ie-podman does not copy variables from its own environment"),
            )
    return values


def check_labels(values: list[str]) -> list[str]:
    for value in values:
        if not LABEL_RE.fullmatch(value):
            raise UsageError(_("--label {value!r}: give KEY=VALUE (one line)", value=value))
        if value.lower().startswith(RESERVED_LABEL_PREFIXES):
            raise Refused(
                _(
                    "--label {value}: labels starting with {prefixes} are set by ie-podman",
                    value=value.split("=", 1)[0],
                    prefixes=", ".join(RESERVED_LABEL_PREFIXES),
                ),
                _("choose a label name without those prefixes"),
            )
    return values


def memory_bytes(text: str) -> int:
    """Bytes of a Podman memory size (``512m``, ``2g``, ``1048576``)."""
    match = MEMORY_RE.fullmatch(text)
    if not match:
        raise UsageError(_("--memory {text!r}: give a size like 512m or 2g", text=text))
    return int(match.group(1)) * MEMORY_UNITS[match.group(2).lower()]


def check_values(values: dict[str, object], max_memory: int = 0, max_cpus: float = 0) -> None:
    """Memory and CPUs are well formed, above zero and within the host's bounds
    (``max_memory`` bytes, ``max_cpus``; 0 for no bound)."""
    memory = values.get("memory")
    if memory is not None:
        size = memory_bytes(str(memory))
        if size < 6 * 2**20:
            raise UsageError(
                _("--memory {memory}: give at least 6m (Podman's minimum)", memory=memory)
            )
        if max_memory and size > max_memory:
            raise Refused(
                _(
                    "--memory {memory} is more than this server allows ({max_mib}m)",
                    memory=memory,
                    max_mib=max_memory // 2**20,
                ),
                _("ask for --memory {max_mib}m or less", max_mib=max_memory // 2**20),
            )
    cpus = values.get("cpus")
    if cpus is not None:
        if not CPUS_RE.fullmatch(str(cpus)) or float(str(cpus)) <= 0:
            raise UsageError(_("--cpus {cpus!r}: give a number above 0, like 1 or 1.5", cpus=cpus))
        if max_cpus and float(str(cpus)) > max_cpus:
            raise Refused(
                _(
                    "--cpus {cpus} is more than this server allows ({max_cpus:g})",
                    cpus=cpus,
                    max_cpus=max_cpus,
                ),
                _("ask for --cpus {max_cpus:g} or less", max_cpus=max_cpus),
            )
    pull = values.get("pull")
    if pull is not None and pull not in PULL_POLICIES:
        raise UsageError(
            _(
                "--pull {pull!r}: give one of {pull_policies}",
                pull=pull,
                pull_policies=", ".join(sorted(PULL_POLICIES)),
            )
        )
    checks = (
        ("user", USER_RE, N_("a user inside the container: NAME, UID or UID:GID")),
        ("hostname", HOSTNAME_RE, N_("a host name: letters, digits, '-' and '.'")),
        ("workdir", PATH_IN_CONTAINER_RE, N_("an absolute path inside the container")),
        ("entrypoint", ENTRYPOINT_RE, N_("a command on one line")),
    )
    for key, pattern, what in checks:
        value = values.get(key)
        if value is not None and not pattern.fullmatch(str(value)):
            raise UsageError(
                _("--{key} {value!r}: give {what}", key=key, value=value, what=_(what))
            )


def split_volume(spec: str) -> tuple[str, str, str]:
    """``(host dir, container path, mode)`` of ``-v DIR:PATH[:ro|rw]``."""
    parts = spec.split(":")
    if len(parts) not in (2, 3) or not parts[0] or not parts[1].startswith("/"):
        raise UsageError(
            _("-v {spec!r}: give DIR:PATH or DIR:PATH:ro", spec=spec),
            _("DIR is a directory in your home, PATH an absolute path in the container"),
        )
    if not PATH_IN_CONTAINER_RE.fullmatch(parts[1]) or "\0" in parts[0] or "\n" in parts[0]:
        raise UsageError(_("-v {spec!r}: PATH must be an absolute path on one line", spec=spec))
    mode = parts[2] if len(parts) == 3 else "rw"
    if mode not in ("ro", "rw"):
        raise Refused(
            _("-v {spec!r}: only the ro and rw mount options are allowed", spec=spec),
            _("relabelling or chowning (z, Z, U) would change host files as root"),
        )
    if "/" not in parts[0] and not parts[0].startswith("."):
        raise Refused(
            _("-v {spec!r}: named volumes are not available", spec=spec),
            _("mount a directory of your home instead: -v ~/data:/data"),
        )
    return parts[0], parts[1], mode
