"""The monthly report's outputs: charts (PNG), the HTML body, CSV/XLSX rows and the MIME email.

Presentation only: they take a ``chalicelib.domain.reports.MonthlyReport`` and return bytes or text.
"""
