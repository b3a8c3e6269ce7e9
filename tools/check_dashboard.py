#!/usr/bin/env python3
"""Checks deploy/grafana-dashboard.json against a /metrics scrape of the real server: the file is
a Grafana dashboard (title, uid, panels with Prometheus targets), and every metric its queries
name exists in the scrape (so a renamed metric cannot leave the dashboard silently empty).
Usage: check_dashboard.py DASHBOARD_JSON METRICS_TEXT  (exit 0 clean, 1 with the problems)."""
import json
import re
import sys

dashboard = json.load(open(sys.argv[1]))
scrape = open(sys.argv[2]).read()
families = set()
for line in scrape.splitlines():
    m = re.match(r"# TYPE (\S+) (\S+)", line)
    if m:
        families.add(m.group(1))
        if m.group(2) == "histogram":
            families.update({m.group(1) + s for s in ("_bucket", "_sum", "_count")})
problems = []
for key in ("title", "uid", "panels"):
    if key not in dashboard:
        problems.append(f"dashboard has no {key}")
functions = {"sum", "by", "rate", "histogram_quantile", "le", "deployment", "code", "label_values"}
for panel in dashboard.get("panels", []):
    targets = panel.get("targets", [])
    if not targets:
        problems.append(f"panel {panel.get('title')!r} has no targets")
    for t in targets:
        for name in re.findall(r"\b((?:lepton|process)_[a-z_]+)\b", t.get("expr", "")):
            if name not in families:
                problems.append(f"panel {panel.get('title')!r}: metric {name} is not in the scrape")
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
