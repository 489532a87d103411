"""fence_maas metadata validated against fence-agents' own metadata.rng (RELAX NG).

The schema ships in Debian's ``fence-agents`` package (/usr/share/cluster/relaxng/metadata.rng).
When the package is not installed, the .deb is fetched with ``apt-get download`` (no install)
into $MASAKARI_HA_LAB/fence-agents and unpacked with ``dpkg-deb -x``. If that is impossible
the test skips and says why; tests/unit/fencing/test_agent_options.py keeps a structural
check that always runs.
"""

import glob
import os
import pathlib
import shutil
import subprocess

import pytest

from masakari_ha.fencing import agent_options

RNG = "usr/share/cluster/relaxng/metadata.rng"


def _obtain_rng() -> pathlib.Path:
    system = pathlib.Path("/") / RNG
    if system.is_file():
        return system
    cache = pathlib.Path(os.environ.get("MASAKARI_HA_LAB", "/var/tmp/masakari-ha-lab")) / "fence-agents"
    if (cache / RNG).is_file():
        return cache / RNG
    if not (shutil.which("apt-get") and shutil.which("dpkg-deb")):
        pytest.skip("SKIPPED LOUDLY: fence-agents' metadata.rng unavailable (no apt-get/dpkg-deb); "
                    "only the structural metadata check ran")
    cache.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(["apt-get", "download", "fence-agents"], cwd=cache, check=True,
                       capture_output=True, timeout=180)
        debs = sorted(glob.glob(str(cache / "fence-agents_*.deb")))
        subprocess.run(["dpkg-deb", "-x", debs[-1], str(cache)], check=True, capture_output=True,
                       timeout=120)
    except (subprocess.SubprocessError, IndexError, OSError) as exc:
        pytest.skip(f"SKIPPED LOUDLY: could not fetch fence-agents for metadata.rng ({exc}); "
                    "only the structural metadata check ran")
    if not (cache / RNG).is_file():
        pytest.skip("SKIPPED LOUDLY: the fence-agents package has no metadata.rng at " + RNG)
    return cache / RNG


def test_metadata_is_valid_against_fence_agents_schema():
    etree = pytest.importorskip("lxml.etree", reason="lxml (test-requirements.txt) is needed")
    schema = etree.RelaxNG(etree.parse(str(_obtain_rng())))
    document = etree.fromstring(agent_options.metadata_xml().encode())
    assert schema.validate(document), str(schema.error_log)


def test_schema_rejects_broken_metadata():
    """The validation can fail: a parameter without <getopt> is refused."""
    etree = pytest.importorskip("lxml.etree", reason="lxml (test-requirements.txt) is needed")
    schema = etree.RelaxNG(etree.parse(str(_obtain_rng())))
    document = etree.fromstring(agent_options.metadata_xml().encode())
    document.find("parameters/parameter/getopt").getparent().remove(
        document.find("parameters/parameter/getopt"))
    assert not schema.validate(document)
