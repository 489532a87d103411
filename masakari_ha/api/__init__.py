"""The Masakari v1 REST API (Flask).

Stable entry point for the rest of the code base and for deployments::

    from masakari_ha.api import create_app
    application = create_app(CONF)   # a WSGI callable

See :func:`masakari_ha.api.app.create_app` for what it wires together.
"""


def create_app(conf, **kwargs):
    """Build the WSGI application for ``conf`` (an oslo.config ConfigOpts)."""
    from masakari_ha.api.app import create_app as _create_app

    return _create_app(conf, **kwargs)
