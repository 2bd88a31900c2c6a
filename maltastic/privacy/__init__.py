"""The rights of a data subject for one contact: export (GDPR Art. 15) and erasure (Art. 17)."""
