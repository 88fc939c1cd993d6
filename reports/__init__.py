"""Post-incident reports: the review form, the metrics, and the branded PDF (WeasyPrint).

The app reads ``incidents`` and ``comms``; nothing imports it except the URL
configuration, the API, and ``comms`` through the hooks ``ReportsConfig.ready`` registers
(``reports.links.report_link``, and ``reports.attachments`` for customers who get the PDF attached).
"""
