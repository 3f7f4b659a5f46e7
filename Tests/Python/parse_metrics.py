"""Parses a Prometheus text exposition with prometheus_client's parser, an independent one.

Reads the exposition from the file given; prints one JSON object mapping each sample, written as
`name{label="value",…}` with labels sorted, to its value. Exits 1 if the text does not parse.

    python3 parse_metrics.py metrics.txt
"""

import json
import sys

from prometheus_client.parser import text_string_to_metric_families

samples = {}
with open(sys.argv[1], encoding="utf-8") as exposition:
    text = exposition.read()
for family in text_string_to_metric_families(text):
    for sample in family.samples:
        labels = ",".join(f'{name}="{value}"' for name, value in sorted(sample.labels.items()))
        samples[f"{sample.name}{{{labels}}}"] = sample.value
print(json.dumps(samples))
