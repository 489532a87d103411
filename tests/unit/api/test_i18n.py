"""How fault messages become lazily translatable (no catalog involved here)."""

from oslo_i18n import _lazy

from masakari_ha import exception
from masakari_ha.api import i18n


def test_process_wide_lazy_switch_stays_off():
    """Only our own messages are lazy: other libraries' _() keep returning str."""
    i18n.lazy_message(exception.Unauthorized())
    assert _lazy.USE_LAZY is False


def test_formatted_message_is_rebuilt_from_its_format():
    error = exception.HostNotFoundByName(host_name="compute-1")
    message = i18n.lazy_message(error)
    assert message.msgid == exception.HostNotFoundByName.msg_fmt
    assert message.params == {"host_name": "compute-1"}
    assert i18n.translate(message, None) == "Host with name compute-1 could not be found."


def test_format_without_values_is_the_message_id():
    message = i18n.lazy_message(exception.Unauthorized())
    assert message.msgid == "Not authorized."
    assert i18n.translate(message, "de") == "Not authorized."


def test_explicit_message_is_looked_up_whole():
    error = exception.Invalid(message="Query parameter 'x' contains a NUL character.")
    message = i18n.lazy_message(error)
    assert message.msgid == "Query parameter 'x' contains a NUL character."


def test_lazy_message_is_kept():
    original = i18n._("Method %(method)s is not allowed.") % {"method": "PUT"}
    error = exception.MasakariHAError(message=original)
    assert i18n.lazy_message(error) is original
    assert i18n.translate(original, "fr") == "Method PUT is not allowed."


def test_plain_strings_pass_through():
    assert i18n.translate("plain text", "de") == "plain text"
    assert i18n.translate("plain text", None) == "plain text"
