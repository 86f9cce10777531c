"""A conference's settings (name, web address, dates, time zone, venue, joining) and its interest list."""
