"""Source-system simulator: a population of persons and what ERP, CRM, shop and bonus program know of them."""

from simulator.core import generate

__all__ = ["generate"]
