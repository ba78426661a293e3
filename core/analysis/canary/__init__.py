"""The canary: anytime-valid checks of production traffic (sequences, checks) and its stages."""
