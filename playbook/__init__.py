"""The response around the messages: roles and activation, phase checklists, customer escalations, compensation, remediation actions (issue 15)."""
