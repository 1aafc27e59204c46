"""Tests of `counter_display`."""
