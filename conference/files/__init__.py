"""Files the app makes (badge PDFs), kept in the database so every server can hand them out."""
