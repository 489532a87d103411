"""Sphinx configuration of the masakari_ha operator documentation.

Built by ``tests/unit/docs/test_build.py`` with ``sphinx-build -W`` (warnings are errors).
The configuration and policy references are generated from the code at build time by
oslo.config's and oslo.policy's Sphinx extensions, so they cannot drift from the options.
"""

import os
import sys

_REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, _REPO)

project = "masakari_ha"
copyright = "masakari_ha contributors"  # noqa: A001 (Sphinx's name)
author = "masakari_ha contributors"

extensions = [
    "oslo_config.sphinxext",
    "oslo_policy.sphinxext",
]

# oslo_policy.sphinxext resolves ``config-file`` relative to the repository root.
policy_generator_config_file = None

master_doc = "index"
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_static_path: list = []
html_theme_options = {"description": "Instance high availability for OpenStack"}
pygments_style = "sphinx"
highlight_language = "none"
nitpicky = False

# Messages and commands are quoted literally; never turn ' into typographic quotes.
smartquotes = False
