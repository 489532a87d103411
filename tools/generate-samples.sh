#!/usr/bin/env bash
# Regenerate the sample configuration and policy files from the code:
#   etc/masakari-ha.conf.sample  (oslo-config-generator, etc/masakari-ha-config-generator.conf)
#   etc/policy.yaml.sample       (oslopolicy-sample-generator, etc/masakari-ha-policy-generator.conf)
# Usage: tools/generate-samples.sh [OUTPUT_DIR]     (default: etc/ of this repository)
# Run it after adding or changing any option or policy rule; the test
# tests/unit/test_samples.py fails while the checked-in samples are stale.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
[ -x "$PYTHON" ] || PYTHON=python3
OUT=${1:-etc}
mkdir -p "$OUT"
"$PYTHON" -W ignore -c 'import sys; from oslo_config.generator import main; sys.exit(main(sys.argv[1:]))' \
    --config-file etc/masakari-ha-config-generator.conf --output-file "$OUT/masakari-ha.conf.sample"
"$PYTHON" -W ignore -c 'import sys; from oslo_policy.generator import generate_sample; sys.exit(generate_sample(sys.argv[1:]))' \
    --config-file etc/masakari-ha-policy-generator.conf --output-file "$OUT/policy.yaml.sample"
echo "Wrote $OUT/masakari-ha.conf.sample and $OUT/policy.yaml.sample"
