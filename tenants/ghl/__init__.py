"""The Django side of GoHighLevel: tokens kept in `GhlCredential` under a row lock,
the client factory the sync engine calls, the "Connect GoHighLevel" OAuth flow and
the webhook receiver. The pure package is `integrations.ghl`.
"""
