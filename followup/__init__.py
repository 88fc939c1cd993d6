"""What the MSP owes a customer around an incident: customer escalations tracked to closure,
SLA-credit compensation decisions, remediation actions tracked to done (issue 15)."""
