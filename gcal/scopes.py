"""The three Google scopes the plugin asks for (least privilege) and how Google's consent
screen names them, so a missing one can be explained in the user's words."""

SCOPES = (
    "https://www.googleapis.com/auth/calendar.events",
    "https://www.googleapis.com/auth/calendar.calendarlist.readonly",
    "https://www.googleapis.com/auth/calendar.freebusy",
)
SCOPE_DESCRIPTIONS = {
    SCOPES[0]: "View and edit events on all your calendars",
    SCOPES[1]: "See the list of Google calendars you're subscribed to",
    SCOPES[2]: "View your availability in your calendars",
}
