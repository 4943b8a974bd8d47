"""Thin routers: parse, authorize, call one service, shape the answer."""
