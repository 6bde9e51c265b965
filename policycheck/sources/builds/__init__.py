"""Builds: engines deployed by the commands that build an image or provision a host.

A Dockerfile and a provisioning script say what they deploy in the same way: shell
commands that download an engine's sources and build them, or install a distribution
package (a Dockerfile also starts ``FROM`` an image and copies out of others). So both
sources live here, with the shell reader they share:

* ``dockerfile``: the Dockerfile source: the stages the final image is built from,
  what it copies out of other stages or images, and the ``RUN`` text of those stages.
* ``scripts``: the shell script source (``*.sh``, ``*.bash``, shell shebang files).
* ``shellwords``: a lenient POSIX shell reader: words, expansions, simple commands.
* ``commands``: what those commands deploy (a download or clone of an engine's
  sources, a package install, and the release they name), from catalog data.
* ``dockerlex``: Docker's own variable substitution, as BuildKit does it, for the
  instructions Docker substitutes in (``FROM``, ``ARG``, ``ENV``, ``COPY``...).
"""
