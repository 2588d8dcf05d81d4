"""To-dos of a user: tasks with subtasks, a due date or time in the user's time zone, priority and status."""
