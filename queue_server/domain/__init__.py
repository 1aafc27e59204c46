"""The rules of the queue, sans I/O: commands in, events out, time passed in."""
