"""Tests of `announce`."""
