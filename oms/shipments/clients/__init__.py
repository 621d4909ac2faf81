"""Shipment clients: what creates a shipment for a package and follows it afterwards."""
