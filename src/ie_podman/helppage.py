"""ie-podman's --help pages, in the layout ie-virsh's share
(ie_common.helptext), with this server's limits from its configuration."""

from __future__ import annotations

from ie_common import helptext
from ie_common.i18n import N_, _
from ie_podman import allowlist, config

# run and exec pass the container's status through, so their own errors use
# Podman's 125 instead of 1-7 (podman-run(1), "Exit Status").
PASSTHROUGH = frozenset({"run", "exec"})
EXIT_PASSTHROUGH_ERROR = 125

DESCRIPTION = N_("Rootful Podman for students: every container and image is yours alone.")
COMMAND_LIST = (
    ("build", N_("build an image from a Containerfile: build --tag NAME[:TAG] DIR")),
    ("cp", N_("copy files: cp FILE NAME:PATH, or cp NAME:PATH FILE")),
    ("exec", N_("run a process in one of your running containers")),
    ("images", N_("list your images")),
    ("info", N_("show one of your containers' details")),
    ("logs", N_("show a container's log")),
    ("ps", N_("list your containers (--all includes stopped ones)")),
    ("pull", N_("get your image, or OWNER/IMAGE shared with you, from the department registry")),
    ("registry", N_("push IMAGE, share or unshare IMAGE USER, in the registry; search lists it")),
    ("rm", N_("delete one of your containers")),
    ("rmi", N_("delete one of your images (or one of its tags)")),
    ("run", N_("create and start a container (--ip, --gpu, --name ...)")),
    ("sif", N_("convert one of your images to an Apptainer SIF in your home")),
    ("start", N_("start one of your containers")),
    ("stop", N_("stop one of your containers")),
    ("version", N_("print the version")),
    ("admin", N_("(root only) reclaim addresses, list leases")),
)
EXIT_HELP = N_(
    "run and exec exit as podman's do: with the status of the command in the "
    "container, or 125 when ie-podman or podman stopped before it ran (the "
    "message says why), 126 when the command cannot be run, 127 when it is not found."
)


def exit_help() -> str:
    no_address = {6: _("no free address on the department network")}
    statuses = helptext.exit_statuses("ie-podman", "podman", _("container or image"), no_address)
    return f"{statuses} {_(EXIT_HELP)}"


def top_help(cfg: config.Config | None) -> str:
    """ie-podman --help (ie_common.helptext: the layout ie-virsh's help shares)."""
    return helptext.page(
        "sudo ie-podman COMMAND [OPTIONS] ...",
        _(DESCRIPTION),
        [helptext.table(_("commands"), [(name, _(text)) for name, text in COMMAND_LIST])],
        [
            _("Every command takes --help. --format json prints JSON for scripts."),
            exit_help(),
            server_note(cfg),
        ],
    )


def command_help(
    command: str, opts: tuple[allowlist.Option, ...], usage: str, cfg: config.Config | None
) -> str:
    """ie-podman COMMAND --help: its usage line, options and notes."""
    return helptext.page(
        f"sudo ie-podman {usage}",
        _(dict(COMMAND_LIST).get(command, "")),
        [helptext.table(_("options (the same as podman's)"), allowlist.option_rows(opts))],
        [
            _(
                "Options that reach host privileges are refused with the reason "
                "(exit status {status}).",
                status=EXIT_PASSTHROUGH_ERROR if command in PASSTHROUGH else 3,
            ),
            exit_help(),
            server_note(cfg),
        ],
    )


def server_note(cfg: config.Config | None) -> str:
    """This server's limits, from its configuration, for --help (nothing
    where the configuration cannot be read: built-in values would mislead)."""
    if cfg is None:
        return ""
    bounds = []
    if cfg.max_memory_mib:
        bounds.append(_("--memory up to {mib} MiB", mib=cfg.max_memory_mib))
    if cfg.max_cpus:
        bounds.append(_("--cpus up to {cpus:g}", cpus=cfg.max_cpus))
    note = _(
        "On this server: {containers} containers and {images} images per student "
        "(the admins may give you other limits)",
        containers=cfg.quota.containers,
        images=cfg.quota.images,
    )
    if bounds:
        note += _("; {bounds}", bounds=_(", ").join(bounds))
    note += _("; --gpu is available.") if cfg.gpu else _("; no GPU, so no --gpu.")
    return note + "\n"
