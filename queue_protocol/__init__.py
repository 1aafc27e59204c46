"""What the queue server and its clients share: the wire protocol v1."""
