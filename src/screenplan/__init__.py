"""Screenplan: a 2-minute screen beneath drinking and drug use, and a recovery plan."""

__version__ = "0.1.0"
