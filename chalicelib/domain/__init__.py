"""The returns business in plain Python: no I/O, no clock, no third-party imports."""
