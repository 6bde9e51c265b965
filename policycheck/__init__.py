"""policycheck: license and governance policy checks for in-memory data stores."""

__version__ = "0.1.0"
