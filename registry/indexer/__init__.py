"""The chain indexer: follows Ledgerhouse events into the registry database."""
