"""Agents: a named assistant a chat can pick (a skill's prompt, a model tier, the collections it searches, the
tools it may call, an icon). :mod:`.availability` holds the one rule of who may use which agent and what a turn
with an agent changes; :mod:`.editing` creates, changes and deletes agents; :mod:`.grants` gives general agents
to users and groups."""
