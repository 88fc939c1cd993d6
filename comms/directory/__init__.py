"""Who hears what: the customers' contacts (stakeholders), routing by role × kind × severity,
the escalation matrix, and the order in which a person hears of an incident (lifecycle)."""
