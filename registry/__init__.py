"""Ledgerhouse registry service: indexes the chain into SQL and serves queries and documents.

The service itself lands with the registry-service issue; this package holds its code.
"""
