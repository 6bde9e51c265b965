"""Terraform: Redis, Valkey and memcached that AWS, Google Cloud and Azure run for you.

One source (``source``) reads ``.tf``, ``.tf.json`` and ``.tfvars`` files: it finds the
resources and module calls that create a managed cache and follows local modules. The
rest of the work is divided as Terraform itself divides it:

* ``hcl``: native syntax, parsed with tree-sitter into python-hcl2's value shape;
  ``json_syntax``: ``*.tf.json`` converted into the same shape.
* ``config``: a module folder's files, and one instance of that module with its
  variables (``.tfvars``, defaults or a call's inputs) and locals.
* ``expressions``: expressions evaluated as far as the configuration decides them;
  what only Terraform knows is ``Unknown``, with the reason.
* ``facts``: what ``licenses/terraform.yaml`` records, with evidence: which resources
  and public modules create a cache, and the defaults that apply when unset.
* ``report``: an evaluated engine and version made a Component, or the reason why not.
"""
