"""Tests for apyche.logs (access log, error log)."""
