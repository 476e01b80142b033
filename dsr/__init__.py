"""Data-subject requests (GDPR Art. 15-18): access, erasure, restriction. They sit on top of the stages and re-run them."""
