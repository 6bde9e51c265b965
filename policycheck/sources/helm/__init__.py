"""Helm charts: the engines a chart deploys, read from its own files before Helm renders it.

Two sources, each claiming its own files:

* ``values``: values files, every image entry a chart may deploy (switched off by an
  ``enabled: false`` above it or by the parent chart's dependency condition).
* ``dependencies``: ``Chart.yaml`` (and Helm 2 ``requirements.yaml``), the engine charts
  a chart pulls in as dependencies, vendored or not.

and two helpers:

* ``chart``: a chart's own files (Chart.yaml, values.yaml, the parent of a vendored
  subchart), read once per version, never through a symlink out of the chart.
* ``template``: renders a template's ``image:`` value from the chart's defaults; the
  Kubernetes source asks it about the templates it scans.
"""
