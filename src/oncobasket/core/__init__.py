"""The pure domain: no files, no database, no network, no clock, no logging."""
