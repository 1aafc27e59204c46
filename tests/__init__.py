"""The tests, one folder per package; what they share is in `tests.support`."""
