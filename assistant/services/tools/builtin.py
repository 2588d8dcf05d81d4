"""The tools the product ships (later issues add theirs here)."""

from __future__ import annotations

from assistant.services.tools.clock import GET_CURRENT_TIME
from assistant.services.tools.documents import SEARCH_DOCUMENTS
from assistant.services.tools.memory import MEMORY_TOOLS
from assistant.services.tools.proposals import PROPOSE_REMINDERS
from assistant.services.tools.registry import ToolRegistry
from assistant.services.tools.reminders import REMINDER_TOOLS
from assistant.services.tools.reports import GENERATE_PDF
from assistant.services.tools.tasks import TASK_TOOLS


def builtin_registry() -> ToolRegistry:
    """A registry with every built-in tool: ``get_current_time``, ``search_documents`` and the memory tools
    (``save_memory``, ``search_memory``, ``update_memory``, ``forget_memory``), then the task tools
    (``create_task``, ``list_tasks``, ``update_task``, ``complete_task``) and the reminder tools
    (``schedule_reminder``, ``list_reminders``, ``cancel_reminder``), ``propose_reminders`` (medication
    reminders from a document, for the user to confirm) and ``generate_pdf`` (a health summary PDF)."""
    return ToolRegistry([GET_CURRENT_TIME, SEARCH_DOCUMENTS, *MEMORY_TOOLS, *TASK_TOOLS, *REMINDER_TOOLS,
                         PROPOSE_REMINDERS, GENERATE_PDF])
