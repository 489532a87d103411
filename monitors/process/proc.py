"""Finding processes in /proc by exact argument match (not a substring of ``ps -ef``)."""

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class ProcInfo:
    pid: int
    argv: tuple[str, ...]
    exe: str | None


def matches(pattern: tuple[str, ...], info: ProcInfo) -> bool:
    """True when ``pattern`` is a prefix of the process's argv, argument by argument; a
    one-word pattern also matches the process's executable path (/proc/<pid>/exe)."""
    if not pattern:
        return False
    if info.argv[:len(pattern)] == pattern:
        return True
    return len(pattern) == 1 and info.exe is not None and info.exe == pattern[0]


def scan(proc_root: str = "/proc") -> list[ProcInfo]:
    """Every process visible in /proc (kernel threads, with an empty cmdline, are skipped)."""
    out = []
    me = os.getpid()
    for entry in os.listdir(proc_root):
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            with open(os.path.join(proc_root, entry, "cmdline"), "rb") as f:
                raw = f.read()
        except OSError:
            continue
        if not raw:
            continue
        argv = tuple(a.decode(errors="replace") for a in raw.rstrip(b"\0").split(b"\0"))
        try:
            exe = os.readlink(os.path.join(proc_root, entry, "exe"))
        except OSError:
            exe = None
        if exe and exe.endswith(" (deleted)"):
            exe = exe[: -len(" (deleted)")]
        out.append(ProcInfo(int(entry), argv, exe))
    return out


def find(pattern: tuple[str, ...], procs: list[ProcInfo]) -> list[int]:
    return [p.pid for p in procs if matches(pattern, p)]
