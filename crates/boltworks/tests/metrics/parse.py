"""Parses the OpenMetrics text on stdin with the Prometheus project's Python client (an
independent parser, pinned by scripts/test.sh) and prints its samples as JSON lines:
{"family", "type", "name", "labels", "value"}. A text it cannot parse exits non-zero."""

import json
import sys

from prometheus_client.openmetrics.parser import text_string_to_metric_families

for family in text_string_to_metric_families(sys.stdin.read()):
    for sample in family.samples:
        print(json.dumps({
            "family": family.name,
            "type": family.type,
            "name": sample.name,
            "labels": sample.labels,
            "value": sample.value,
        }))
