"""The registry's database: tables, engine and migrations."""
