"""Leadership interests: what people can help with and what they are looking for."""
