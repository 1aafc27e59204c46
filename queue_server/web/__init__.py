"""The HTTP side: API, pages, booking, tracking, reports."""
