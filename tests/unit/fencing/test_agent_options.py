"""fence_maas option handling: stdin protocol, flags, defaults, metadata structure."""

import xml.etree.ElementTree as ET

import pytest

from masakari_ha.fencing import agent_options as opts


def test_stdin_lines_comments_aliases_last_duplicate_wins():
    values = opts.parse_stdin([
        "# pacemaker writes one option per line",
        "",
        "action=off",
        "port=remote1",
        "nodename=remote1",
        "apikey=ck:tk:ts",
        "pcmk_host_list=remote1 remote2",
        "option=reboot",
        "unknown_key=whatever",
        "no equals sign",
        " power_timeout = 12 ",
    ])
    assert values == {"action": "reboot", "port": "remote1", "nodename": "remote1",
                      "api_key": "ck:tk:ts", "hostnames": "remote1 remote2", "power_timeout": "12"}


def test_host_precedence_plug_port_nodename():
    assert opts.build_config({"plug": "a", "port": "b", "nodename": "c"}).host == "a"
    assert opts.build_config({"port": "b", "nodename": "c"}).host == "b"
    assert opts.build_config({"nodename": "c"}).host == "c"


def test_flags_map_to_the_same_names():
    values = opts.parse_argv(["-o", "status", "-n", "node1", "--url", "http://m/MAAS",
                              "--api-key-file", "/k", "--power-timeout", "5", "--timeout", "3",
                              "--ssl-insecure", "-v"])
    assert values == {"action": "status", "plug": "node1", "url": "http://m/MAAS",
                      "api_key_file": "/k", "power_timeout": "5", "request_timeout": "3",
                      "ssl_insecure": "1", "verbose": "1"}
    config = opts.build_config(values)
    assert config.verify is False and config.verbose and config.request_timeout == 3.0
    assert opts.parse_argv(["--action=off", "--plug=n2", "--port", "n3"])["port"] == "n3"


def test_unknown_flag_is_a_usage_error():
    with pytest.raises(opts.UsageError):
        opts.parse_argv(["--no-such-flag"])


def test_defaults():
    config = opts.build_config({})
    assert config.action == "reboot"
    assert (config.power_timeout, config.power_wait, config.poll_interval, config.request_timeout) == (90, 0, 2, 65)
    assert config.verify is True and config.hostnames == ()
    assert opts.build_config({"cafile": "/ca.pem"}).verify == "/ca.pem"


def test_hostnames_split_on_spaces_and_commas():
    assert opts.build_config({"hostnames": "a, b  c"}).hostnames == ("a", "b", "c")


@pytest.mark.parametrize("values,message", [
    ({"action": "explode"}, "unknown action"),
    ({"power_timeout": "soon"}, "number of seconds"),
    ({"delay": "-1"}, "negative"),
])
def test_bad_values(values, message):
    with pytest.raises(opts.UsageError, match=message):
        opts.build_config(values)


def test_config_repr_hides_the_key():
    config = opts.build_config({"api_key": "ck:tk:verysecret"})
    assert "verysecret" not in repr(config)


def test_metadata_structure():
    """Structural check mirroring fence-agents' metadata.rng (the real schema is checked in
    tests/functional/fencing/test_metadata_rng.py when it can be obtained)."""
    root = ET.fromstring(opts.metadata_xml().encode())
    assert root.tag == "resource-agent" and root.get("name") == "fence_maas" and root.get("shortdesc")
    assert [c.tag for c in root] == ["longdesc", "vendor-url", "parameters", "actions"]
    names = []
    for param in root.find("parameters"):
        assert param.tag == "parameter"
        assert param.get("unique") in ("0", "1") and param.get("required") in ("0", "1")
        assert param.find("getopt").get("mixed")
        assert param.find("content").get("type") in ("boolean", "string", "second", "integer")
        assert param.find("shortdesc").get("lang") == "en"
        names.append(param.get("name"))
    assert {"action", "plug", "port", "nodename", "url", "api_key", "api_key_file",
            "power_timeout", "power_wait"} <= set(names)
    actions = {a.get("name") for a in root.find("actions")}
    assert actions == set(opts.ACTIONS)
