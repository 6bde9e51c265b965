"""SPDX 2.x SBOMs: packages that are engines, in every serialisation SPDX defines.

* ``source``: the SPDX source. It claims SBOMs by name or head, and turns each package
  that is a catalogued engine into a component at the line of its ``SPDXID``.
* ``match``: whether a package's name or purls can name an engine, answered cheaply
  first, so that spdx-tools builds only the packages that can matter.
* ``read``: JSON, YAML and XML, and the guards every reader shares (entity
  declarations refused, depth and size bounded).
* ``tagvalue`` and ``rdf``: the tag-value and RDF/XML readers.
* ``lines``: the line of each ``SPDXID``, found in one pass over the text.
"""
