"""The local stack: loopback AWS and Stripe servers, the table, the demo store. Never shipped."""
