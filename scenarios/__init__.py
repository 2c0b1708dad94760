"""Scenario construction: calendars and initial beliefs built from documented rules."""
