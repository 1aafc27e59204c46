"""What the desktop apps (kiosk, counter-side apps) share about running under Qt."""
