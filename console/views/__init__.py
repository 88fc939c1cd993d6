"""Console views, one module per area; console/urls/ maps them.

incidents    dashboard, open an incident, the incident page and its updates
cadence      postpone the next update, approve the acknowledgment
regulatory   mark a regulatory notification as filed
maintenance  planned maintenance windows
contracts    a customer's contract & cadence policy
compose      preview each audience's message, adjust, send (console.compose)
log          the communication log, a delivery, endpoint quarantine
stakeholders a customer's contacts and their CSV import
templates    message templates and their live preview
mailbox      the development mail viewer
reports      the post-incident review, its PDF, the summary to stakeholders
audit        the audit trail and its CSV export (managers only)
timers       the countdowns they show (no views)
"""
