"""Capture at the kiosk: the scanner through libsane (`scanner`), scan profiles (`profiles`), a
scan into a batch folder (`scanning`, `batch_folder`), pages read while scanning (`page_jobs`),
the officer's review (`review`), a batch put away unfiled (`cancel`), and the demo (`demo`)."""
