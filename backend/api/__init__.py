"""``/api/v1``: JSON for the panel and admins, behind the bearer-token check in ``bearer``."""
