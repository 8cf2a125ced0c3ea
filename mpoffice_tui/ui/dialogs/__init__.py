"""Modal dialogs: forms that run their action in a thread worker, pickers, confirmations, readers."""
