"""Insight across incidents: KPIs with charts and CSV, the monthly service report per customer (issue 16)."""
