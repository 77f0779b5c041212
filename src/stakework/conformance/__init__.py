"""Conformance runners: reference-spec vectors through stakework's transition, compared field by field."""
