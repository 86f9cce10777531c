"""Printed badges: the background jobs that make badge PDFs, and the PDF drawing."""
