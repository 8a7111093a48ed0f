"""The booking benchmark's parts. `bench/booking.py` runs them; its docstring says what it measures."""
