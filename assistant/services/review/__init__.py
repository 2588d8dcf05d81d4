"""The daily review (seed 003): each morning, at the user's time, one notification that goes over memory, tasks
due, upcoming reminders, adherence and the documents added since the last review.

* :mod:`.materials` gathers the lists (each bounded) and writes them as text;
* :mod:`.compose` has a model write the review from that text, or writes a plain digest without one;
* :mod:`.timing` computes the next review time in the user's zone (08:00 stays 08:00 across DST).
"""
