"""The training ground: scenarios built from real escalations, practice in a sandbox, feedback."""
