"""The host monitor's I/O seam to pacemaker: runs crm_mon / stonith_admin / crm_node as
argument lists (no shell), with an optional prefix such as ``ip netns exec pcmk-r1``."""

import logging
import subprocess

from monitors.host import crmmon

LOG = logging.getLogger(__name__)


class PacemakerError(Exception):
    """A pacemaker command failed or printed something unusable."""


class Pacemaker:
    def __init__(self, crm_mon: list[str], crm_mon_legacy: list[str], fence_history: list[str],
                 crm_node: list[str], prefix: list[str] | None = None, timeout: float = 30):
        self._crm_mon = list(crm_mon)
        self._legacy = list(crm_mon_legacy)
        self._fence_history = list(fence_history)
        self._crm_node = list(crm_node)
        self._prefix = list(prefix or [])
        self._timeout = timeout

    @classmethod
    def from_conf(cls, conf) -> "Pacemaker":
        h = conf.host
        return cls(h.crm_mon_command, h.crm_mon_legacy_command, h.fence_history_command,
                   h.crm_node_command, h.command_prefix, h.command_timeout)

    def _run(self, argv: list[str]) -> subprocess.CompletedProcess:
        full = self._prefix + argv
        try:
            return subprocess.run(full, capture_output=True, timeout=self._timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PacemakerError(f"{' '.join(full)}: {exc}") from exc

    def status(self) -> crmmon.ClusterStatus:
        """One crm_mon sample; switches to the legacy -X command once if --output-as is
        unknown (pacemaker < 2.0.3)."""
        proc = self._run(self._crm_mon)
        if proc.returncode != 0 and self._legacy and self._crm_mon != self._legacy and \
                b"output-as" in proc.stderr:
            LOG.warning("crm_mon does not know --output-as; using %s from now on",
                        " ".join(self._legacy))
            self._crm_mon = self._legacy
            proc = self._run(self._crm_mon)
        if proc.returncode != 0:
            raise PacemakerError(f"{' '.join(self._prefix + self._crm_mon)} exited "
                                 f"{proc.returncode}: {proc.stderr.decode(errors='replace').strip()}")
        try:
            return crmmon.parse_crm_mon(proc.stdout)
        except crmmon.CrmMonError as exc:
            raise PacemakerError(f"crm_mon output unusable: {exc}") from exc

    def fence_history(self, node: str) -> tuple[crmmon.FenceEvent, ...]:
        """Fencing history of ``node`` from stonith_admin (empty if not configured/failing)."""
        if not self._fence_history:
            return ()
        argv = [a.replace("{node}", node) for a in self._fence_history]
        try:
            proc = self._run(argv)
        except PacemakerError as exc:
            proc, error = None, str(exc)
        if proc is None:
            LOG.warning("fence history of %s unavailable: %s", node, error)
            return ()
        if proc.returncode != 0:
            LOG.warning("fence history of %s unavailable: %s exited %d: %s", node,
                        " ".join(argv), proc.returncode,
                        proc.stderr.decode(errors="replace").strip())
            return ()
        try:
            return crmmon.parse_fence_history(proc.stdout)
        except crmmon.CrmMonError as exc:
            error = str(exc)
        LOG.warning("fence history of %s unusable: %s", node, error)
        return ()

    def node_name(self) -> str:
        """This node's pacemaker name (``crm_node -n``)."""
        proc = self._run(self._crm_node)
        name = proc.stdout.decode(errors="replace").strip()
        if proc.returncode != 0 or not name:
            raise PacemakerError(f"{' '.join(self._prefix + self._crm_node)} exited "
                                 f"{proc.returncode}: {proc.stderr.decode(errors='replace').strip()}")
        return name
