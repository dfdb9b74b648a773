"""The ports use cases talk through: Protocols the adapters implement, one module per area.

system (clock, randomness) · orders · policy · returns (storage, history, listings, reports) ·
access (signed tokens, rate counters) · labels · money (payments, refund ceiling, store credit,
refund queue, provider events) · approvals (links, digests) · notifications (emails).
The values they pass are the domain's (domain/).
"""
