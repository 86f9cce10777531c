"""After the event: telling attendees before their data goes, keeping the organizer's figures, deleting."""
