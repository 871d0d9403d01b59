"""Outbound adapters behind one interface (``channels.base.Channel``)."""
