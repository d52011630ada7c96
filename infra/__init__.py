"""Deployment: the SAM template, Lambda packaging and the local stack."""
