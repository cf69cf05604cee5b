"""The sync engine: read Nextech changes into an inbox, decide with pure functions, write
only the difference to GoHighLevel through an outbox."""
