"""The console's downloads: figures as CSV and JSON, connections per hour, the anonymised network."""
