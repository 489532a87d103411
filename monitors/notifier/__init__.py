"""Delivery of notifications: envelope builders, the on-disk spool, the API client and the
sender thread that moves spooled notifications to the API."""
