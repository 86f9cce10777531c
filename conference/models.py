"""Every model, imported in one place so Alembic and create_all see all tables."""
from conference.attendees.models import Attendee, Channel  # noqa: F401
from conference.auth.models import SignInToken  # noqa: F401
from conference.contacts.models import Connection  # noqa: F401
from conference.events.models import Conference  # noqa: F401
from conference.interests.models import AttendeeInterest, Interest  # noqa: F401
from conference.organizer.access.models import Organizer  # noqa: F401
from conference.organizer.dashboard.models import AttendeeTally, ConnectionTally, DashboardSnapshot  # noqa: F401
from conference.organizer.printing.models import BadgeJob  # noqa: F401
from conference.organizer.registrants.models import ImportBatch, ImportUpload  # noqa: F401
from conference.organizer.dashboard import tallies  # noqa: F401  (the triggers that keep those tallies, for create_all)
from conference.scanner.models import ScanReceipt  # noqa: F401
from conference.badges.models import RetiredBadgeCode  # noqa: F401
from conference.circles.models import Circle, CircleMember  # noqa: F401
from conference.digest.models import DigestDelivery  # noqa: F401
from conference.followups.models import FollowUp  # noqa: F401
from conference.network.models import Dismissal  # noqa: F401
from conference.retention.models import RetentionNotice, RetentionRecord  # noqa: F401
from conference.files.models import GeneratedFile, GeneratedFilePerson  # noqa: F401
from conference.meetings.models import (Booking, CalendarFeed, Huddle, HuddleInterest, HuddleSeat,  # noqa: F401
                                         HuddleWaiting, Meeting, MeetingNotice, MeetingSpot, MeetingTime,
                                         TableBooking)
