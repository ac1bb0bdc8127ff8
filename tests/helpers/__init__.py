"""What the tests share: real batches and pages to file (`batches`, `office*`), homes after real work
(`lived_in`, `filed`), the kiosk as a test client (`kiosk`), a browser (`browser`), servers of
their own (`servers`), and waiting for something to happen (`waiting`)."""
