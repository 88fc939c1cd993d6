"""The response playbook (issue 15): incident roles and activation, the standby rota, and the
checklists per phase."""
