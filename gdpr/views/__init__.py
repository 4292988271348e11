"""Pages of the privacy module, one module per area (consent, rights, DPO)."""
