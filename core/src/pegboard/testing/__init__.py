"""The test kit: an in-process client, a live server, and throw-away backend servers."""

from .client import Client, Result
from .live import LiveServer

__all__ = ["Client", "LiveServer", "Result"]
