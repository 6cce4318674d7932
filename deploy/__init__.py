"""Composition root and process types: settings, logging, CLI, server, demo data."""
