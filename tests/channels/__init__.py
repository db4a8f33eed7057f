"""Tests of the inbound channels and the importers of past conversations."""
