"""external/maas actions that need no MAAS."""

import xml.etree.ElementTree as ET

import pytest

from masakari_ha.fencing import external_maas as ext


def test_getinfo_xml_is_well_formed_and_lists_the_charm_parameters():
    root = ET.fromstring(ext.info_xml())
    names = [p.get("name") for p in root.findall("parameter")]
    assert names[:3] == ["hostnames", "url", "apikey"]
    assert set(ext.CONFIG_NAMES) == set(names)


def test_static_actions(capsys):
    assert ext.run("getconfignames", None, {}) == 0
    assert capsys.readouterr().out.split() == list(ext.CONFIG_NAMES)
    for action in ("getinfo-devid", "getinfo-devname", "getinfo-devdescr", "getinfo-devurl"):
        assert ext.run(action, None, {}) == 0
        assert capsys.readouterr().out.strip()


def test_gethosts(capsys):
    assert ext.run("gethosts", None, {"hostnames": "a b.maas,c"}) == 0
    assert capsys.readouterr().out.split() == ["a", "b.maas", "c"]
    with pytest.raises(ext.PluginError):
        ext.run("gethosts", None, {})


def test_config_errors():
    with pytest.raises(ext.PluginError, match="url"):
        ext.run("off", "a", {"apikey": "a:b:c"})
    with pytest.raises(ext.PluginError, match="apikey"):
        ext.run("status", None, {"url": "http://m/MAAS"})
    with pytest.raises(ext.PluginError, match="power_timeout"):
        ext.policy({"power_timeout": "x"})
    with pytest.raises(ext.PluginError, match="unknown action"):
        ext.run("explode", None, {})


def test_hosts_outside_hostnames_are_refused():
    env = {"hostnames": "node1 node2.maas"}
    assert ext._target(env, "node2") == "node2"
    assert ext._target(env, "NODE1.maas.example") == "NODE1.maas.example"
    with pytest.raises(ext.PluginError, match="not in hostnames"):
        ext._target(env, "node3")
    with pytest.raises(ext.PluginError, match="target host"):
        ext._target(env, None)


def test_main_without_arguments_is_usage_error():
    assert ext.main([], {}) == 1
