"""The audit log: append-only records chained by hash (`log`), its head anchored outside the
database (`anchor`), and the log as a spreadsheet (`sheet`)."""
