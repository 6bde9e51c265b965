"""CI pipelines: engines that CI jobs start, reported with ``context="ci"``.

* ``source``: the CI source. It claims pipeline files by where CI systems look for
  them, reads the local files a GitLab pipeline includes, and reports each image use.
* ``names``: which files are pipeline definitions, by name and place alone; the
  compose source asks it too, so that it never claims them.
* ``github``: GitHub Actions workflows, with matrices expanded as GitHub does.
* ``pipelines``: GitLab CI, Travis CI, CircleCI and other pipelines.
* ``rawyaml``: YAML read as written, each scalar text with its line, so that a
  matrix's ``7.10`` stays ``7.10``.
"""
