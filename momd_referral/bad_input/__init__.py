"""Bad input from clients gets a clear, translated refusal and writes
nothing: guard.py hooks it in the server's request handling."""
from .guard import install

__all__ = ['install']
