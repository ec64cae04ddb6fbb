"""The local stack: a durable AWS stand-in, the Chalice dev server and a scheduler (``make run``)."""
