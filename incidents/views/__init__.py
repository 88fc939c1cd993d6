"""Console views, one module per area; ``incidents.urls`` maps them.

incidents   dashboard, open an incident, the incident page and its updates
cadence     postpone the next update, approve the acknowledgment
regulatory  mark a regulatory notification as filed
maintenance planned maintenance windows
contracts   a customer's contract & cadence policy
timers      the countdowns they show (no views)
"""
