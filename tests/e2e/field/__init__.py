"""Field scenarios of issue 6 on tools/field-bed.sh."""
