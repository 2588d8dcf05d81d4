"""Chats: conversations and messages, context assembly, skills, context files and answering a turn."""
