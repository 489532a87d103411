"""Console-script entry points: parse config, build objects, run."""

import warnings

# oslo.messaging imports oslo.service, which imports eventlet (never monkey-patched or
# used: we run plain threads); keep its deprecation banner out of command output.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
