"""Tests of `printer`."""
