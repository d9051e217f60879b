"""nsxplan: a Terraform-style declarative compiler for the NSX-T Policy API."""

from __future__ import annotations

__version__ = "0.1.0"
